// The service's cascade (models/README.md "Decisions"): the student decides unless its score lies
// in the uncertainty band [lo, hi] (inclusive); those frames are decided by the teacher.

import { errorRates, type Scored } from "./metrics";

export interface PairedScore {
  label: Scored["label"];
  species: string;
  student: number;
  teacher: number;
}

export interface CascadePoint {
  band: [number, number];
  fallbackRate: number;
  apcer: number;
  bpcer: number;
  acer: number;
  meanLatencyMs: number;
}

export interface CascadeCosts {
  studentThreshold: number;
  teacherThreshold: number;
  studentMs: number;
  teacherMs: number;
}

export function evaluateBand(frames: readonly PairedScore[], band: [number, number], c: CascadeCosts): CascadePoint {
  const [lo, hi] = band;
  let fallback = 0;
  // a decision expressed as a score against threshold 0.5 so errorRates can count it
  const decided: Scored[] = frames.map((f) => {
    const uncertain = f.student >= lo && f.student <= hi;
    if (uncertain) fallback++;
    const live = uncertain ? f.teacher >= c.teacherThreshold : f.student >= c.studentThreshold;
    return { score: live ? 1 : 0, label: f.label, species: f.species };
  });
  const r = errorRates(decided, 0.5);
  const fallbackRate = frames.length ? fallback / frames.length : 0;
  return {
    band,
    fallbackRate,
    apcer: r.apcer,
    bpcer: r.bpcer,
    acer: r.acer,
    meanLatencyMs: c.studentMs + fallbackRate * c.teacherMs,
  };
}

const EDGES = [0, 0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999, 1];

/**
 * Bands [lo, hi] that contain the student's threshold, from a fixed grid of edges plus optional
 * extra edges (for example quantiles of the student's validation scores, which place edges where
 * the scores actually are when they crowd near 0 and 1).
 */
export function bandGrid(studentThreshold: number, extraEdges: readonly number[] = []): Array<[number, number]> {
  const edges = [...new Set([...EDGES, ...extraEdges.filter((e) => e >= 0 && e <= 1)])].sort((a, b) => a - b);
  const los = [...new Set([...edges.filter((e) => e <= studentThreshold), studentThreshold])];
  const his = [...new Set([studentThreshold, ...edges.filter((e) => e >= studentThreshold)])];
  const out: Array<[number, number]> = [];
  for (const lo of los) for (const hi of his) out.push([lo, hi]);
  return out;
}

export interface CascadeChoice {
  band: [number, number] | null;
  reason: string;
  feasible: number;
}

/**
 * The rule of `chooseBand` in words, for the report and the manifest. The model factory
 * (training/fasedge/pipeline.py `choose_band`) applies the same two limits with another objective:
 * the fewest frames sent to the teacher, then the widest band (in logit space), over edges on and
 * between the student's val scores; on the same scores the two rules can choose different bands.
 */
export function bandRule(maxFallback = 0.1, maxAcerExcess = 0.002): string {
  return `among bands with val fallback <= ${maxFallback * 100} % and val cascade ACER <= teacher val ACER + ${maxAcerExcess * 100} points, the lowest val cascade ACER, then the lowest fallback, then the narrowest band`;
}

/** The model factory's band rule in words, for the report. */
export const FACTORY_BAND_RULE =
  "training/fasedge/pipeline.py choose_band: within the same two limits, the fewest val frames sent to the teacher, then the widest band (in logit space)";

/**
 * Picks a band on the validation split: among bands with fallback <= maxFallback and ACER <=
 * teacher ACER + maxAcerExcess, the lowest ACER, then the lowest fallback, then the narrowest.
 * Without such a band, none.
 */
export function chooseBand(grid: readonly CascadePoint[], teacherAcer: number, maxFallback = 0.1, maxAcerExcess = 0.002): CascadeChoice {
  const ok = grid.filter((p) => p.fallbackRate <= maxFallback + 1e-12 && p.acer <= teacherAcer + maxAcerExcess + 1e-12);
  if (!ok.length) {
    const best = [...grid].filter((p) => p.fallbackRate <= maxFallback + 1e-12).sort((a, b) => a.acer - b.acer)[0];
    return {
      band: null,
      feasible: 0,
      reason: best
        ? `no band keeps ACER within ${maxAcerExcess * 100} points of the teacher (${(teacherAcer * 100).toFixed(2)} %) at <= ${maxFallback * 100} % fallback on val; best is [${best.band.map((v) => Number(v.toPrecision(4))).join(",")}] with ACER ${(best.acer * 100).toFixed(2)} %`
        : "no band has a fallback rate within the limit",
    };
  }
  ok.sort((a, b) => a.acer - b.acer || a.fallbackRate - b.fallbackRate || a.band[1] - a.band[0] - (b.band[1] - b.band[0]));
  return {
    band: ok[0]!.band,
    feasible: ok.length,
    reason: `${bandRule(maxFallback, maxAcerExcess)}; ${ok.length} of ${grid.length} bands are within both limits`,
  };
}
