import { z } from "zod";

/**
 * The public API of POST /v1/liveness, shared with the client SDK. Field names and meanings are
 * the wire format: change them only together with the SDK.
 */

/** Media types POST /v1/liveness accepts as its request body. */
export const LIVENESS_MEDIA_TYPES = ["image/jpeg", "image/png", "multipart/form-data"] as const;

/** A face box in pixels of the sent frame: [x, y, width, height], inside the frame. */
export const FaceBoxSchema = z
  .tuple([z.number(), z.number(), z.number(), z.number()])
  .refine(([x, y, w, h]) => x >= 0 && y >= 0 && w > 0 && h > 0, {
    message: "box must be [x, y, width, height] with x, y >= 0 and width, height > 0",
  });
export type FaceBoxInput = z.infer<typeof FaceBoxSchema>;

/** The optional `meta` form field of a multipart request (JSON). */
export const LivenessMetaSchema = z.object({
  /** Where the face is in `frame` (one frame); without it, `frame` is taken to be a face crop already. */
  box: FaceBoxSchema.optional(),
  /** A burst's boxes: one per `frame` part, in order; null for a frame that is a face crop. */
  boxes: z.array(FaceBoxSchema.nullable()).max(64).optional(),
  /** The session nonce from POST /v1/sessions (single use). */
  nonce: z.string().min(1).max(512).optional(),
});
export type LivenessMeta = z.infer<typeof LivenessMetaSchema>;

export const DecisionSchema = z.enum(["live", "spoof", "uncertain"]);
export type Decision = z.infer<typeof DecisionSchema>;

export const DeciderSchema = z.enum(["student", "teacher"]);
export type Decider = z.infer<typeof DeciderSchema>;

const Milliseconds = z.number().nonnegative();

/** Per-stage wall-clock timings, milliseconds. */
const TimingsSchema = z.object({
  decode: Milliseconds,
  preprocess: Milliseconds,
  student: Milliseconds,
  teacher: Milliseconds.optional(),
  total: Milliseconds,
});

/** One frame's verdict: the student's, or the teacher's when the student was unsure. */
export const FrameVerdictSchema = z.object({
  /** `uncertain` is never `live`: the student was unsure and no teacher answer was available. */
  decision: DecisionSchema,
  /** Probability that the presentation is bona fide (a live person), from the deciding model. */
  score: z.number().min(0).max(1),
  decidedBy: DeciderSchema,
  /** Threshold of the deciding model: score >= threshold is `live`. */
  threshold: z.number().min(0).max(1),
  /** Public model ids, `<name>@<sha256 prefix>`. */
  models: z.object({ student: z.string(), teacher: z.string().optional() }),
  /** The square the student saw, in pixels of the sent frame. */
  crop: z.object({ x: z.int(), y: z.int(), side: z.int() }),
  /** This frame's stages; `total` runs from the request's arrival to this frame's verdict. */
  timingsMs: TimingsSchema,
});
export type FrameVerdict = z.infer<typeof FrameVerdictSchema>;

/**
 * How a request's frames became one decision (models/README.md, "Bursts"): `spoof` if any frame is
 * `spoof`; otherwise `live` if at least `minLive` frames are `live`; otherwise `uncertain`.
 */
export const AggregateSchema = z.object({
  rule: z.literal("any-spoof-else-min-live"),
  frames: z.int().positive(),
  live: z.int().nonnegative(),
  spoof: z.int().nonnegative(),
  uncertain: z.int().nonnegative(),
  /** Live frames needed for `live`: ceil(BURST_MIN_LIVE_SHARE x frames). */
  minLive: z.int().positive(),
  /** Index of the frame whose verdict the top-level fields repeat. */
  decidingFrame: z.int().nonnegative(),
});
export type Aggregate = z.infer<typeof AggregateSchema>;

export const LivenessResponseSchema = z.object({
  requestId: z.string(),
  /** The request's decision (for a single frame, that frame's verdict). */
  decision: DecisionSchema,
  /**
   * The deciding frame's score (`aggregate.decidingFrame`): the most spoof-like spoof frame, the
   * least confident live frame, or the first uncertain frame.
   */
  score: z.number().min(0).max(1),
  decidedBy: DeciderSchema,
  /** Threshold of the deciding model: score >= threshold is `live`. */
  threshold: z.number().min(0).max(1),
  /** Student scores inside this band (inclusive) are sent to the teacher. */
  uncertaintyBand: z.tuple([z.number(), z.number()]),
  /** The deciding frame's models, public ids `<name>@<sha256 prefix>`. */
  models: z.object({ student: z.string(), teacher: z.string().optional() }),
  /** The deciding frame's crop: the square the student saw, in pixels of the sent frame. */
  crop: z.object({ x: z.int(), y: z.int(), side: z.int() }),
  /**
   * Per-stage wall-clock timings, summed over the frames (`total`: the whole request). Deployed
   * Workers advance timers only across I/O, so in production these are estimates; locally they
   * are measured (about 1 ms resolution).
   */
  timingsMs: TimingsSchema,
  /** Every frame's verdict, in request order (one entry for a single frame). */
  frames: z.array(FrameVerdictSchema).min(1),
  aggregate: AggregateSchema,
  /** Edge location that served the request (`request.cf.colo`), or the configured fallback. */
  region: z.string(),
});
export type LivenessResponse = z.infer<typeof LivenessResponseSchema>;
