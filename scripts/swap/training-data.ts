// Which dataset the shipped models were trained on, and whether an evaluation dataset shares
// identities with it.
//
// The factory records its data spec in manifest.json (`pipeline.config.data`): either the
// manifest.csv it was given or the folder it generated a synthetic preset into. Synthetic subjects
// are named by their index (`syn01770`) and their identity is fixed by the generator seed, so two
// presets generated with the same seed share identities: the `large` preset's val and test
// subjects are training subjects of `xlarge`. Scoring the models on such frames would report
// accuracy on faces they were trained on.

import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { Sample } from "./dataset";

interface DataSpec {
  manifest?: string;
  preset?: string;
  out?: string;
}

/** manifest.csv of the dataset the models in `manifestPath` were trained on, when the manifest records one. */
export function trainingDataCsv(manifestPath: string): string | undefined {
  if (!existsSync(manifestPath)) return undefined;
  const m = JSON.parse(readFileSync(manifestPath, "utf8")) as { pipeline?: { config?: { data?: DataSpec } } };
  const d = m.pipeline?.config?.data;
  if (!d) return undefined;
  if (d.manifest) return d.manifest;
  // an empty `out` is the factory's default folder for the preset (DataSpec.folder in training/fasedge/config.py)
  const out = d.out || (d.preset ? `data/synthetic-${d.preset}` : undefined);
  return out ? join(out, "manifest.csv") : undefined;
}

/** Generator identity of a dataset (from the dataset.json next to its manifest.csv), or null when it has none. */
function generatorOf(csv: string): string | null {
  const path = join(dirname(csv), "dataset.json");
  if (!existsSync(path)) return null;
  const j = JSON.parse(readFileSync(path, "utf8")) as { generator?: string; seed?: number };
  return j.seed === undefined ? null : `${j.generator ?? "synthetic"}:${j.seed}`;
}

export type Overlap =
  | { checked: false; reason: string }
  | { checked: true; subjects: string[] };

/**
 * Val/test subjects of `evalSamples` that are training subjects of `trainCsv`. Names are compared
 * only when they mean the same person: both datasets come from the same generator and seed (or are
 * the same file).
 */
export function trainingOverlap(evalCsv: string, evalSamples: readonly Sample[], trainCsv: string | undefined, readCsv: (p: string) => Sample[]): Overlap {
  if (!trainCsv) return { checked: false, reason: "the manifest records no training dataset" };
  if (!existsSync(trainCsv)) return { checked: false, reason: `the training dataset ${trainCsv} is not here` };
  const generator = generatorOf(evalCsv);
  const same = resolve(evalCsv) === resolve(trainCsv) || (generator !== null && generator === generatorOf(trainCsv));
  if (!same) return { checked: false, reason: "different datasets (subject names are not comparable)" };
  const train = new Set(readCsv(trainCsv).filter((s) => s.split === "train").map((s) => s.subject));
  const held = new Set(evalSamples.filter((s) => (s.split === "val" || s.split === "test") && train.has(s.subject)).map((s) => s.subject));
  return { checked: true, subjects: [...held].sort() };
}
