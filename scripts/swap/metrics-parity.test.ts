import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { auc, bpcerAtApcer, eer, errorRates, summarize, thresholdFromVal, type Scored } from "./metrics";

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

/** Runs `py` (Python source; `d` is the JSON of `data`) with training/py and returns what it prints as JSON. */
function python(data: unknown, py: string[]): Record<string, unknown> {
  const dir = mkdtempSync(join(tmpdir(), "metrics-parity-"));
  const file = join(dir, "scores.json");
  writeFileSync(file, JSON.stringify(data));
  const src = ["import json, math, sys", "import numpy as np", "d = json.load(open(sys.argv[1]))", ...py].join("\n");
  return JSON.parse(execFileSync("sh", ["training/py", "-c", src, file], { encoding: "utf8" })) as Record<string, unknown>;
}

describe.skipIf(!ready)("metrics agree with training/fasedge/metrics.py", () => {
  it("threshold rule, APCER/BPCER/ACER, AUC, EER and BPCER20 on the same scores", () => {
    const val = scores(3, 240);
    const test = scores(11, 300);
    const out = python({ val, test }, [
      "from fasedge.metrics import choose_threshold, evaluate",
      "v = d['val']; t = d['test']",
      "thr = choose_threshold(np.array([x['score'] for x in v]), np.array([x['label'] == 'bonafide' for x in v]), np.array([x['species'] for x in v]))",
      "r = evaluate([x['score'] for x in t], [x['label'] for x in t], [x['species'] for x in t], thr)",
      "print(json.dumps(r))",
    ]) as Record<string, number>;
    const thr = thresholdFromVal(val);
    expect(thr).toBeCloseTo(out.threshold!, 12);
    const r = errorRates(test, thr);
    expect(r.apcer).toBeCloseTo(out.apcer!, 12);
    expect(r.bpcer).toBeCloseTo(out.bpcer!, 12);
    expect(r.acer).toBeCloseTo(out.acer!, 12);
    expect(r.hter).toBeCloseTo(out.hter!, 12);
    expect(auc(test)).toBeCloseTo(out.auc!, 12);
    // the same candidate and the same arithmetic: equal to the last bit
    expect(eer(test)).toBe(out.eer);
    expect(bpcerAtApcer(test, 0.05).bpcer).toBeCloseTo(out.bpcer20!, 12);
    expect(bpcerAtApcer(test, 0.01).bpcer).toBeCloseTo(out.bpcer100!, 12);
  }, 60_000);

  it("EER on score sets where interpolation, ties and unequal class sizes matter", () => {
    const sets: Scored[][] = [
      scores(5, 90),
      scores(17, 301),
      // continuous scores, no ties: the rates never meet exactly
      scores(23, 500).map((s, i) => ({ ...s, score: Math.min(1, Math.max(0, s.score + ((i * 7919) % 97) / 10_000)) })),
      // few bona fide against many attacks
      scores(29, 400).filter((s, i) => s.label === "attack" || i % 7 === 0),
    ];
    const out = python(sets, [
      "from fasedge.metrics import eer",
      "print(json.dumps([eer(np.array([x['score'] for x in s]), np.array([x['label'] == 'bonafide' for x in s])) for s in d]))",
    ]) as unknown as number[];
    expect(sets.map((s) => eer(s))).toEqual(out);
  }, 60_000);

  it("NaN for the figures that need a missing class, an error from both threshold rules", () => {
    const onlyBona = scores(7, 60).filter((s) => s.label === "bonafide");
    const onlyAttacks = scores(7, 60).filter((s) => s.label === "attack");
    const out = python({ onlyBona, onlyAttacks }, [
      "from fasedge.metrics import choose_threshold, evaluate",
      "res = {}",
      "for k in ('onlyBona', 'onlyAttacks'):",
      "    s = d[k]",
      "    r = evaluate([x['score'] for x in s], [x['label'] for x in s], [x['species'] for x in s], 0.5)",
      "    try:",
      "        choose_threshold(np.array([x['score'] for x in s]), np.array([x['label'] == 'bonafide' for x in s]), np.array([x['species'] for x in s]))",
      "        err = None",
      "    except ValueError as e:",
      "        err = str(e)",
      "    res[k] = {'nan': sorted(f for f in ('auc', 'eer', 'apcer', 'bpcer', 'acer', 'hter', 'bpcer20', 'bpcer100') if math.isnan(r[f])), 'error': err}",
      "print(json.dumps(res))",
    ]) as Record<string, { nan: string[]; error: string | null }>;
    for (const [k, set] of [["onlyBona", onlyBona], ["onlyAttacks", onlyAttacks]] as const) {
      const ts = summarize(set, 0.5);
      const nan = (["auc", "eer", "apcer", "bpcer", "acer", "hter", "bpcer20", "bpcer100"] as const).filter((f) => Number.isNaN(ts[f])).sort();
      expect(nan, k).toEqual(out[k]!.nan);
      expect(out[k]!.error).toMatch(/^choose_threshold needs bona fide and attack scores/);
      expect(() => thresholdFromVal(set)).toThrow(/^thresholdFromVal needs bona fide and attack scores/);
    }
    expect(out.onlyBona!.nan).toEqual(["acer", "apcer", "auc", "bpcer100", "bpcer20", "eer", "hter"]);
    expect(out.onlyAttacks!.nan).toEqual(["acer", "auc", "bpcer", "bpcer100", "bpcer20", "eer", "hter"]);
  }, 60_000);
});
