import type { LivenessInput } from "../http/liveness-request";
import type { ModelSession } from "../inference/model-session";
import type { ModelRegistry } from "../models/model-registry";
import { publicModelId } from "../models/manifest-schema";
import type { FrameVerdict } from "../schemas/liveness";
import { cascade, type AskTeacher, type TeacherVerdict } from "./cascade";
import { reportedMs, runPrepared, type PreparedFrame } from "./score-frame";

export interface AssessOptions {
  /** Second opinion for uncertain frames; without it such frames are `uncertain`. */
  readonly teacher?: (input: LivenessInput) => Promise<TeacherVerdict | undefined>;
  /** performance.now() when the request arrived; `total` counts from here. */
  readonly startedAt?: number;
}

/**
 * One frame, prepared for the student (prepareFrame: header checks, decoding, the manifest's
 * preprocessing), through the student and the cascade. Throws ModelUnavailableError.
 */
export async function assessFrame(
  input: LivenessInput,
  frame: PreparedFrame,
  student: ModelSession,
  registry: ModelRegistry,
  options: AssessOptions = {},
): Promise<FrameVerdict> {
  const started = options.startedAt ?? performance.now();
  const manifest = await registry.manifest();
  const { card } = student;
  const scored = await runPrepared(frame, student);

  const band = manifest.serving.uncertaintyBand;
  const { teacher } = options;
  const askTeacher: AskTeacher | undefined = teacher ? () => teacher(input) : undefined;
  const result = await cascade(scored.score, card.threshold, band, askTeacher);
  const finished = performance.now();

  return {
    decision: result.decision,
    score: result.score,
    decidedBy: result.decidedBy,
    threshold: result.threshold,
    models: {
      student: publicModelId(card),
      ...(result.teacher ? { teacher: result.teacher.model } : {}),
    },
    crop: { x: scored.crop.x0, y: scored.crop.y0, side: scored.crop.side },
    timingsMs: {
      decode: reportedMs(scored.decodeMs),
      preprocess: reportedMs(scored.preprocessMs),
      student: reportedMs(scored.modelMs),
      ...(result.teacher ? { teacher: reportedMs(result.teacher.ms) } : {}),
      total: reportedMs(finished - started),
    },
  };
}
