import { z } from "zod";

/**
 * POST /v1/sessions, as the client expects it from a service with sessions: an id and a one-time
 * nonce that the session's frames carry in `meta.nonce`. When the service gains the route, this
 * schema moves to src/schemas/ beside the others and the client imports it from there.
 */
export const SessionResponseSchema = z.looseObject({
  sessionId: z.string().min(1),
  nonce: z.string().min(1),
  /** ISO 8601 time after which the nonce is refused. */
  expiresAt: z.string().optional(),
});
export type SessionResponse = z.infer<typeof SessionResponseSchema>;
