import { z } from "zod";

/** POST /v1/sessions: a session id and its single-use nonce, sent with one liveness request as `meta.nonce`. */
export const SessionResponseSchema = z.looseObject({
  sessionId: z.string().min(1),
  nonce: z.string().min(1),
  /** ISO 8601 time after which the nonce is refused. */
  expiresAt: z.string().optional(),
});
export type SessionResponse = z.infer<typeof SessionResponseSchema>;
