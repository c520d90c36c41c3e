import { describe, expect, it } from "vitest";
import { extractCrop } from "./crop";
import { resizeNormaliseCrop, resizeTriangle } from "./resize";

describe("resizeTriangle (triangle-aa)", () => {
  it("is the identity at the same size", () => {
    const src = Float64Array.from({ length: 5 * 4 }, (_, i) => i * 3.5);
    expect(Array.from(resizeTriangle(src, 5, 4, 5, 4, 1))).toEqual(Array.from(src));
  });

  it("keeps a constant image constant", () => {
    const src = new Float64Array(37 * 23 * 3).fill(201);
    for (const v of resizeTriangle(src, 37, 23, 8, 11, 3)) expect(v).toBeCloseTo(201, 12);
  });

  it("enlarges like bilinear interpolation with half-pixel centres", () => {
    // 1-D, 2 -> 4: centres at 0.25 and 0.75 of the first pixel; edges clamp to the border sample
    const out = resizeTriangle(Float64Array.of(0, 100), 1, 2, 1, 4, 1);
    expect(Array.from(out)).toEqual([0, 25, 75, 100]);
  });

  it("averages with the widened triangle when shrinking by 2", () => {
    // scale 2, support 2: output 0 centre c = 1, taps j = 0..2 with weights 0.75, 0.75, 0.25
    const out = resizeTriangle(Float64Array.of(0, 4, 8, 12), 1, 4, 1, 2, 1);
    expect(out[0]).toBeCloseTo((0.75 * 0 + 0.75 * 4 + 0.25 * 8) / 1.75, 12);
    expect(out[1]).toBeCloseTo((0.25 * 4 + 0.75 * 8 + 0.75 * 12) / 1.75, 12);
  });

  it("resamples rows first, then columns, per channel", () => {
    const src = Float64Array.of(0, 10, 20, 30, 40, 50, 60, 70); // 2x2, 2 channels
    const out = resizeTriangle(src, 2, 2, 1, 1, 2);
    expect(out[0]).toBeCloseTo((0 + 20 + 40 + 60) / 4, 12);
    expect(out[1]).toBeCloseTo((10 + 30 + 50 + 70) / 4, 12);
  });
});

describe("resizeNormaliseCrop", () => {
  it("gives exactly what cropping, resizeTriangle and normalising give, shrinking and enlarging", () => {
    const width = 53;
    const height = 41;
    const data = Uint8Array.from({ length: width * height * 3 }, (_, i) => (i * 97 + (i >> 5) * 13) & 255);
    const norm = { scale: 1 / 255, mean: [0.5, 0.45, 0.4], std: [0.25, 0.2, 0.3] };
    for (const [window, outH, outW] of [
      [{ x0: 0, y0: 0, side: 41 }, 16, 16],
      [{ x0: 7, y0: 3, side: 30 }, 80, 80],
      [{ x0: 12, y0: 0, side: 41 }, 9, 13],
      [{ x0: 52, y0: 40, side: 1 }, 4, 4],
    ] as const) {
      const crop = extractCrop({ width, height, data }, window);
      const resized = resizeTriangle(crop, window.side, window.side, outH, outW, 3);
      const plane = outH * outW;
      const expected = new Float32Array(3 * plane);
      for (let c = 0; c < 3; c++) {
        for (let p = 0; p < plane; p++) expected[c * plane + p] = ((resized[p * 3 + c] ?? 0) * norm.scale - norm.mean[c]!) / norm.std[c]!;
      }
      expect(Array.from(resizeNormaliseCrop(data, width, window, outH, outW, norm))).toEqual(Array.from(expected));
    }
  });
});
