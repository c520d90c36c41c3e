import type { LivenessInput } from "../http/liveness-request";
import { ProblemError } from "../http/problem";
import { checkCompressedData, decodeInspected, inspectImage, type ImageLimits } from "../image/decode-image";
import type { ModelSession } from "../inference/model-session";
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

/**
 * One frame through one model: header checks (before any pixel is allocated), the box check,
 * decoding, the model card's preprocessing and the model. The session finishes loading while the
 * frame is decoded. Throws ImageRejectedError, ProblemError or ModelUnavailableError; never returns
 * a score for input it could not read.
 *
 * The session is shared by every request of the isolate, and its load is I/O of the request that
 * started it: `waitUntil` (the request's ExecutionContext.waitUntil) keeps that request alive until
 * the load settles. Without it, a request refused (or aborted) mid-load takes the load's I/O down
 * with it, and every later request of the isolate waits on a load that never ends.
 */
export async function scoreFrame(
  input: LivenessInput,
  model: ModelSession,
  limits: ImageLimits,
  waitUntil?: (work: Promise<unknown>) => void,
): Promise<FrameScore> {
  const sessionReady = model.ready();
  sessionReady.catch(() => undefined);
  waitUntil?.(sessionReady);

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

  const { card } = model;
  const { tensor, crop } = preprocess(image, input.box, card.preprocess);
  const preprocessed = performance.now();

  await sessionReady;
  const runStarted = performance.now();
  const score = bonafideScore(await model.run(tensor), card.output.bonafideIndex);
  const finished = performance.now();

  return {
    score,
    crop,
    decodeMs: decoded - decodeStarted,
    preprocessMs: preprocessed - decoded,
    modelMs: finished - runStarted,
  };
}

/** Milliseconds as reported: never negative, microsecond precision. */
export const reportedMs = (v: number): number => Math.max(0, Math.round(v * 1000) / 1000);
