import { ProblemError } from "../http/problem";
import type { Principal } from "./authenticator";

export interface RateLimitOptions {
  /** Limit per API key, all its clients together (the RATE_LIMIT_KEY binding). */
  readonly perKey?: RateLimit;
  /** Limit per API key and client address (the RATE_LIMIT_CLIENT binding): one device cannot use up a key's budget. */
  readonly perClient?: RateLimit;
  /** The bindings' period in seconds (wrangler.toml), sent as Retry-After. */
  readonly periodS: number;
}

/**
 * Per-key and per-client request limits through the Workers rate-limiting bindings (counted per
 * edge location, eventually consistent: a guard against floods, not an exact quota). Stored keys
 * only: the local development key and the Worker's own teacher calls are not limited.
 */
export class RateLimits {
  constructor(private readonly options: RateLimitOptions) {}

  async check(principal: Principal, request: Request): Promise<void> {
    if (principal.kind !== "key") return;
    const { perKey, perClient, periodS } = this.options;
    const client = request.headers.get("cf-connecting-ip") ?? "unknown";
    const [keyOk, clientOk] = await Promise.all([
      perKey ? perKey.limit({ key: principal.id }).then((o) => o.success) : true,
      perClient ? perClient.limit({ key: `${principal.id}/${client}` }).then((o) => o.success) : true,
    ]);
    if (keyOk && clientOk) return;
    throw new ProblemError(429, {
      slug: "rate-limited",
      title: "Too many requests",
      detail: keyOk ? `too many requests from this client for key ${principal.id}` : `too many requests for key ${principal.id}`,
      headers: { "retry-after": String(periodS) },
    });
  }
}
