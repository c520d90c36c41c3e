import type { Authenticator, Principal } from "./auth/authenticator";
import type { RateLimits } from "./auth/rate-limit";
import type { ServiceConfig } from "./config";
import type { LivenessInput } from "./http/liveness-request";
import type { TeacherVerdict } from "./liveness/cascade";
import type { ModelRegistry } from "./models/model-registry";
import type { LivenessEventSink } from "./telemetry/liveness-event";
import type { ScoredLiveness } from "./telemetry/liveness-telemetry";
import type { Sessions } from "./sessions/sessions";
import type { MergedRollups, RollupReadOptions } from "./telemetry/rollup-reader";

/** What every route gets from the app: the isolate's models, the configured limits and the optional parts. */
export interface Services {
  readonly registry: ModelRegistry;
  readonly config: ServiceConfig;
  /** API keys: who is calling (every /v1 route but GET /v1/models). */
  readonly auth: Authenticator;
  /** Per-key and per-client request limits; none when absent. */
  readonly rateLimits?: RateLimits;
  /** Anti-replay session nonces. */
  readonly sessions: Sessions;
  /**
   * Second opinion for frames whose student score lies in the uncertainty band (the teacher
   * fallback). Without it, or when it answers undefined, such frames are `uncertain`.
   */
  readonly teacher?: (input: LivenessInput) => Promise<TeacherVerdict | undefined>;
  /**
   * Telemetry: called after the response, once per frame of a POST /v1/liveness that got a decision
   * (a burst of n frames: n events) and once per refused or failed request.
   * A teacher that rejects (timeout, failure) leaves the frame `uncertain`; the event records why.
   */
  readonly recordLiveness?: LivenessEventSink;
  /** Reads the merged SWAP rollups of all isolates, for GET /v1/swap. */
  readonly swap?: { read(options?: RollupReadOptions): Promise<MergedRollups> };
  /** Draw for shadow sampling, uniform in [0, 1); Math.random when absent. */
  readonly random?: () => number;
}

export interface AppVariables {
  requestId: string;
  services: Services;
  /** The authenticated caller, set by requireScope. */
  principal: Principal;
  /** performance.now() when the request reached the app. */
  startedAt: number;
  /** Set by POST /v1/liveness just before it redeems a session nonce (SESSION_NONCE_STATE_HEADER). */
  sessionNonceSpent?: boolean;
  /** Set by POST /v1/liveness once it has a decision: what the SWAP telemetry records about it. */
  liveness?: ScoredLiveness;
}

export type AppEnv = { Bindings: Env; Variables: AppVariables };
