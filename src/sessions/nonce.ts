import { base64url, fromBase64url } from "../auth/api-key";
import { hmacSha256, timingSafeEqual } from "../auth/signing";
import { ProblemError } from "../http/problem";

/**
 * Session nonces: `v1.<payload>.<signature>`, base64url, where the payload is
 * `{"sid": session id, "kid": id of the key that opened it, "exp": expiry in Unix seconds}` and
 * the signature is HMAC-SHA256 under SIGNING_SECRET. The signature makes them unforgeable and
 * binds them to one key; single use is enforced by the SessionLedger Durable Object.
 */
export interface SessionClaims {
  readonly sid: string;
  readonly kid: string;
  readonly exp: number;
}

const VERSION = "v1";

export async function signNonce(secret: string, claims: SessionClaims): Promise<string> {
  const payload = base64url(new TextEncoder().encode(JSON.stringify(claims)));
  const signature = base64url(await hmacSha256(secret, `${VERSION}.${payload}`));
  return `${VERSION}.${payload}.${signature}`;
}

/**
 * The claims of a nonce this service signed for `keyId` that has not expired at `nowS`; otherwise
 * 401 invalid-session (malformed or forged), 403 foreign-session (another key's), 401 session-expired.
 */
export async function verifyNonce(secret: string, nonce: string, keyId: string, nowS: number): Promise<SessionClaims> {
  const forged = () =>
    new ProblemError(401, { slug: "invalid-session", title: "Invalid session nonce", detail: "the nonce was not issued by this service" });
  const parts = nonce.split(".");
  if (nonce.length > 512 || parts.length !== 3 || parts[0] !== VERSION) throw forged();
  const [, payload = "", signature = ""] = parts;
  const sent = fromBase64url(signature);
  const expected = await hmacSha256(secret, `${VERSION}.${payload}`);
  if (!sent || !timingSafeEqual(sent, expected)) throw forged();
  let claims: unknown;
  try {
    claims = JSON.parse(new TextDecoder().decode(fromBase64url(payload)));
  } catch {
    throw forged();
  }
  if (!isClaims(claims)) throw forged();
  if (claims.kid !== keyId) {
    throw new ProblemError(403, { slug: "foreign-session", title: "Session of another key", detail: "the nonce was issued to a different API key" });
  }
  if (claims.exp <= nowS) {
    throw new ProblemError(401, {
      slug: "session-expired",
      title: "Session expired",
      detail: `the nonce expired at ${new Date(claims.exp * 1000).toISOString()}; open a new session`,
    });
  }
  return claims;
}

function isClaims(value: unknown): value is SessionClaims {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.sid === "string" && typeof v.kid === "string" && typeof v.exp === "number" && Number.isFinite(v.exp);
}
