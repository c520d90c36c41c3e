import type { LivenessInput } from "../http/liveness-request";
import { ProblemError } from "../http/problem";
import { checkCompressedData, decodeInspected, inspectImage, type ImageLimits } from "../image/decode-image";
import type { ImageHeader } from "../image/image-header";
import type { ModelSession } from "../inference/model-session";
import type { Preprocess } from "../models/manifest-schema";
import { boxInsideImage, type CropWindow } from "../preprocess/crop";
import { preprocess } from "../preprocess/preprocess";
import { bonafideScore } from "./score";

/** One model's bona fide score for a frame, with where the time went. */
export interface FrameScore {
  readonly score: number;
  readonly crop: CropWindow;
  /** Milliseconds (unrounded) spent decoding, preprocessing and running the model. */
  readonly decodeMs: number;
  readonly preprocessMs: number;
  readonly modelMs: number;
}

/** A frame ready for one model: its input tensor, the crop it came from, and the time that took. */
export interface PreparedFrame {
  readonly tensor: Float32Array;
  readonly crop: CropWindow;
  /** Milliseconds (unrounded) spent checking and decoding the image, and preprocessing it. */
  readonly decodeMs: number;
  readonly preprocessMs: number;
}

/**
 * A frame's header checks: the size limits (read from the header, before any pixel is allocated)
 * and the face box. Cheap, so a request checks all its frames before it spends anything on any.
 * Throws ImageRejectedError or ProblemError.
 */
export function checkFrame(input: LivenessInput, limits: ImageLimits): ImageHeader {
  const header = inspectImage(input.image, limits);
  if (input.box && !boxInsideImage(input.box, header.width, header.height)) {
    throw new ProblemError(400, {
      slug: "box-outside-image",
      title: "Face box outside the image",
      detail: `box [${input.box.join(", ")}] does not lie inside the ${header.width}x${header.height} frame`,
    });
  }
  return header;
}

/**
 * One frame up to one model: header checks (unless `checked` is the header checkFrame returned for
 * it), decoding and the model card's preprocessing. Only the input tensor is kept, not the decoded
 * image. Throws ImageRejectedError or ProblemError.
 */
export async function prepareFrame(input: LivenessInput, config: Preprocess, limits: ImageLimits, checked?: ImageHeader): Promise<PreparedFrame> {
  const decodeStarted = performance.now();
  const header = checked ?? checkFrame(input, limits);
  await checkCompressedData(input.image, header);
  const image = decodeInspected(input.image, header);
  const decoded = performance.now();
  const { tensor, crop } = preprocess(image, input.box, config);
  return { tensor, crop, decodeMs: decoded - decodeStarted, preprocessMs: performance.now() - decoded };
}

/** Runs `model` on a prepared frame (once its session is ready). Throws ModelUnavailableError. */
export async function runPrepared(frame: PreparedFrame, model: ModelSession): Promise<FrameScore> {
  await model.ready();
  const runStarted = performance.now();
  const score = bonafideScore(await model.run(frame.tensor), model.card.output.bonafideIndex);
  return { score, crop: frame.crop, decodeMs: frame.decodeMs, preprocessMs: frame.preprocessMs, modelMs: performance.now() - runStarted };
}

/**
 * Starts loading `model`'s session, if it is not loaded yet, while the caller decodes. The session
 * is shared by every request of the isolate, and its load is I/O of the request that started it:
 * `waitUntil` (the request's ExecutionContext.waitUntil) keeps that request alive until the load
 * settles. Without it, a request refused (or aborted) mid-load takes the load's I/O down with it,
 * and every later request of the isolate waits on a load that never ends.
 */
export function startLoading(model: ModelSession, waitUntil?: (work: Promise<unknown>) => void): void {
  const sessionReady = model.ready();
  sessionReady.catch(() => undefined);
  waitUntil?.(sessionReady);
}

/**
 * One frame through one model: prepareFrame, then the model. The session finishes loading while
 * the frame is decoded (see startLoading). Throws ImageRejectedError, ProblemError or
 * ModelUnavailableError; never returns a score for input it could not read.
 */
export async function scoreFrame(
  input: LivenessInput,
  model: ModelSession,
  limits: ImageLimits,
  waitUntil?: (work: Promise<unknown>) => void,
): Promise<FrameScore> {
  startLoading(model, waitUntil);
  return runPrepared(await prepareFrame(input, model.card.preprocess, limits), model);
}

/** Milliseconds as reported: never negative, microsecond precision. */
export const reportedMs = (v: number): number => Math.max(0, Math.round(v * 1000) / 1000);
