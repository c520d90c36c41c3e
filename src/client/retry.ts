/** Statuses worth another attempt: the service is busy (429) or not ready yet (503). */
export const RETRYABLE_STATUSES: readonly number[] = [429, 503];

export interface BackoffOptions {
  /** Delay before the first retry when the service gives no Retry-After, milliseconds. */
  readonly baseDelayMs: number;
  /** Upper bound of any one wait, Retry-After included, milliseconds. */
  readonly maxDelayMs: number;
}

/**
 * Retry-After as milliseconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when
 * absent or unreadable. A date in the past means "now".
 */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Wait before retry number `retry` (1 for the first): the service's Retry-After when given,
 * otherwise exponential backoff with jitter (half to all of baseDelayMs x 2^(retry-1)); both capped at
 * maxDelayMs.
 */
export function retryDelayMs(retry: number, retryAfterMs: number | undefined, options: BackoffOptions, random: () => number): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, options.maxDelayMs);
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (retry - 1));
  return Math.round(ceiling * (0.5 + random() / 2));
}
