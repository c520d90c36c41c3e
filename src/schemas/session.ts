import { z } from "zod";

/** POST /v1/sessions: a session id and its single-use nonce, sent with one liveness request as `meta.nonce`. */
export const SessionResponseSchema = z.looseObject({
  sessionId: z.string().min(1),
  nonce: z.string().min(1),
  /** ISO 8601 time after which the nonce is refused. */
  expiresAt: z.string().optional(),
});
export type SessionResponse = z.infer<typeof SessionResponseSchema>;

/**
 * Response header of POST /v1/liveness: `unspent` when the request redeemed no session nonce (it was
 * refused before that: a bad key, a rate limit, an unusable body, a frame that cannot be read, a
 * model that cannot load), so its nonce may go with another request; `spent` once a nonce was
 * redeemed or refused. A client that gets neither (no answer, or one from something other than the Worker) has
 * to take the nonce as spent.
 */
export const SESSION_NONCE_STATE_HEADER = "x-session-nonce-state";
