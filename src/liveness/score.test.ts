import { describe, expect, it } from "vitest";
import { bonafideScore } from "./score";

describe("bonafideScore", () => {
  it("is softmax(logits)[bonafideIndex]", () => {
    expect(bonafideScore([0, 0], 1)).toBe(0.5);
    expect(bonafideScore([-0.44724470376968384, 0.17744816839694977], 1)).toBeCloseTo(0.6512851152409659, 12);
    expect(bonafideScore([2, -1], 0)).toBeCloseTo(Math.exp(2) / (Math.exp(2) + Math.exp(-1)), 12);
  });

  it("stays finite for large logits", () => {
    expect(bonafideScore([1000, 0], 0)).toBe(1);
    expect(bonafideScore([1000, 0], 1)).toBe(0);
  });

  it("refuses non-finite logits and indices outside the output", () => {
    expect(() => bonafideScore([NaN, 1], 1)).toThrow();
    expect(() => bonafideScore([Infinity, 1], 1)).toThrow();
    expect(() => bonafideScore([0, 1], 2)).toThrow();
  });
});
