import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { auc, bpcerAtApcer, errorRates, thresholdFromVal, type Scored } from "./metrics";

// The factory writes `threshold` and test metrics into models/manifest.json with
// training/fasedge/metrics.py; the report recomputes them here. Both must follow the same rules.
const ready = existsSync("training/fasedge/metrics.py");

function scores(seed: number, n: number): Scored[] {
  let s = seed;
  const rnd = (): number => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  const species = ["print", "replay", "mask"];
  return Array.from({ length: n }, (_, i) => {
    const bona = i % 3 === 0;
    // two decimals make ties frequent
    const v = Math.round(Math.min(1, Math.max(0, (bona ? 0.65 : 0.35) + (rnd() - 0.5) * 0.8)) * 100) / 100;
    return bona ? { score: v, label: "bonafide", species: "bonafide" } : { score: v, label: "attack", species: species[i % 3 === 1 ? 0 : rnd() < 0.5 ? 1 : 2]! };
  });
}

describe.skipIf(!ready)("metrics agree with training/fasedge/metrics.py", () => {
  it("threshold rule, APCER/BPCER/ACER, AUC and BPCER20 on the same scores", () => {
    const val = scores(3, 240);
    const test = scores(11, 300);
    const dir = mkdtempSync(join(tmpdir(), "metrics-parity-"));
    const file = join(dir, "scores.json");
    writeFileSync(file, JSON.stringify({ val, test }));
    const py = [
      "import json, sys",
      "from fasedge.metrics import choose_threshold, evaluate",
      "import numpy as np",
      "d = json.load(open(sys.argv[1]))",
      "v = d['val']; t = d['test']",
      "thr = choose_threshold(np.array([x['score'] for x in v]), np.array([x['label'] == 'bonafide' for x in v]), np.array([x['species'] for x in v]))",
      "r = evaluate([x['score'] for x in t], [x['label'] for x in t], [x['species'] for x in t], thr)",
      "print(json.dumps(r))",
    ].join("\n");
    const out = JSON.parse(execFileSync("sh", ["training/py", "-c", py, file], { encoding: "utf8" })) as Record<string, number>;
    const thr = thresholdFromVal(val);
    expect(thr).toBeCloseTo(out.threshold!, 12);
    const r = errorRates(test, thr);
    expect(r.apcer).toBeCloseTo(out.apcer!, 12);
    expect(r.bpcer).toBeCloseTo(out.bpcer!, 12);
    expect(r.acer).toBeCloseTo(out.acer!, 12);
    expect(r.hter).toBeCloseTo(out.hter!, 12);
    expect(auc(test)).toBeCloseTo(out.auc!, 12);
    expect(bpcerAtApcer(test, 0.05).bpcer).toBeCloseTo(out.bpcer20!, 12);
    expect(bpcerAtApcer(test, 0.01).bpcer).toBeCloseTo(out.bpcer100!, 12);
  }, 60_000);
});
