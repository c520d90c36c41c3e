/** Statuses worth another attempt: the service is busy (429) or not ready yet (503). */
export const RETRYABLE_STATUSES: readonly number[] = [429, 503];

export interface BackoffOptions {
  /** Delay before the first retry when the service gives no Retry-After, milliseconds. */
  readonly baseDelayMs: number;
  /** Longest wait between attempts, milliseconds: backoff is capped at it, and a longer Retry-After is not waited for. */
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
 * otherwise exponential backoff with jitter (half to all of baseDelayMs x 2^(retry-1)), capped at
 * maxDelayMs. Undefined when the service's Retry-After is longer than maxDelayMs: an attempt
 * before then would be refused as well, so there is no retry.
 */
export function retryDelayMs(retry: number, retryAfterMs: number | undefined, options: BackoffOptions, random: () => number): number | undefined {
  if (retryAfterMs === undefined) return backoffMs(retry, options, random);
  return retryAfterMs <= options.maxDelayMs ? retryAfterMs : undefined;
}

/** Exponential backoff with jitter before retry number `retry`: half to all of baseDelayMs x 2^(retry-1), capped at maxDelayMs. */
export function backoffMs(retry: number, options: BackoffOptions, random: () => number): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (retry - 1));
  return Math.round(ceiling * (0.5 + random() / 2));
}
