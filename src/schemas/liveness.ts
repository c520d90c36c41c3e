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
  /** Where the face is in `frame`; without it, `frame` is taken to be a face crop already. */
  box: FaceBoxSchema.optional(),
});
export type LivenessMeta = z.infer<typeof LivenessMetaSchema>;

export const DecisionSchema = z.enum(["live", "spoof", "uncertain"]);
export type Decision = z.infer<typeof DecisionSchema>;

export const DeciderSchema = z.enum(["student", "teacher"]);
export type Decider = z.infer<typeof DeciderSchema>;

const Milliseconds = z.number().nonnegative();

export const LivenessResponseSchema = z.object({
  requestId: z.string(),
  /** `uncertain` is never `live`: the student was unsure and no teacher answer was available. */
  decision: DecisionSchema,
  /** Probability that the presentation is bona fide (a live person), from the deciding model. */
  score: z.number().min(0).max(1),
  decidedBy: DeciderSchema,
  /** Threshold of the deciding model: score >= threshold is `live`. */
  threshold: z.number().min(0).max(1),
  /** Student scores inside this band (inclusive) are sent to the teacher. */
  uncertaintyBand: z.tuple([z.number(), z.number()]),
  /** Public model ids, `<name>@<sha256 prefix>`. */
  models: z.object({ student: z.string(), teacher: z.string().optional() }),
  /** The square the student saw, in pixels of the sent frame. */
  crop: z.object({ x: z.int(), y: z.int(), side: z.int() }),
  /**
   * Per-stage wall-clock timings. Deployed Workers advance timers only across I/O, so in production
   * these are estimates; locally they are measured (about 1 ms resolution).
   */
  timingsMs: z.object({
    decode: Milliseconds,
    preprocess: Milliseconds,
    student: Milliseconds,
    teacher: Milliseconds.optional(),
    total: Milliseconds,
  }),
  /** Edge location that served the request (`request.cf.colo`), or the configured fallback. */
  region: z.string(),
});
export type LivenessResponse = z.infer<typeof LivenessResponseSchema>;
