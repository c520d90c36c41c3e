import type { LivenessInput } from "../http/liveness-request";
import { ProblemError } from "../http/problem";
import { checkCompressedData, decodeInspected, inspectImage, type ImageLimits } from "../image/decode-image";
import type { ModelRegistry } from "../models/model-registry";
import { publicModelId } from "../models/manifest-schema";
import { boxInsideImage } from "../preprocess/crop";
import { preprocess } from "../preprocess/preprocess";
import type { LivenessResponse } from "../schemas/liveness";
import { cascade, type AskTeacher, type TeacherVerdict } from "./cascade";
import { bonafideScore } from "./score";

export interface AssessOptions {
  readonly limits: ImageLimits;
  /** Second opinion for uncertain frames; without it such frames are `uncertain`. */
  readonly teacher?: (input: LivenessInput) => Promise<TeacherVerdict | undefined>;
  /** performance.now() when the request arrived; `total` counts from here. */
  readonly startedAt?: number;
}

export type FrameAssessment = Omit<LivenessResponse, "requestId" | "region">;

/**
 * One frame through the edge: header checks, decode, the manifest's preprocessing, the student,
 * and the cascade. Throws ImageRejectedError, ProblemError or ModelUnavailableError; never returns
 * a decision for input it could not read.
 */
export async function assessFrame(input: LivenessInput, registry: ModelRegistry, options: AssessOptions): Promise<FrameAssessment> {
  const started = options.startedAt ?? performance.now();
  const manifest = await registry.manifest();
  const student = await registry.student();
  const sessionReady = student.ready();
  sessionReady.catch(() => undefined);

  const decodeStarted = performance.now();
  const header = inspectImage(input.image, options.limits);
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

  const { card } = student;
  const { tensor, crop } = preprocess(image, input.box, card.preprocess);
  const preprocessed = performance.now();

  await sessionReady;
  const runStarted = performance.now();
  const logits = await student.run(tensor);
  const studentScore = bonafideScore(logits, card.output.bonafideIndex);
  const inferred = performance.now();

  const band = manifest.serving.uncertaintyBand;
  const { teacher } = options;
  const askTeacher: AskTeacher | undefined = teacher ? () => teacher(input) : undefined;
  const result = await cascade(studentScore, card.threshold, band, askTeacher);
  const finished = performance.now();

  return {
    decision: result.decision,
    score: result.score,
    decidedBy: result.decidedBy,
    threshold: result.threshold,
    uncertaintyBand: [band[0], band[1]],
    models: {
      student: publicModelId(card),
      ...(result.teacher ? { teacher: result.teacher.model } : {}),
    },
    crop: { x: crop.x0, y: crop.y0, side: crop.side },
    timingsMs: {
      decode: ms(decoded - decodeStarted),
      preprocess: ms(preprocessed - decoded),
      student: ms(inferred - runStarted),
      ...(result.teacher ? { teacher: ms(result.teacher.ms) } : {}),
      total: ms(finished - started),
    },
  };
}

const ms = (v: number): number => Math.max(0, Math.round(v * 1000) / 1000);
