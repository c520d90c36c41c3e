import type { LivenessInput } from "../http/liveness-request";
import type { ImageLimits } from "../image/decode-image";
import { ModelUnavailableError } from "../inference/model-session";
import { reportedMs, scoreFrame } from "../liveness/score-frame";
import { publicModelId } from "../models/manifest-schema";
import type { ModelRegistry } from "../models/model-registry";
import type { TeacherResponse } from "../schemas/teacher";

/**
 * One frame through the manifest's serving teacher (`serving.teacher`): the same input checks,
 * decoding and preprocessing as the edge's student path, with the teacher's own preprocessing
 * config and threshold. Throws ImageRejectedError, ProblemError or ModelUnavailableError.
 * `waitUntil` holds a model load this request starts (see scoreFrame).
 */
export async function scoreWithTeacher(
  input: LivenessInput,
  registry: ModelRegistry,
  limits: ImageLimits,
  startedAt = performance.now(),
  waitUntil?: (work: Promise<unknown>) => void,
): Promise<Omit<TeacherResponse, "requestId">> {
  const manifest = await registry.manifest();
  const teacherId = manifest.serving.teacher;
  if (!teacherId) {
    throw new ModelUnavailableError("teacher", 60, { cause: new Error("the manifest names no serving teacher") });
  }
  const teacher = await registry.session(teacherId);
  const { card } = teacher;
  const { score, crop, decodeMs, preprocessMs, modelMs } = await scoreFrame(input, teacher, limits, waitUntil);
  const finished = performance.now();

  return {
    decision: score >= card.threshold ? "live" : "spoof",
    score,
    threshold: card.threshold,
    model: publicModelId(card),
    crop: { x: crop.x0, y: crop.y0, side: crop.side },
    timingsMs: {
      decode: reportedMs(decodeMs),
      preprocess: reportedMs(preprocessMs),
      teacher: reportedMs(modelMs),
      total: reportedMs(finished - startedAt),
    },
  };
}
