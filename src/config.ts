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
  };
}
