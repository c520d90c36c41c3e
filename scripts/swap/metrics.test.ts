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
  it("takes the candidate where pooled APCER and BPCER are closest, without interpolating", () => {
    // bona fide .9 .8 .7 .3, attacks .6 .2. Pooled APCER / BPCER: 1/2 vs 0 on (.2, .3], 1/2 vs 1/4
    // on (.3, .6], 0 vs 1/4 on (.6, .7]. The closest pairs are 1/4 apart, with means 3/8 and 1/8:
    // the lower mean is the EER. Interpolating between .6 and .7 would give 1/4.
    expect(eer([bona(0.9), bona(0.8), bona(0.7), bona(0.3), atk("print", 0.6), atk("print", 0.2)])).toBe(0.125);
  });
  it("is the common value where both rates are equal", () => {
    // APCER = BPCER = 1/3 for every threshold in (0.4, 0.6]
    expect(eer([bona(0.9), bona(0.6), bona(0.4), atk("print", 0.7), atk("print", 0.3), atk("print", 0.1)])).toBe(1 / 3);
    // 2/3 vs 1/3 at (.2, .5], 1/3 vs 2/3 at (.5, .8]: equally close, equal means
    expect(eer([bona(0.9), bona(0.5), bona(0.2), atk("print", 0.8), atk("print", 0.5), atk("print", 0.1)])).toBe(0.5);
  });
  it("is 0 when the classes separate", () => {
    expect(eer([bona(0.9), bona(0.7), atk("print", 0.3), atk("replay", 0.1)])).toBe(0);
  });
  it("uses pooled APCER", () => {
    // at t in (0.5, 0.65] print 0.8 alone is accepted: pooled APCER 1/4 (print's own 1/2), BPCER 1/4
    const r = eer([
      bona(0.9), bona(0.7), bona(0.65), bona(0.5),
      atk("print", 0.8), atk("print", 0.1), atk("replay", 0.2), atk("replay", 0.3),
    ]);
    expect(r).toBe(0.25);
  });
});

describe("non-finite scores and a missing class", () => {
  it("refuses scores that are not finite in every figure and in the threshold rule", () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const set = [bona(0.9), bona(bad), atk("print", 0.6), atk("mask", 0.1)];
      for (const f of [() => errorRates(set, 0.5), () => auc(set), () => eer(set), () => bpcerAtApcer(set, 0.05), () => operatingPoints(set), () => summarize(set, 0.5), () => thresholdFromVal(set)]) {
        expect(f).toThrow(`scores must be finite: got ${bad} (bonafide, bonafide)`);
      }
    }
  });
  it("gives NaN for every figure that needs the missing class", () => {
    const onlyBona = summarize([bona(0.9), bona(0.4), bona(0.7)], 0.5);
    expect(onlyBona.bpcer).toBeCloseTo(1 / 3, 12);
    expect(onlyBona.nAttack).toBe(0);
    for (const k of ["auc", "eer", "apcer", "apcerPooled", "acer", "hter", "bpcer20", "bpcer100"] as const) expect(onlyBona[k], k).toBeNaN();
    const onlyAttacks = summarize([atk("print", 0.9), atk("print", 0.4), atk("mask", 0.2)], 0.5);
    expect(onlyAttacks.apcer).toBe(0.5);
    expect(onlyAttacks.apcerBySpecies).toEqual({ mask: 0, print: 0.5 });
    for (const k of ["auc", "eer", "bpcer", "acer", "hter", "bpcer20", "bpcer100"] as const) expect(onlyAttacks[k], k).toBeNaN();
    expect(eer([])).toBeNaN();
    expect(operatingPoints([bona(0.9), bona(0.2)])[0]).toMatchObject({ apcer: Number.NaN, apcerPooled: Number.NaN, bpcer: 0 });
  });
  it("the threshold rule throws on a single class", () => {
    expect(() => thresholdFromVal([bona(0.9), bona(0.4)])).toThrow("thresholdFromVal needs bona fide and attack scores; got 2 bona fide and 0 attack");
    expect(() => thresholdFromVal([atk("print", 0.9), atk("mask", 0.4), atk("mask", 0.3)])).toThrow("got 0 bona fide and 3 attack");
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
  it("handles splits of hundreds of thousands of distinct scores", () => {
    // 300,000 distinct scores give 600,002 candidates: more than one call's arguments can hold
    const n = 300_000;
    const set: Scored[] = Array.from({ length: n }, (_, i) => (i % 2 ? bona(0.5 + (i / n) * 0.5) : atk(i % 4 ? "print" : "replay", (i / n) * 0.5)));
    // the classes separate between the highest attack (just below .5) and the lowest bona fide (just above .5)
    const thr = thresholdFromVal(set);
    expect(thr).toBeGreaterThan(((n - 2) / n) * 0.5);
    expect(thr).toBeLessThan(0.5 + (1 / n) * 0.5);
    expect(errorRates(set, thr)).toMatchObject({ apcer: 0, bpcer: 0 });
    expect(eer(set)).toBe(0);
  });
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
