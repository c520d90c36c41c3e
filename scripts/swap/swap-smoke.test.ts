import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ManifestSchema } from "../../src/models/manifest-schema";
import { inferenceEnergyMj } from "../../src/telemetry/energy";
import { bandRule, FACTORY_BAND_RULE } from "./cascade";

const ready = existsSync("models/manifest.json") && existsSync("training/fasedge/data/__main__.py");

const rate = z.number().min(0).max(1);
const ModelRow = z.object({
  params: z.number().int().positive(),
  macs: z.number().positive(),
  bytes: z.number().int().positive(),
  gzipBytes: z.number().int().positive(),
  dtype: z.enum(["fp32", "int8"]),
  latencyMs: z.object({ p50: z.number().positive(), p95: z.number().positive() }),
  fps: z.number().positive(),
  energyMj: z.object({ analytical: z.number().positive(), cpuTime: z.number().nonnegative() }),
  auc: rate,
  eer: rate,
  apcer: rate,
  bpcer: rate,
  acer: rate,
  bpcer20: rate,
  bpcer100: rate,
  apcerBySpecies: z.record(z.string(), rate),
  trainedOn: z.string().min(1),
});
const Report = z.object({
  generatedAt: z.string(),
  data: z.object({ source: z.string(), split: z.literal("test"), n: z.number().int().positive(), trainingSubjectsInValTest: z.number().int().nonnegative().nullable() }),
  runtime: z.record(z.string(), z.unknown()),
  models: z.record(z.string(), ModelRow),
  ratios: z.object({
    studentInt8VsTeacher: z.object({ speedup: z.number().positive(), sizeRatio: z.number().positive(), accuracyShare: z.number().positive(), energyRatio: z.number().positive() }),
  }),
  cascade: z.object({
    band: z.tuple([z.number(), z.number()]).nullable(),
    fallbackRate: z.number().nullable(),
    acer: z.number().nullable(),
    meanLatencyMs: z.number().nullable(),
  }),
  plots: z.record(z.string(), z.string()),
});

describe.skipIf(!ready)("npm run swap (smoke)", () => {
  it(
    "evaluates every manifest model on a tiny dataset and writes the report contract, plots and markdown",
    () => {
      const committed = existsSync("reports/swap.json") ? statSync("reports/swap.json").mtimeMs : null;
      const manifestBefore = readFileSync("models/manifest.json", "utf8");
      const out = mkdtempSync(join(tmpdir(), "swap-smoke-test-"));
      const stdout = execFileSync("npm", ["run", "--silent", "swap", "--", "--smoke", "--out", out], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
      expect(stdout).toContain("speedup");

      const report = Report.parse(JSON.parse(readFileSync(join(out, "swap.json"), "utf8")));
      const manifest = JSON.parse(manifestBefore) as { models: Record<string, unknown>; serving: { student: string; teacher: string } };
      expect(Object.keys(report.models).sort()).toEqual(Object.keys(manifest.models).sort());
      const t = report.models[manifest.serving.teacher]!;
      const s = report.models[manifest.serving.student]!;
      // swap.json keeps six significant digits of every number, so a ratio recomputed from rounded
      // figures agrees with the stored one to a relative 2e-5 (an absolute bound fails on large ratios)
      const agrees = (stored: number, recomputed: number) => expect(Math.abs(stored / recomputed - 1), `${stored} vs ${recomputed}`).toBeLessThan(2e-5);
      agrees(report.ratios.studentInt8VsTeacher.speedup, t.latencyMs.p50 / s.latencyMs.p50);
      agrees(report.ratios.studentInt8VsTeacher.sizeRatio, t.bytes / s.bytes);
      agrees(report.ratios.studentInt8VsTeacher.accuracyShare, (1 - s.acer) / (1 - t.acer));
      for (const m of Object.values(report.models)) expect(m.apcer).toBe(Math.max(...Object.values(m.apcerBySpecies)));
      expect(report.data.source).toContain("synthetic");

      for (const file of Object.values(report.plots)) expect(readFileSync(join(out, file), "utf8")).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      expect(Object.keys(report.plots).sort()).toEqual(["cascade", "latency", "roc", "swap"]);
      const md = readFileSync(join(out, "swap.md"), "utf8");
      expect(md).toContain("## SWAP per model");
      expect(md).toContain("synthetic");

      // the analytical energy is the service's estimate from the manifest's bytes
      const cards = ManifestSchema.parse(JSON.parse(manifestBefore)).models;
      for (const [id, card] of Object.entries(cards)) expect(Math.abs(report.models[id]!.energyMj.analytical / inferenceEnergyMj(card) - 1), id).toBeLessThan(1e-5);
      // the report states its band rule, the factory's, and what chose the manifest's band
      const raw = JSON.parse(readFileSync(join(out, "swap.json"), "utf8")) as { cascade: { rule: string; factoryRule: string; manifestBand: number[]; manifestBandChosenBy: string } };
      expect(raw.cascade.rule).toBe(bandRule());
      expect(raw.cascade.factoryRule).toBe(FACTORY_BAND_RULE);
      expect(raw.cascade.manifestBand).toEqual((JSON.parse(manifestBefore) as { serving: { uncertaintyBand: number[] } }).serving.uncertaintyBand);
      expect(md).toContain(`Band rule of this report (scripts/swap/cascade.ts; \`npm run swap -- --write-band\` writes its band into the manifest): ${bandRule()}.`);
      expect(md).toContain(FACTORY_BAND_RULE);
      expect(md).toContain(`chosen by ${raw.cascade.manifestBandChosenBy}`);

      // cross-instrument: the held-out instruments are the factory's, and the shipped models' APCER
      // on them is measured by this run, whether or not the cross twins' files are at hand
      const cross = (JSON.parse(readFileSync(join(out, "swap.json"), "utf8")) as { crossInstrument: { holdout: string[]; models: Record<string, { intraApcerOnHeldOut: number | null }> } }).crossInstrument;
      const factory = JSON.parse(manifestBefore) as { pipeline: { config: { cross: { holdout: string[] } } } };
      expect(cross.holdout).toEqual(factory.pipeline.config.cross.holdout);
      expect(Object.keys(cross.models).length).toBeGreaterThan(0);
      for (const [id, row] of Object.entries(cross.models)) expect(rate.safeParse(row.intraApcerOnHeldOut).success, id).toBe(true);

      // the smoke run neither touches the committed reports nor the manifest
      expect(existsSync("reports/swap.json") ? statSync("reports/swap.json").mtimeMs : null).toBe(committed);
      expect(readFileSync("models/manifest.json", "utf8")).toBe(manifestBefore);
    },
    180_000,
  );
});

if (!ready) {
  describe("npm run swap (smoke)", () => {
    it.skip("needs models/manifest.json and the data generator (training/fasedge/data)", () => {});
  });
}
