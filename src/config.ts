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
}

export const DEFAULT_CONFIG: ServiceConfig = {
  maxBodyBytes: 2 * 1024 * 1024,
  maxImagePixels: 1024 * 1024,
  minImageSide: 32,
  fallbackRegion: "local",
};

function positiveInt(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got "${value}"`);
  return n;
}

export function readConfig(env: Partial<Record<keyof Env, unknown>>): ServiceConfig {
  const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
  return {
    maxBodyBytes: positiveInt(str(env.MAX_BODY_BYTES), DEFAULT_CONFIG.maxBodyBytes, "MAX_BODY_BYTES"),
    maxImagePixels: positiveInt(str(env.MAX_IMAGE_PIXELS), DEFAULT_CONFIG.maxImagePixels, "MAX_IMAGE_PIXELS"),
    minImageSide: positiveInt(str(env.MIN_IMAGE_SIDE), DEFAULT_CONFIG.minImageSide, "MIN_IMAGE_SIDE"),
    fallbackRegion: str(env.FALLBACK_REGION) || DEFAULT_CONFIG.fallbackRegion,
  };
}
