// Cross-instrument protocol (DESIGN.md §3, OULU-NPU protocol 2 style). The model factory trains a
// second set of models without some instruments (runs/<name>/cross-export/*.onnx and
// cross-quantize/student-int8.onnx, instruments in runs/<name>/config.json `cross.holdout`); they
// are not shipped. This module finds the run that produced the shipped models and the ONNX files
// of its cross protocol, so the report scores them with the same runtime and preprocessing.

import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Sample } from "./dataset";
import { errorRates, type Scored } from "./metrics";

export interface CrossRun {
  runDir: string;
  holdout: string[];
  /** shipped model id -> ONNX file of its cross-protocol twin */
  files: Record<string, string>;
}

const sha = (path: string): string => createHash("sha256").update(readFileSync(path)).digest("hex");

/**
 * The run under `runsDir` whose quantised student is byte-identical to the shipped one (or the
 * given `runDir`), with its cross-protocol ONNX files.
 */
export function findCrossRun(shipped: Record<string, { sha256: string }>, runsDir = "runs", runDir?: string): CrossRun | { missing: string } {
  const candidates = runDir ? [runDir] : existsSync(runsDir) ? readdirSync(runsDir).map((d) => join(runsDir, d)) : [];
  const studentSha = shipped["student-int8"]?.sha256;
  for (const dir of candidates) {
    const q = join(dir, "quantize", "student-int8.onnx");
    if (!runDir && (!studentSha || !existsSync(q) || sha(q) !== studentSha)) continue;
    const cfgPath = join(dir, "config.json");
    if (!existsSync(cfgPath)) continue;
    const cfg = JSON.parse(readFileSync(cfgPath, "utf8")) as { cross?: { enabled?: boolean; holdout?: string[] } };
    const holdout = cfg.cross?.enabled === false ? [] : (cfg.cross?.holdout ?? []);
    if (!holdout.length) return { missing: `the run that produced the shipped models (${dir}) has the cross protocol switched off (config.json cross.enabled = false)` };
    const files: Record<string, string> = {};
    for (const id of Object.keys(shipped)) {
      const f = id === "student-int8" ? join(dir, "cross-quantize", "student-int8.onnx") : join(dir, "cross-export", `${id}.onnx`);
      if (existsSync(f)) files[id] = f;
    }
    if (Object.keys(files).length) return { runDir: dir, holdout, files };
    return { missing: `${dir} has no cross-protocol ONNX files (cross-export/, cross-quantize/)` };
  }
  return { missing: `no run under ${runsDir}/ produced the shipped student-int8 (matched by sha256)` };
}

/** Frames a cross-protocol model is scored on: val without the held-out instruments; test bona fide plus the held-out instruments. */
export function crossFrame(s: Sample, holdout: readonly string[]): boolean {
  const held = holdout.includes(s.instrument);
  if (s.split === "val") return !held;
  if (s.split === "test") return s.label === "bonafide" || held;
  return false;
}

/**
 * APCER of a model on the attacks of the held-out instruments at `threshold`: the maximum over
 * their PAI species (DESIGN.md §3), the same figure as a cross twin's APCER; NaN without such attacks.
 */
export function heldOutApcer(test: ReadonlyArray<Scored & { instrument: string }>, holdout: readonly string[], threshold: number): number {
  return errorRates(test.filter((s) => s.label === "attack" && holdout.includes(s.instrument)), threshold).apcer;
}
