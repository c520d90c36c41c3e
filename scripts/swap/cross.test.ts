import { describe, expect, it } from "vitest";
import { crossFrame } from "./cross";
import type { Sample } from "./dataset";

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
