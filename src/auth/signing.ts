import { hex } from "./api-key";

/** HMAC-SHA256 of `message` under `secret` (the Worker's SIGNING_SECRET). */
export async function hmacSha256(secret: string, message: string): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(message)));
}

/** Compares two byte strings in time that depends only on their lengths. */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

/**
 * The credential the Worker's own TEACHER service binding presents to POST /v1/liveness/teacher:
 * derived from SIGNING_SECRET, so only invocations of this Worker know it.
 */
export async function internalTeacherToken(secret: string): Promise<string> {
  return `fas_internal_${hex(await hmacSha256(secret, "fas-edge/teacher-binding/v1"))}`;
}
