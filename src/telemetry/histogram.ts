/**
 * Latency histograms that merge by adding counts: every histogram uses the same fixed,
 * logarithmic buckets, so histograms written by different isolates add up exactly.
 *
 * Bucket 0 holds values <= MIN_MS; bucket i > 0 holds (MIN_MS * 2^((i-1)/PER_DOUBLING),
 * MIN_MS * 2^(i/PER_DOUBLING)]; the last bucket also takes everything above its lower edge.
 * A quantile is reported as the upper edge of the bucket it falls in, so it is never below the
 * true value and at most 2^(1/PER_DOUBLING) - 1 (19 %) above it (values <= MIN_MS excepted).
 */
export const HISTOGRAM_LAYOUT = { minMs: 0.0625, perDoubling: 4, buckets: 81 } as const;

export const HISTOGRAM_KIND =
  "log-bucketed, 4 buckets per doubling from 0.0625 ms to ~65 s (mergeable by adding counts); " +
  "a quantile is the upper edge of its bucket: never below the true value, at most 19 % above it";

/** Sparse counts by bucket index. */
export type Histogram = Record<string, number>;

export function bucketOf(ms: number): number {
  const { minMs, perDoubling, buckets } = HISTOGRAM_LAYOUT;
  if (!(ms > minMs)) return 0;
  return Math.min(buckets - 1, Math.ceil(perDoubling * Math.log2(ms / minMs) - 1e-9));
}

export function bucketUpperMs(bucket: number): number {
  const { minMs, perDoubling } = HISTOGRAM_LAYOUT;
  return minMs * 2 ** (bucket / perDoubling);
}

export function observe(histogram: Histogram, ms: number): void {
  const key = String(bucketOf(ms));
  histogram[key] = (histogram[key] ?? 0) + 1;
}

/** Adds `from` into `into`. */
export function mergeInto(into: Histogram, from: Histogram): void {
  for (const [key, count] of Object.entries(from)) into[key] = (into[key] ?? 0) + count;
}

export function countOf(histogram: Histogram): number {
  let n = 0;
  for (const count of Object.values(histogram)) n += count;
  return n;
}

/** The q-quantile (0 < q <= 1) as a bucket's upper edge in ms; null for an empty histogram. */
export function quantileMs(histogram: Histogram, q: number): number | null {
  const entries = Object.entries(histogram)
    .map(([key, count]) => [Number(key), count] as const)
    .filter(([, count]) => count > 0)
    .sort((a, b) => a[0] - b[0]);
  const n = entries.reduce((sum, [, count]) => sum + count, 0);
  if (n === 0) return null;
  const rank = Math.max(1, Math.ceil(q * n));
  let seen = 0;
  for (const [bucket, count] of entries) {
    seen += count;
    if (seen >= rank) return Math.round(bucketUpperMs(bucket) * 1000) / 1000;
  }
  return null;
}
