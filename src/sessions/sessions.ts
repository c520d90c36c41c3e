import type { Principal } from "../auth/authenticator";
import { base64url } from "../auth/api-key";
import { ProblemError } from "../http/problem";
import type { SessionResponse } from "../schemas/session";
import { signNonce, verifyNonce } from "./nonce";
import type { SessionLedger } from "./session-ledger";

export interface SessionsOptions {
  /** SIGNING_SECRET; without it sessions cannot be issued or checked. */
  readonly secret?: string;
  /** The SESSIONS Durable Object namespace (single use). */
  readonly ledger?: DurableObjectNamespace<SessionLedger>;
  readonly ttlS: number;
  readonly now?: () => number;
}

/**
 * Anti-replay sessions: POST /v1/sessions issues a signed nonce bound to the caller's key and
 * valid for `ttlS`; POST /v1/liveness redeems it once. Forged, foreign, expired and replayed
 * nonces are refused with problem details.
 */
export class Sessions {
  constructor(private readonly options: SessionsOptions) {}

  async open(principal: Principal): Promise<SessionResponse> {
    const { secret } = this.#ready();
    const now = (this.options.now ?? Date.now)();
    const exp = Math.floor(now / 1000) + this.options.ttlS;
    const sessionId = base64url(crypto.getRandomValues(new Uint8Array(16)));
    const nonce = await signNonce(secret, { sid: sessionId, kid: principal.id, exp });
    return { sessionId, nonce, expiresAt: new Date(exp * 1000).toISOString() };
  }

  /** Checks `nonce` for `principal` and marks it used; throws the matching problem otherwise. */
  async redeem(principal: Principal, nonce: string): Promise<void> {
    const { secret, ledger } = this.#ready();
    const nowS = (this.options.now ?? Date.now)() / 1000;
    const claims = await verifyNonce(secret, nonce, principal.id, nowS);
    const fresh = await ledger.get(ledger.idFromName(claims.sid)).consume(claims.exp * 1000);
    if (!fresh) {
      throw new ProblemError(409, {
        slug: "session-replayed",
        title: "Session already used",
        detail: "this session's nonce has been used; open a new session for each liveness check",
      });
    }
  }

  #ready(): { secret: string; ledger: DurableObjectNamespace<SessionLedger> } {
    const { secret, ledger } = this.options;
    if (!secret || !ledger) {
      throw new ProblemError(503, {
        slug: "sessions-unavailable",
        title: "Sessions not configured",
        detail: "the service has no SIGNING_SECRET or SESSIONS binding",
        headers: { "retry-after": "60" },
      });
    }
    return { secret, ledger };
  }
}
