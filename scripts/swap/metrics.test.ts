import { describe, expect, it } from "vitest";
import {
  auc,
  bpcerAtApcer,
  eer,
  errorRates,
  operatingPoints,
  quantile,
  summarize,
  thresholdFromVal,
  type Scored,
} from "./metrics";

const bona = (score: number): Scored => ({ score, label: "bonafide", species: "bonafide" });
const atk = (species: string, score: number): Scored => ({ score, label: "attack", species });

describe("errorRates", () => {
  // bona fide 0.9 0.8 0.7 0.3 | print 0.6 0.2 | replay 0.75 0.1 0.05 | mask 0.1
  const set = [
    bona(0.9), bona(0.8), bona(0.7), bona(0.3),
    atk("print", 0.6), atk("print", 0.2),
    atk("replay", 0.75), atk("replay", 0.1), atk("replay", 0.05),
    atk("mask", 0.1),
  ];

  it("reports APCER as the maximum over species, not the pooled rate", () => {
    const r = errorRates(set, 0.5);
    expect(r.apcerBySpecies).toEqual({ mask: 0, print: 0.5, replay: 1 / 3 });
    expect(r.apcer).toBe(0.5);
    expect(r.apcerPooled).toBeCloseTo(2 / 6, 12);
    expect(r.bpcer).toBe(0.25);
    expect(r.acer).toBeCloseTo(0.375, 12);
    expect(r.hter).toBeCloseTo(7 / 24, 12);
    expect(r.nBonafide).toBe(4);
    expect(r.nAttack).toBe(6);
  });

  it("accepts a score equal to the threshold as bona fide", () => {
    const r = errorRates(set, 0.6);
    expect(r.apcerBySpecies.print).toBe(0.5); // 0.6 >= 0.6 is accepted
    expect(r.bpcer).toBe(0.25);
    const above = errorRates(set, 0.6000001);
    expect(above.apcerBySpecies.print).toBe(0);
    expect(above.apcer).toBeCloseTo(1 / 3, 12);
  });
});

describe("auc", () => {
  it("counts ties as one half (Mann-Whitney)", () => {
    // bona 0.8 0.5 0.5 vs attack 0.5 0.2: wins 1+1 (0.8), 0.5+1 (0.5), 0.5+1 (0.5) = 5 of 6 pairs
    expect(auc([bona(0.8), bona(0.5), bona(0.5), atk("print", 0.5), atk("print", 0.2)])).toBeCloseTo(5 / 6, 12);
  });
  it("is 1 for perfect separation, 0.5 when everything ties, 0 when inverted", () => {
    expect(auc([bona(0.9), bona(0.8), atk("print", 0.1)])).toBe(1);
    expect(auc([bona(0.5), atk("print", 0.5), atk("mask", 0.5)])).toBe(0.5);
    expect(auc([bona(0.1), atk("print", 0.9)])).toBe(0);
  });
});

describe("eer", () => {
  it("interpolates linearly between the two bracketing operating points", () => {
    // t=0.2: APCER 2/3, BPCER 0; t=0.5: APCER 2/3, BPCER 1/3; t=0.8: APCER 1/3, BPCER 2/3.
    // Between 0.5 and 0.8 the difference goes 1/3 -> -1/3, so f = 1/2: EER = 1/2, threshold 0.65.
    const r = eer([bona(0.9), bona(0.5), bona(0.2), atk("print", 0.8), atk("print", 0.5), atk("print", 0.1)]);
    expect(r.eer).toBeCloseTo(0.5, 12);
    expect(r.threshold).toBeCloseTo(0.65, 12);
  });
  it("takes the middle of a range where both rates are equal", () => {
    // APCER = BPCER = 1/3 for every threshold in (0.4, 0.6]
    const r = eer([bona(0.9), bona(0.6), bona(0.4), atk("print", 0.7), atk("print", 0.3), atk("print", 0.1)]);
    expect(r.eer).toBeCloseTo(1 / 3, 12);
    expect(r.threshold).toBeCloseTo(0.5, 12);
  });
  it("puts the threshold in the gap when the classes separate", () => {
    const r = eer([bona(0.9), bona(0.7), atk("print", 0.3), atk("replay", 0.1)]);
    expect(r.eer).toBe(0);
    expect(r.threshold).toBeCloseTo(0.5, 12);
  });
  it("uses pooled APCER", () => {
    // print 0.8 alone is accepted at 0.6; pooled APCER there is 1/4 while print's own is 1/2
    const r = eer([
      bona(0.9), bona(0.7), bona(0.65), bona(0.5),
      atk("print", 0.8), atk("print", 0.1), atk("replay", 0.2), atk("replay", 0.3),
    ]);
    // t=0.5: A 1/4, B 0 ; t=0.65: A 1/4, B 1/4 -> equal on (0.5, 0.65] -> threshold 0.575
    expect(r.eer).toBeCloseTo(0.25, 12);
    expect(r.threshold).toBeCloseTo(0.575, 12);
  });
});

describe("bpcerAtApcer", () => {
  const set = [
    bona(0.95), bona(0.9), bona(0.8), bona(0.6), bona(0.5),
    atk("print", 0.85), atk("print", 0.4), atk("print", 0.3), atk("print", 0.2), atk("print", 0.1),
    atk("replay", 0.7), atk("replay", 0.3), atk("replay", 0.2), atk("replay", 0.1), atk("replay", 0.05),
  ];
  it("holds the per-species maximum APCER under the target", () => {
    // BPCER20: only t >= 0.9 keeps print at 0 -> bona 0.8 0.6 0.5 rejected
    expect(bpcerAtApcer(set, 0.05)).toEqual({ bpcer: 0.6, threshold: 0.9 });
    // At 10 %: the pooled rate would allow t = 0.8 (1 of 10 attacks, BPCER 0.4), but print alone is
    // then at 1/5, so the threshold stays at 0.9
    expect(bpcerAtApcer(set, 0.1).bpcer).toBe(0.6);
    // At 20 %: t = 0.5 accepts one print and one replay of five each -> BPCER 0
    expect(bpcerAtApcer(set, 0.2)).toEqual({ bpcer: 0, threshold: 0.5 });
  });
  it("summarize reports BPCER20 and BPCER100", () => {
    const s = summarize(set, 0.5);
    expect(s.bpcer20).toBe(0.6);
    expect(s.bpcer100).toBe(0.6);
    expect(s.apcer).toBe(0.2);
    expect(s.bpcer).toBe(0);
    expect(s.acer).toBeCloseTo(0.1, 12);
  });
});

describe("thresholdFromVal", () => {
  it("takes the middle of the widest run of minimum-ACER candidates", () => {
    // separable: candidates 0, 0.2, 0.5, 0.8, 0.1, 0.3, 0.7, 0.9, 1+eps; ACER 0 on [0.5, 0.7]
    expect(thresholdFromVal([bona(0.9), bona(0.7), atk("print", 0.3), atk("mask", 0.1)])).toBeCloseTo(0.6, 12);
  });
  it("minimises ACER with APCER taken per species", () => {
    // bona 0.9 0.6 | print 0.7 | replay 0.2 0.3 0.4 0.5
    // t in (0.5, 0.6]: APCER max(1, 0) = 1 -> ACER 0.5; t in (0.7, 0.9]: APCER 0, BPCER 1/2 -> 0.25;
    // t in (0.6, 0.7]: APCER 1, BPCER 1/2 -> 0.75. Best run: candidates 0.8 (mid 0.7/0.9) and 0.9 -> 0.85
    const set = [bona(0.9), bona(0.6), atk("print", 0.7), atk("replay", 0.2), atk("replay", 0.3), atk("replay", 0.4), atk("replay", 0.5)];
    expect(thresholdFromVal(set)).toBeCloseTo(0.85, 12);
  });
});

describe("operatingPoints", () => {
  it("starts by accepting everything and ends by rejecting everything", () => {
    const pts = operatingPoints([bona(0.9), atk("print", 0.2), atk("mask", 0.4)]);
    expect(pts.map((p) => p.threshold)).toEqual([0.2, 0.4, 0.9, Number.POSITIVE_INFINITY]);
    expect(pts[0]).toMatchObject({ apcer: 1, apcerPooled: 1, bpcer: 0 });
    expect(pts[1]).toMatchObject({ apcer: 1, apcerPooled: 0.5, bpcer: 0 });
    expect(pts[3]).toMatchObject({ apcer: 0, apcerPooled: 0, bpcer: 1 });
  });
});

describe("quantile", () => {
  it("interpolates between order statistics", () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([10, 20, 30, 40, 50], 0.95)).toBeCloseTo(48, 12);
    expect(quantile([7], 0.95)).toBe(7);
  });
});
