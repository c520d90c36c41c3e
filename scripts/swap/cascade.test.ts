import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ManifestSchema } from "../../src/models/manifest-schema";
import { inferenceEnergyMj } from "../../src/telemetry/energy";
import { bandGrid, bandRule, chooseBand, evaluateBand, type CascadePoint, type PairedScore } from "./cascade";
import { estimateEnergy } from "./power";

const f = (label: "bonafide" | "attack", species: string, student: number, teacher: number): PairedScore => ({ label, species, student, teacher });

describe("evaluateBand", () => {
  // student threshold 0.5, teacher threshold 0.6; student 5 ms, teacher 45 ms
  const costs = { studentThreshold: 0.5, teacherThreshold: 0.6, studentMs: 5, teacherMs: 45 };
  const frames = [
    f("bonafide", "bonafide", 0.9, 0.9),
    f("bonafide", "bonafide", 0.45, 0.7), // in [0.4, 0.6]: teacher accepts (student alone would reject)
    f("bonafide", "bonafide", 0.3, 0.9), // outside: student rejects
    f("attack", "print", 0.55, 0.2), // in band: teacher rejects (student alone would accept)
    f("attack", "print", 0.1, 0.9), // outside: student rejects
    f("attack", "replay", 0.62, 0.1), // outside (> 0.6): student accepts
    f("attack", "replay", 0.2, 0.2),
    f("attack", "mask", 0.4, 0.65), // lo is inclusive: teacher accepts
  ];
  it("sends scores inside [lo, hi] (inclusive) to the teacher and counts errors per species", () => {
    const p = evaluateBand(frames, [0.4, 0.6], costs);
    expect(p.fallbackRate).toBe(3 / 8);
    // BPCER: 1 of 3 (0.3); APCER print 0/2, replay 1/2, mask 1/1 -> 1
    expect(p.bpcer).toBeCloseTo(1 / 3, 12);
    expect(p.apcer).toBe(1);
    expect(p.acer).toBeCloseTo((1 + 1 / 3) / 2, 12);
    expect(p.meanLatencyMs).toBeCloseTo(5 + (3 / 8) * 45, 12);
  });
  it("a band of one point at the threshold leaves the student alone", () => {
    const p = evaluateBand(frames, [0.5, 0.5], costs);
    expect(p.fallbackRate).toBe(0);
    // student alone: bona 0.45 and 0.3 rejected; print 0.55, replay 0.62 accepted; mask 0.4 rejected
    expect(p.bpcer).toBeCloseTo(2 / 3, 12);
    expect(p.apcer).toBe(0.5);
  });
});

describe("bandGrid and chooseBand", () => {
  it("only produces bands containing the student threshold, including extra edges", () => {
    const g = bandGrid(0.37, [0.33, 0.41]);
    expect(g.every(([lo, hi]) => lo <= 0.37 && hi >= 0.37)).toBe(true);
    expect(g).toContainEqual([0.37, 0.37]);
    expect(g).toContainEqual([0.33, 0.41]);
    expect(g).toContainEqual([0, 1]);
  });
  const pt = (lo: number, hi: number, fallbackRate: number, acer: number): CascadePoint => ({ band: [lo, hi], fallbackRate, acer, apcer: acer, bpcer: acer, meanLatencyMs: 0 });
  it("picks the lowest ACER within the fallback and ACER limits, then the lowest fallback", () => {
    const grid = [pt(0.1, 0.9, 0.3, 0.001), pt(0.3, 0.7, 0.08, 0.012), pt(0.35, 0.6, 0.05, 0.012), pt(0.45, 0.55, 0.02, 0.02), pt(0.5, 0.5, 0, 0.03)];
    // teacher 0.011: limit 0.013 -> candidates 0.08/0.012 and 0.05/0.012 -> the lower fallback wins
    expect(chooseBand(grid, 0.011).band).toEqual([0.35, 0.6]);
    const none = chooseBand(grid, 0.005);
    expect(none.band).toBeNull();
    expect(none.reason).toContain("[0.3,0.7]");
  });
  it("takes the lowest ACER over a lower fallback, then the narrowest band, and says so", () => {
    // both within the limits (teacher 0.011 + 0.002): the factory's rule would take the 2 % band,
    // this one takes the lower ACER at 8 %; of two equal points the narrower band wins
    const grid = [pt(0.45, 0.55, 0.02, 0.013), pt(0.2, 0.9, 0.08, 0.011), pt(0.25, 0.85, 0.08, 0.011), pt(0.5, 0.5, 0, 0.03)];
    const choice = chooseBand(grid, 0.011);
    expect(choice.band).toEqual([0.25, 0.85]);
    expect(choice.feasible).toBe(3);
    expect(choice.reason).toBe(`${bandRule()}; 3 of 4 bands are within both limits`);
    expect(bandRule()).toBe(
      "among bands with val fallback <= 10 % and val cascade ACER <= teacher val ACER + 0.2 points, the lowest val cascade ACER, then the lowest fallback, then the narrowest band",
    );
  });
});

describe("estimateEnergy", () => {
  it("uses the DESIGN constants and the model's bytes", () => {
    // int8: 41e6 MACs x 0.23 pJ = 9.43e-3 mJ; 412345 bytes x 160 pJ = 0.0659752 mJ
    const e = estimateEnergy({ macs: 41e6, bytes: 412345, dtype: "int8" }, 2);
    expect(e.analyticalComputeMj).toBeCloseTo(0.00943, 12);
    expect(e.analyticalMemoryMj).toBeCloseTo(0.0659752, 12);
    expect(e.analytical).toBeCloseTo(0.0754052, 12);
    expect(e.cpuTime).toBe(10); // 2 ms x 5 W
    // fp32: 1e9 MACs x 4.6 pJ = 4.6 mJ; 4e6 bytes x 160 pJ = 0.64 mJ
    expect(estimateEnergy({ macs: 1e9, bytes: 4e6, dtype: "fp32" }, 0).analytical).toBeCloseTo(5.24, 12);
  });
  it("gives the service's estimate for every shipped model (manifest bytes, not params x bytes per parameter)", () => {
    const manifest = ManifestSchema.parse(JSON.parse(readFileSync("models/manifest.json", "utf8")));
    const int8 = manifest.models["student-int8"]!;
    // the int8 file holds more than one byte per parameter (scales, zero points, graph)
    expect(int8.bytes).toBeGreaterThan(int8.params);
    for (const card of Object.values(manifest.models)) {
      const e = estimateEnergy(card, 1);
      expect(e.analytical).toBe(inferenceEnergyMj(card));
      expect(e.analyticalMemoryMj).toBeCloseTo(card.bytes * 160e-9, 15);
      expect(e.analyticalComputeMj + e.analyticalMemoryMj).toBeCloseTo(e.analytical, 15);
    }
  });
});

describe("writeBand", () => {
  const card = {
    id: "student-int8",
    name: "fas-student",
    role: "student",
    file: "student-int8.onnx",
    sha256: "a".repeat(64),
    bytes: 10,
    params: 5,
    macs: 7,
    dtype: "int8",
    input: { name: "input", shape: [1, 3, 80, 80] },
    output: { name: "logits", shape: [1, 2], bonafideIndex: 1 },
    preprocess: { size: [80, 80], cropScale: 1.5, resample: "triangle-aa", channelOrder: "RGB", scale: 1 / 255, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
    threshold: 0.5,
  };
  const text = `{\n    "schemaVersion": 1,\n    "generatedAt": "x",\n    "serving": {"student": "student-int8", "uncertaintyBand": [0.2,\n 0.8]},\n    "models": ${JSON.stringify({ "student-int8": card })}\n}\n`;

  it("replaces only serving.uncertaintyBand in the manifest text", async () => {
    const { writeBand } = await import("./run");
    const out = writeBand(text, [0.05, 0.93]);
    expect(out).toBe(text.replace("[0.2,\n 0.8]", "[0.05, 0.93]"));
    expect(JSON.parse(out).serving.uncertaintyBand).toEqual([0.05, 0.93]);
  });
  it("rewrites serving.uncertaintyBandSelection with the band, or adds it", async () => {
    const { writeBand } = await import("./run");
    const selection = { valCascadeAcer: 0.04, valFallback: 0.0264, valTeacherAcer: 0.0423, constraintMet: true, chosenBy: "npm run swap" };
    const added = writeBand(text, [0.05, 0.93], selection);
    expect(JSON.parse(added).serving).toEqual({ student: "student-int8", uncertaintyBand: [0.05, 0.93], uncertaintyBandSelection: selection });
    const replaced = writeBand(added, [0.1, 0.9], { ...selection, valFallback: 0.01 });
    expect(JSON.parse(replaced).serving.uncertaintyBandSelection.valFallback).toBe(0.01);
    expect(replaced.replace(/"uncertaintyBand(Selection)?"\s*:\s*(\[[^\]]*\]|\{[^}]*\})/g, "")).toBe(added.replace(/"uncertaintyBand(Selection)?"\s*:\s*(\[[^\]]*\]|\{[^}]*\})/g, ""));
    expect(writeBand(replaced, [0.1, 0.9], { ...selection, valFallback: 0.01 })).toBe(replaced);
  });
  it("refuses a band the schema rejects", async () => {
    const { writeBand } = await import("./run");
    expect(() => writeBand(text, [0.9, 0.1])).toThrow();
  });
});
