import { describe, expect, it } from "vitest";
import { crossFrame, heldOutApcer } from "./cross";
import type { Sample } from "./dataset";
import type { Scored } from "./metrics";

const s = (split: string, label: "bonafide" | "attack", instrument: string): Sample => ({
  path: "x.jpg",
  label,
  species: label === "bonafide" ? "bonafide" : "print",
  instrument,
  subject: "s",
  split,
  box: undefined,
  source: "synthetic",
});

describe("crossFrame", () => {
  const held = ["printer_b", "screen_b"];
  it("keeps val frames of seen instruments only", () => {
    expect(crossFrame(s("val", "bonafide", "none"), held)).toBe(true);
    expect(crossFrame(s("val", "attack", "printer_a"), held)).toBe(true);
    expect(crossFrame(s("val", "attack", "printer_b"), held)).toBe(false);
  });
  it("tests on bona fide plus the held-out instruments only", () => {
    expect(crossFrame(s("test", "bonafide", "none"), held)).toBe(true);
    expect(crossFrame(s("test", "attack", "screen_b"), held)).toBe(true);
    expect(crossFrame(s("test", "attack", "screen_a"), held)).toBe(false);
    expect(crossFrame(s("train", "attack", "screen_b"), held)).toBe(false);
  });
});

describe("heldOutApcer", () => {
  const a = (species: string, instrument: string, score: number): Scored & { instrument: string } => ({ score, label: "attack", species, instrument });
  const test = [
    { score: 0.9, label: "bonafide" as const, species: "bonafide", instrument: "none" },
    // held out: print 1 of 4 accepted, mask 1 of 2 accepted -> pooled 2/6, max over species 1/2
    a("print", "printer_b", 0.7), a("print", "printer_b", 0.2), a("print", "printer_b", 0.1), a("print", "printer_b", 0.3),
    a("mask", "mask_b", 0.8), a("mask", "mask_b", 0.1),
    // seen instruments: not counted, although every one is accepted
    a("replay", "screen_a", 0.95), a("replay", "screen_a", 0.99),
  ];
  it("is the maximum over the held-out species, not the pooled rate", () => {
    expect(heldOutApcer(test, ["printer_b", "mask_b"], 0.5)).toBe(0.5);
    expect(heldOutApcer(test, ["printer_b"], 0.5)).toBe(0.25);
  });
  it("is NaN without attacks of the held-out instruments", () => {
    expect(heldOutApcer(test, ["screen_b"], 0.5)).toBeNaN();
  });
});
