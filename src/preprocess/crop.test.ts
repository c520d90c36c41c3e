import { describe, expect, it } from "vitest";
import { boxInsideImage, cropWindow, extractCrop } from "./crop";

describe("cropWindow (models/README.md step 1)", () => {
  it("takes the centred square without a box", () => {
    expect(cropWindow(160, 120, undefined, 1.5)).toEqual({ x0: 20, y0: 0, side: 120 });
    expect(cropWindow(101, 200, undefined, 1.5)).toEqual({ x0: 0, y0: 49, side: 101 });
  });

  it("scales the longer box side, rounds halves up, and centres on the box", () => {
    // side = floor(56 * 1.5 + 0.5) = 84; cx = 84, cy = 58 -> x0 = 42, y0 = 16
    expect(cropWindow(160, 120, [62, 30, 44, 56], 1.5)).toEqual({ x0: 42, y0: 16, side: 84 });
    // side = floor(5 * 1.5 + 0.5) = 8 (7.5 rounds up, unlike Python's round-half-even); x0 = floor(12.5 - 4 + 0.5) = 9
    expect(cropWindow(100, 100, [10, 10, 5, 5], 1.5)).toEqual({ x0: 9, y0: 9, side: 8 });
  });

  it("clamps the side to the image and the window into the image", () => {
    expect(cropWindow(100, 80, [0, 0, 90, 90], 2)).toEqual({ x0: 5, y0: 0, side: 80 });
    expect(cropWindow(100, 80, [90, 70, 10, 10], 1.5)).toEqual({ x0: 85, y0: 65, side: 15 });
    expect(cropWindow(100, 80, [0, 0, 10, 10], 1.5)).toEqual({ x0: 0, y0: 0, side: 15 });
  });
});

describe("boxInsideImage", () => {
  it("accepts boxes inside the frame only", () => {
    expect(boxInsideImage([0, 0, 100, 80], 100, 80)).toBe(true);
    expect(boxInsideImage([1, 0, 100, 80], 100, 80)).toBe(false);
    expect(boxInsideImage([-1, 0, 10, 10], 100, 80)).toBe(false);
    expect(boxInsideImage([10, 10, 0, 10], 100, 80)).toBe(false);
  });
});

describe("extractCrop", () => {
  it("copies the window's pixels in row-major RGB order", () => {
    const data = Uint8Array.from({ length: 4 * 3 * 3 }, (_, i) => i);
    const crop = extractCrop({ width: 4, height: 3, data }, { x0: 1, y0: 1, side: 2 });
    expect(Array.from(crop)).toEqual([15, 16, 17, 18, 19, 20, 27, 28, 29, 30, 31, 32]);
  });
});
