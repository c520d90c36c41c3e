import { describe, expect, it } from "vitest";
import { bucketOf, bucketUpperMs, countOf, HISTOGRAM_LAYOUT, mergeInto, observe, quantileMs, type Histogram } from "./histogram";

describe("latency histogram", () => {
  it("puts a value in the bucket whose upper edge is at most 19 % above it", () => {
    for (const v of [0.07, 0.3, 1, 1.5, 7.3, 42, 999, 12_345]) {
      const upper = bucketUpperMs(bucketOf(v));
      expect(upper).toBeGreaterThanOrEqual(v);
      expect(upper).toBeLessThanOrEqual(v * 2 ** (1 / HISTOGRAM_LAYOUT.perDoubling) + 1e-9);
    }
    expect(bucketOf(0)).toBe(0);
    expect(bucketOf(1e9)).toBe(HISTOGRAM_LAYOUT.buckets - 1);
  });

  it("gives p50/p95 as bucket upper edges, null when empty", () => {
    const h: Histogram = {};
    expect(quantileMs(h, 0.5)).toBeNull();
    for (let v = 1; v <= 100; v++) observe(h, v);
    expect(countOf(h)).toBe(100);
    expect(quantileMs(h, 0.5)).toBeCloseTo(bucketUpperMs(bucketOf(50)), 3);
    expect(quantileMs(h, 0.95)).toBeCloseTo(bucketUpperMs(bucketOf(95)), 3);
  });

  it("merges by adding counts: two halves give the histogram of the whole", () => {
    const whole: Histogram = {};
    const a: Histogram = {};
    const b: Histogram = {};
    for (let i = 0; i < 500; i++) {
      const v = (i * 37) % 250;
      observe(whole, v);
      observe(i % 2 ? a : b, v);
    }
    mergeInto(a, b);
    expect(a).toEqual(whole);
  });
});
