import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readManifestCsv } from "./dataset";
import { trainingDataCsv, trainingOverlap } from "./training-data";

const HEADER = "path,label,species,instrument,subject,split,box_x,box_y,box_w,box_h";

/** A dataset folder with a manifest.csv of (subject, split) rows and, when seed is given, a dataset.json. */
function dataset(root: string, name: string, rows: [string, string][], seed?: number): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "manifest.csv"), [HEADER, ...rows.map(([subject, split]) => `${split}/${subject}/bonafide_00.jpg,bonafide,bonafide,none,${subject},${split},10,10,50,50`)].join("\n") + "\n");
  if (seed !== undefined) writeFileSync(join(dir, "dataset.json"), JSON.stringify({ generator: "fasedge.data", seed }));
  return join(dir, "manifest.csv");
}

describe("trainingDataCsv", () => {
  const root = mkdtempSync(join(tmpdir(), "training-data-"));
  const manifest = (pipeline: unknown): string => {
    const p = join(root, `m${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(p, JSON.stringify({ pipeline }));
    return p;
  };
  it("takes the dataset the factory was given, else the folder it generated", () => {
    expect(trainingDataCsv(manifest({ config: { data: { manifest: "data/oulu/manifest.csv", out: "data/synthetic" } } }))).toBe("data/oulu/manifest.csv");
    expect(trainingDataCsv(manifest({ config: { data: { manifest: "", out: "data/synthetic-xlarge" } } }))).toBe(join("data/synthetic-xlarge", "manifest.csv"));
    expect(trainingDataCsv(manifest({ config: { data: { manifest: "", preset: "large", out: "" } } }))).toBe(join("data/synthetic-large", "manifest.csv"));
  });
  it("is undefined when the manifest records no data spec", () => {
    expect(trainingDataCsv(manifest(undefined))).toBeUndefined();
    expect(trainingDataCsv(join(root, "absent.json"))).toBeUndefined();
  });
  it("reads the committed manifest", () => {
    expect(trainingDataCsv("models/manifest.json")).toMatch(/manifest\.csv$/);
  });
});

describe("trainingOverlap", () => {
  const root = mkdtempSync(join(tmpdir(), "training-overlap-"));
  // a bigger preset of the same seed: its training subjects include the smaller one's val and test subjects
  const big = dataset(root, "big", [["syn00000", "train"], ["syn00001", "train"], ["syn00002", "train"], ["syn00003", "val"], ["syn00004", "test"]], 1234);
  const small = dataset(root, "small", [["syn00000", "train"], ["syn00001", "val"], ["syn00002", "test"]], 1234);
  const otherSeed = dataset(root, "other-seed", [["syn00000", "train"], ["syn00001", "val"], ["syn00002", "test"]], 99);
  const adapter = dataset(root, "adapter", [["p1", "train"], ["syn00001", "val"]]);
  const check = (evalCsv: string, trainCsv: string | undefined) => trainingOverlap(evalCsv, readManifestCsv(evalCsv), trainCsv, readManifestCsv);

  it("names the val/test subjects that the models were trained on (same generator and seed)", () => {
    expect(check(small, big)).toEqual({ checked: true, subjects: ["syn00001", "syn00002"] });
  });
  it("finds none when the models were trained on the smaller preset", () => {
    expect(check(big, small)).toEqual({ checked: true, subjects: [] });
  });
  it("finds none on the training dataset itself (splits are subject-disjoint)", () => {
    expect(check(big, big)).toEqual({ checked: true, subjects: [] });
  });
  it("does not compare subject names across seeds or with datasets of unknown origin", () => {
    expect(check(otherSeed, big)).toMatchObject({ checked: false });
    expect(check(adapter, big)).toMatchObject({ checked: false });
  });
  it("says why it could not check", () => {
    expect(check(small, undefined)).toEqual({ checked: false, reason: "the manifest records no training dataset" });
    expect(check(small, join(root, "gone", "manifest.csv"))).toMatchObject({ checked: false, reason: expect.stringContaining("is not here") });
  });
});
