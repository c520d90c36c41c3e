import { ProblemError } from "../http/problem";
import { ApiKeyRecordSchema, bearerToken, isApiKeyShaped, keyIdOf, kvKeyOf, sha256Hex, type ApiKeyRecord, type Scope, SCOPES } from "./api-key";
import { timingSafeEqual } from "./signing";

/** Who is calling: a stored key, the local development key, or this Worker's own teacher binding. */
export interface Principal {
  readonly kind: "key" | "dev" | "internal";
  /** Public id (a key's hash prefix; `dev`; `internal`): what rate limits, sessions and logs use. */
  readonly id: string;
  readonly scopes: readonly Scope[];
}

/** Where key records are looked up: the API_KEYS KV namespace. */
export interface KeyLookup {
  get(key: string, type: "json"): Promise<unknown>;
}

export interface AuthenticatorOptions {
  /** The API_KEYS namespace; without it only the development key and the internal token work. */
  readonly keys?: KeyLookup;
  /** The local development key (DEV_API_KEY); honoured only for requests to a loopback host. */
  readonly devKey?: string;
  /** The teacher binding's credential (see internalTeacherToken). */
  readonly internalToken?: Promise<string | undefined>;
  /** How long a key lookup is reused by this isolate, milliseconds (a revocation takes this long to bite). */
  readonly cacheMs: number;
  readonly now?: () => number;
}

const CACHE_LIMIT = 2048;
const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** Whether `url` names a loopback host: the only place the local development key is honoured. */
export function isLoopbackUrl(url: string): boolean {
  return LOOPBACK_HOSTS.has(new URL(url).hostname);
}

/**
 * Turns `Authorization: Bearer <key>` into a Principal or a problem: 401 for a missing, malformed
 * or unknown key, 403 for a revoked key (and, in `authorize`, for a missing scope).
 */
export class Authenticator {
  readonly #keys: KeyLookup | undefined;
  readonly #devKey: Uint8Array | undefined;
  readonly #internalToken: Promise<Uint8Array | undefined>;
  readonly #cacheMs: number;
  readonly #now: () => number;
  readonly #cache = new Map<string, { record: ApiKeyRecord | null; until: number }>();

  constructor(options: AuthenticatorOptions) {
    this.#keys = options.keys;
    this.#devKey = options.devKey ? new TextEncoder().encode(options.devKey) : undefined;
    this.#internalToken = (options.internalToken ?? Promise.resolve(undefined)).then((t) => (t ? new TextEncoder().encode(t) : undefined));
    this.#cacheMs = options.cacheMs;
    this.#now = options.now ?? Date.now;
  }

  async authenticate(request: Request): Promise<Principal> {
    const token = bearerToken(request.headers.get("authorization"));
    if (token === undefined) {
      throw unauthorized("missing-api-key", "API key required", "send Authorization: Bearer <API key>");
    }
    const bytes = new TextEncoder().encode(token);
    if (this.#devKey && timingSafeEqual(bytes, this.#devKey) && isLoopbackUrl(request.url)) {
      return { kind: "dev", id: "dev", scopes: SCOPES };
    }
    const internal = await this.#internalToken;
    if (internal && timingSafeEqual(bytes, internal)) return { kind: "internal", id: "internal", scopes: ["teacher"] };
    if (!isApiKeyShaped(token)) throw unauthorized("invalid-api-key", "Invalid API key", "the API key is not one this service issued");

    const hash = await sha256Hex(token);
    const record = await this.#lookup(hash);
    if (!record) throw unauthorized("invalid-api-key", "Invalid API key", "the API key is not one this service issued");
    if (record.revokedAt !== undefined) {
      throw new ProblemError(403, { slug: "revoked-api-key", title: "API key revoked", detail: `key ${record.id} was revoked at ${record.revokedAt}` });
    }
    return { kind: "key", id: record.id, scopes: record.scopes };
  }

  async #lookup(hash: string): Promise<ApiKeyRecord | null> {
    const now = this.#now();
    const cached = this.#cache.get(hash);
    if (cached && cached.until > now) return cached.record;
    let record: ApiKeyRecord | null = null;
    if (this.#keys) {
      const stored = await this.#keys.get(kvKeyOf(hash), "json");
      const parsed = ApiKeyRecordSchema.safeParse(stored);
      if (parsed.success && parsed.data.id === keyIdOf(hash)) record = parsed.data;
      else if (stored !== null) console.error(JSON.stringify({ level: "error", apiKey: keyIdOf(hash), error: "stored key record is malformed" }));
    }
    if (this.#cache.size >= CACHE_LIMIT) this.#cache.clear();
    this.#cache.set(hash, { record, until: now + this.#cacheMs });
    return record;
  }
}

/** 403 unless `principal` holds `scope`. */
export function authorize(principal: Principal, scope: Scope): void {
  if (!principal.scopes.includes(scope)) {
    throw new ProblemError(403, {
      slug: "missing-scope",
      title: "Scope not granted",
      detail: `this route needs the "${scope}" scope; key ${principal.id} has ${principal.scopes.join(", ") || "none"}`,
    });
  }
}

function unauthorized(slug: "missing-api-key" | "invalid-api-key", title: string, detail: string): ProblemError {
  return new ProblemError(401, { slug, title, detail, headers: { "www-authenticate": 'Bearer realm="fas-edge"' } });
}
