import type { LivenessInput } from "../http/liveness-request";
import type { ImageLimits } from "../image/decode-image";
import type { ModelRegistry } from "../models/model-registry";
import { publicModelId } from "../models/manifest-schema";
import type { FrameVerdict } from "../schemas/liveness";
import { cascade, type AskTeacher, type TeacherVerdict } from "./cascade";
import { reportedMs, scoreFrame } from "./score-frame";

export interface AssessOptions {
  readonly limits: ImageLimits;
  /** Second opinion for uncertain frames; without it such frames are `uncertain`. */
  readonly teacher?: (input: LivenessInput) => Promise<TeacherVerdict | undefined>;
  /** performance.now() when the request arrived; `total` counts from here. */
  readonly startedAt?: number;
  /** The request's ExecutionContext.waitUntil: holds a model load this request starts (see scoreFrame). */
  readonly waitUntil?: (work: Promise<unknown>) => void;
}

/**
 * One frame through the edge: header checks, decode, the manifest's preprocessing, the student,
 * and the cascade. Throws ImageRejectedError, ProblemError or ModelUnavailableError; never returns
 * a decision for input it could not read.
 */
export async function assessFrame(input: LivenessInput, registry: ModelRegistry, options: AssessOptions): Promise<FrameVerdict> {
  const started = options.startedAt ?? performance.now();
  const manifest = await registry.manifest();
  const student = await registry.student();
  const { card } = student;
  const frame = await scoreFrame(input, student, options.limits, options.waitUntil);

  const band = manifest.serving.uncertaintyBand;
  const { teacher } = options;
  const askTeacher: AskTeacher | undefined = teacher ? () => teacher(input) : undefined;
  const result = await cascade(frame.score, card.threshold, band, askTeacher);
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
    crop: { x: frame.crop.x0, y: frame.crop.y0, side: frame.crop.side },
    timingsMs: {
      decode: reportedMs(frame.decodeMs),
      preprocess: reportedMs(frame.preprocessMs),
      student: reportedMs(frame.modelMs),
      ...(result.teacher ? { teacher: reportedMs(result.teacher.ms) } : {}),
      total: reportedMs(finished - started),
    },
  };
}
