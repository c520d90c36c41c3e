import type { LivenessInput } from "../http/liveness-request";
import { ProblemError } from "../http/problem";
import { checkCompressedData, decodeInspected, inspectImage, type ImageLimits } from "../image/decode-image";
import { ModelUnavailableError } from "../inference/model-session";
import { bonafideScore } from "../liveness/score";
import { publicModelId } from "../models/manifest-schema";
import type { ModelRegistry } from "../models/model-registry";
import { boxInsideImage } from "../preprocess/crop";
import { preprocess } from "../preprocess/preprocess";
import type { TeacherResponse } from "../schemas/teacher";

/**
 * One frame through the manifest's serving teacher (`serving.teacher`): the same input checks,
 * decoding and preprocessing as the edge's student path, with the teacher's own preprocessing
 * config and threshold. Throws ImageRejectedError, ProblemError or ModelUnavailableError.
 */
export async function scoreWithTeacher(
  input: LivenessInput,
  registry: ModelRegistry,
  limits: ImageLimits,
  startedAt = performance.now(),
): Promise<Omit<TeacherResponse, "requestId">> {
  const manifest = await registry.manifest();
  const teacherId = manifest.serving.teacher;
  if (!teacherId) {
    throw new ModelUnavailableError("teacher", 60, { cause: new Error("the manifest names no serving teacher") });
  }
  const teacher = await registry.session(teacherId);
  const sessionReady = teacher.ready();
  sessionReady.catch(() => undefined);

  const decodeStarted = performance.now();
  const header = inspectImage(input.image, limits);
  if (input.box && !boxInsideImage(input.box, header.width, header.height)) {
    throw new ProblemError(400, {
      slug: "box-outside-image",
      title: "Face box outside the image",
      detail: `box [${input.box.join(", ")}] does not lie inside the ${header.width}x${header.height} frame`,
    });
  }
  await checkCompressedData(input.image, header);
  const image = decodeInspected(input.image, header);
  const decoded = performance.now();

  const { card } = teacher;
  const { tensor, crop } = preprocess(image, input.box, card.preprocess);
  const preprocessed = performance.now();

  await sessionReady;
  const runStarted = performance.now();
  const score = bonafideScore(await teacher.run(tensor), card.output.bonafideIndex);
  const finished = performance.now();

  return {
    decision: score >= card.threshold ? "live" : "spoof",
    score,
    threshold: card.threshold,
    model: publicModelId(card),
    crop: { x: crop.x0, y: crop.y0, side: crop.side },
    timingsMs: {
      decode: ms(decoded - decodeStarted),
      preprocess: ms(preprocessed - decoded),
      teacher: ms(finished - runStarted),
      total: ms(finished - startedAt),
    },
  };
}

const ms = (v: number): number => Math.max(0, Math.round(v * 1000) / 1000);
