/** Service limits, read from the Worker's vars (wrangler.toml [vars]); defaults apply when unset. */
export interface ServiceConfig {
  /** Largest request body, bytes. */
  readonly maxBodyBytes: number;
  /** Largest decoded image, width x height pixels. */
  readonly maxImagePixels: number;
  /** Smallest image side, pixels. */
  readonly minImageSide: number;
  /** Region reported when request.cf has no colo. */
  readonly fallbackRegion: string;
  /** Whether frames in the uncertainty band are re-scored by the teacher (otherwise they are `uncertain`). */
  readonly teacherFallback: boolean;
  /** How long a request waits for the teacher, milliseconds; then the frame is `uncertain`. */
  readonly teacherTimeoutMs: number;
  /** Share (0..1) of confidently decided frames also scored by the teacher after the response. */
  readonly shadowSampleRate: number;
  /** Smallest interval between two KV writes of this isolate's SWAP rollup, milliseconds. */
  readonly rollupFlushMs: number;
  /** Most frames one POST /v1/liveness may carry (a burst). */
  readonly maxBurstFrames: number;
  /** Share of a burst's frames that must be `live` for a `live` decision (see aggregateFrames). */
  readonly burstMinLiveShare: number;
  /** Whether POST /v1/liveness needs a session nonce from POST /v1/sessions. */
  readonly requireSession: boolean;
  /** How long a session nonce is accepted, seconds. */
  readonly sessionTtlS: number;
  /** Origins allowed to call the API from a browser (CORS); empty: none besides the service's own pages. */
  readonly corsOrigins: readonly string[];
  /** Period of the rate-limiting bindings in seconds (wrangler.toml), sent as Retry-After. */
  readonly rateLimitPeriodS: number;
  /** How long an isolate reuses an API key lookup, seconds (a revocation takes up to this long, plus KV propagation). */
  readonly apiKeyCacheS: number;
}

export const DEFAULT_CONFIG: ServiceConfig = {
  maxBodyBytes: 2 * 1024 * 1024,
  maxImagePixels: 1024 * 1024,
  minImageSide: 32,
  fallbackRegion: "local",
  teacherFallback: true,
  teacherTimeoutMs: 2000,
  shadowSampleRate: 0,
  rollupFlushMs: 1000,
  maxBurstFrames: 5,
  burstMinLiveShare: 0.6,
  requireSession: false,
  sessionTtlS: 120,
  corsOrigins: [],
  rateLimitPeriodS: 60,
  apiKeyCacheS: 30,
};

function positiveInt(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got "${value}"`);
  return n;
}

function switchValue(value: string | undefined, fallback: boolean, name: string): boolean {
  if (value === undefined || value === "") return fallback;
  const v = value.trim().toLowerCase();
  if (["on", "true", "1", "yes"].includes(v)) return true;
  if (["off", "false", "0", "no"].includes(v)) return false;
  throw new Error(`${name} must be "on" or "off", got "${value}"`);
}

function fraction(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new Error(`${name} must be a number from 0 to 1, got "${value}"`);
  return n;
}

function nonNegativeInt(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${value}"`);
  return n;
}

function origins(value: string | undefined, name: string): string[] {
  if (value === undefined || value.trim() === "") return [];
  return value.split(",").map((o) => {
    const origin = o.trim();
    if (origin === "*") return origin;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      throw new Error(`${name} must be a comma-separated list of origins such as https://app.example, got "${origin}"`);
    }
    if (url.origin !== origin) throw new Error(`${name}: "${origin}" is not an origin (scheme://host[:port], no path), did you mean ${url.origin}?`);
    return origin;
  });
}

export function readConfig(env: Partial<Record<keyof Env, unknown>>): ServiceConfig {
  const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
  return {
    maxBodyBytes: positiveInt(str(env.MAX_BODY_BYTES), DEFAULT_CONFIG.maxBodyBytes, "MAX_BODY_BYTES"),
    maxImagePixels: positiveInt(str(env.MAX_IMAGE_PIXELS), DEFAULT_CONFIG.maxImagePixels, "MAX_IMAGE_PIXELS"),
    minImageSide: positiveInt(str(env.MIN_IMAGE_SIDE), DEFAULT_CONFIG.minImageSide, "MIN_IMAGE_SIDE"),
    fallbackRegion: str(env.FALLBACK_REGION) || DEFAULT_CONFIG.fallbackRegion,
    teacherFallback: switchValue(str(env.TEACHER_FALLBACK), DEFAULT_CONFIG.teacherFallback, "TEACHER_FALLBACK"),
    teacherTimeoutMs: positiveInt(str(env.TEACHER_TIMEOUT_MS), DEFAULT_CONFIG.teacherTimeoutMs, "TEACHER_TIMEOUT_MS"),
    shadowSampleRate: fraction(str(env.SHADOW_SAMPLE_RATE), DEFAULT_CONFIG.shadowSampleRate, "SHADOW_SAMPLE_RATE"),
    rollupFlushMs: Math.max(1000, positiveInt(str(env.ROLLUP_FLUSH_MS), DEFAULT_CONFIG.rollupFlushMs, "ROLLUP_FLUSH_MS")),
    maxBurstFrames: positiveInt(str(env.MAX_BURST_FRAMES), DEFAULT_CONFIG.maxBurstFrames, "MAX_BURST_FRAMES"),
    burstMinLiveShare: fraction(str(env.BURST_MIN_LIVE_SHARE), DEFAULT_CONFIG.burstMinLiveShare, "BURST_MIN_LIVE_SHARE"),
    requireSession: switchValue(str(env.REQUIRE_SESSION), DEFAULT_CONFIG.requireSession, "REQUIRE_SESSION"),
    sessionTtlS: positiveInt(str(env.SESSION_TTL_S), DEFAULT_CONFIG.sessionTtlS, "SESSION_TTL_S"),
    corsOrigins: origins(str(env.CORS_ORIGINS), "CORS_ORIGINS"),
    rateLimitPeriodS: positiveInt(str(env.RATE_LIMIT_PERIOD_S), DEFAULT_CONFIG.rateLimitPeriodS, "RATE_LIMIT_PERIOD_S"),
    apiKeyCacheS: nonNegativeInt(str(env.API_KEY_CACHE_S), DEFAULT_CONFIG.apiKeyCacheS, "API_KEY_CACHE_S"),
  };
}
