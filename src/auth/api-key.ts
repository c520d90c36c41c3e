import { z } from "zod";

/**
 * API keys. A key is `fas_` + 43 base64url characters (32 random bytes); only its SHA-256 is
 * stored (KV `API_KEYS`, key `apikey/<sha256 hex>`), with a record naming its scopes. The first
 * 12 hex digits of the hash are the key's public id (listing, revoking, logs, rate limits).
 * Keys are random, not chosen by people, so a plain SHA-256 is enough: there is nothing for a
 * slow password hash to protect against.
 */

/** What a key may do: POST /v1/liveness and /v1/sessions; POST /v1/liveness/teacher; GET /v1/swap. */
export const SCOPES = ["liveness", "teacher", "metrics"] as const;
export const ScopeSchema = z.enum(SCOPES);
export type Scope = z.infer<typeof ScopeSchema>;

export const API_KEY_PREFIX = "fas_";
const API_KEY_PATTERN = /^fas_[A-Za-z0-9_-]{16,128}$/;
export const KV_KEY_PREFIX = "apikey/";

/** The stored record of a key (the KV value, also kept as the entry's metadata for listing). */
export const ApiKeyRecordSchema = z.object({
  /** Public id: the first 12 hex digits of the key's SHA-256. */
  id: z.string().regex(/^[0-9a-f]{12}$/),
  /** Who or what the key is for. */
  name: z.string().max(200),
  scopes: z.array(ScopeSchema),
  /** ISO 8601 times. */
  createdAt: z.string(),
  revokedAt: z.string().optional(),
});
export type ApiKeyRecord = z.infer<typeof ApiKeyRecordSchema>;

export function isApiKeyShaped(key: string): boolean {
  return API_KEY_PATTERN.test(key);
}

export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return hex(new Uint8Array(digest));
}

export const keyIdOf = (hash: string): string => hash.slice(0, 12);
export const kvKeyOf = (hash: string): string => `${KV_KEY_PREFIX}${hash}`;

/** A new random key. */
export function generateApiKey(): string {
  return API_KEY_PREFIX + base64url(crypto.getRandomValues(new Uint8Array(32)));
}

/** The key of an `Authorization: Bearer <key>` header, or undefined. */
export function bearerToken(header: string | null): string | undefined {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? "");
  return match?.[1];
}

export function hex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

export function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function fromBase64url(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined;
  try {
    const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}
