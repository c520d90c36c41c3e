// Presentation-attack-detection metrics (ISO/IEC 30107-3 vocabulary, DESIGN.md §3).
//
// Convention everywhere in this module: a score is the probability that a presentation is bona
// fide, and a presentation is accepted as bona fide when `score >= threshold`. Every figure follows
// the definition of the model factory (training/fasedge/metrics.py, whose figures
// models/manifest.json holds): scores that are not finite are refused with an error, a figure that
// needs a class the samples lack is NaN (APCER without attacks, BPCER without bona fide, AUC, EER
// and BPCER20/100 without either), and the threshold rule throws when a class is missing.

export type Label = "bonafide" | "attack";

export interface Scored {
  score: number;
  label: Label;
  /** PAI species for attacks ("print", "replay", "mask", ...); "bonafide" for bona fide. */
  species: string;
}

export interface OperatingPoint {
  threshold: number;
  /** APCER over all attacks pooled (the ROC's false-accept rate). */
  apcerPooled: number;
  /** APCER as reported: the maximum over PAI species. */
  apcer: number;
  bpcer: number;
}

export interface ErrorRates {
  threshold: number;
  apcer: number;
  apcerPooled: number;
  apcerBySpecies: Record<string, number>;
  bpcer: number;
  acer: number;
  /** Half total error rate: (pooled APCER + BPCER) / 2. */
  hter: number;
  nBonafide: number;
  nAttack: number;
}

function split(samples: readonly Scored[]): { bona: number[]; attack: Map<string, number[]> } {
  const bona: number[] = [];
  const attack = new Map<string, number[]>();
  for (const s of samples) {
    if (!Number.isFinite(s.score)) throw new Error(`scores must be finite: got ${s.score} (${s.label}, ${s.species})`);
    if (s.label === "bonafide") bona.push(s.score);
    else {
      const list = attack.get(s.species);
      if (list) list.push(s.score);
      else attack.set(s.species, [s.score]);
    }
  }
  return { bona, attack };
}

const ascending = (a: number, b: number): number => a - b;

/** How many values of the ascending `sorted` are below `t`. */
function countBelow(sorted: readonly number[], t: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Candidate thresholds, ascending: 0, the midpoints between adjacent distinct scores, the scores
 * themselves and the float just above 1 (training/fasedge/metrics.py `_candidates`).
 */
function candidateThresholds(samples: readonly Scored[]): number[] {
  const u = [...new Set(samples.map((s) => s.score))].sort(ascending);
  const cands = [0];
  for (let i = 0; i + 1 < u.length; i++) cands.push((u[i]! + u[i + 1]!) / 2);
  for (const v of u) cands.push(v);
  cands.push(1 + Number.EPSILON);
  return cands.sort(ascending);
}

/**
 * Error rates at a fixed threshold. APCER is the maximum over the species present. APCER is NaN
 * without attacks, BPCER without bona fide samples, ACER and HTER without either.
 */
export function errorRates(samples: readonly Scored[], threshold: number): ErrorRates {
  const { bona, attack } = split(samples);
  const apcerBySpecies: Record<string, number> = {};
  let accepted = 0;
  let nAttack = 0;
  let apcer = attack.size ? 0 : Number.NaN;
  for (const species of [...attack.keys()].sort()) {
    const scores = attack.get(species)!;
    const a = scores.filter((v) => v >= threshold).length;
    accepted += a;
    nAttack += scores.length;
    apcerBySpecies[species] = a / scores.length;
    apcer = Math.max(apcer, a / scores.length);
  }
  const bpcer = bona.length ? bona.filter((v) => v < threshold).length / bona.length : Number.NaN;
  const apcerPooled = nAttack ? accepted / nAttack : Number.NaN;
  return {
    threshold,
    apcer,
    apcerPooled,
    apcerBySpecies,
    bpcer,
    acer: (apcer + bpcer) / 2,
    hter: (apcerPooled + bpcer) / 2,
    nBonafide: bona.length,
    nAttack,
  };
}

/**
 * Every distinct operating point, thresholds ascending: each distinct score, then +Infinity
 * (nothing accepted). At the lowest threshold everything is accepted (APCER 1, BPCER 0). The rates
 * of a class the samples lack are NaN.
 */
export function operatingPoints(samples: readonly Scored[]): OperatingPoint[] {
  const { bona, attack } = split(samples);
  const thresholds = [...new Set(samples.map((s) => s.score))].sort((a, b) => a - b);
  thresholds.push(Number.POSITIVE_INFINITY);
  const bonaSorted = [...bona].sort((a, b) => a - b);
  const species = [...attack.values()].map((v) => [...v].sort((a, b) => a - b));
  const nAttack = species.reduce((n, v) => n + v.length, 0);
  // pointers: number of samples strictly below the current threshold
  let bi = 0;
  const si = species.map(() => 0);
  const points: OperatingPoint[] = [];
  for (const t of thresholds) {
    while (bi < bonaSorted.length && bonaSorted[bi]! < t) bi++;
    let maxA = species.length ? 0 : Number.NaN;
    let acc = 0;
    species.forEach((v, k) => {
      let p = si[k]!;
      while (p < v.length && v[p]! < t) p++;
      si[k] = p;
      const a = v.length - p;
      acc += a;
      maxA = Math.max(maxA, a / v.length);
    });
    points.push({
      threshold: t,
      apcerPooled: nAttack ? acc / nAttack : Number.NaN,
      apcer: maxA,
      bpcer: bonaSorted.length ? bi / bonaSorted.length : Number.NaN,
    });
  }
  return points;
}

/**
 * Area under the ROC curve: P(bona fide score > attack score) + 0.5 P(equal), the Mann-Whitney
 * statistic, so ties count one half.
 */
export function auc(samples: readonly Scored[]): number {
  split(samples); // refuses scores that are not finite
  const all = samples.map((s) => ({ v: s.score, bona: s.label === "bonafide" }));
  const nB = all.filter((x) => x.bona).length;
  const nA = all.length - nB;
  if (nB === 0 || nA === 0) return Number.NaN;
  all.sort((a, b) => a.v - b.v);
  // sum of mid-ranks of bona fide samples
  let rankSum = 0;
  let i = 0;
  while (i < all.length) {
    let j = i;
    while (j + 1 < all.length && all[j + 1]!.v === all[i]!.v) j++;
    const midRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (all[k]!.bona) rankSum += midRank;
    i = j + 1;
  }
  return (rankSum - (nB * (nB + 1)) / 2) / (nB * nA);
}

/**
 * Equal error rate, the model factory's definition (training/fasedge/metrics.py `eer`): over the
 * candidate thresholds of `thresholdFromVal` (0, the midpoints between adjacent distinct scores, the
 * scores, just above 1), the one where the pooled APCER (all attacks together) and the BPCER are
 * closest; the EER is the mean of the two there, and among equally close candidates the lowest
 * mean. Nothing is interpolated between operating points. NaN without bona fide or attack samples.
 */
export function eer(samples: readonly Scored[]): number {
  const { bona, attack } = split(samples);
  const att = [...attack.values()].flat().sort(ascending);
  if (!bona.length || !att.length) return Number.NaN;
  const bonaSorted = [...bona].sort(ascending);
  let bestGap = Number.POSITIVE_INFINITY;
  let best = Number.NaN;
  for (const t of candidateThresholds(samples)) {
    const apcerPooled = (att.length - countBelow(att, t)) / att.length;
    const bpcer = countBelow(bonaSorted, t) / bonaSorted.length;
    const gap = Math.abs(apcerPooled - bpcer);
    const mean = (apcerPooled + bpcer) / 2;
    if (gap < bestGap || (gap === bestGap && mean < best)) {
      bestGap = gap;
      best = mean;
    }
  }
  return best;
}

/**
 * BPCER at a fixed APCER (BPCER20: apcer 0.05, BPCER100: 0.01): the BPCER at the lowest
 * threshold whose APCER (maximum over species) is at most the target. NaN without bona fide or
 * attack samples.
 */
export function bpcerAtApcer(samples: readonly Scored[], target: number): { bpcer: number; threshold: number } {
  const { bona, attack } = split(samples);
  if (!bona.length || !attack.size) return { bpcer: Number.NaN, threshold: Number.NaN };
  for (const p of operatingPoints(samples)) {
    if (p.apcer <= target + 1e-12) return { bpcer: p.bpcer, threshold: p.threshold };
  }
  return { bpcer: 1, threshold: Number.POSITIVE_INFINITY };
}

/** ROC points (pooled APCER, 1 - BPCER) in order of increasing threshold, thinned to at most maxPoints. */
export function rocCurve(samples: readonly Scored[], maxPoints = 200): Array<[number, number]> {
  const pts = operatingPoints(samples).map((p): [number, number] => [p.apcerPooled, 1 - p.bpcer]);
  if (pts.length <= maxPoints) return pts;
  const out: Array<[number, number]> = [];
  let last: [number, number] | undefined;
  const step = 1 / maxPoints;
  for (const p of pts) {
    if (!last || Math.abs(p[0] - last[0]) + Math.abs(p[1] - last[1]) >= step) {
      out.push(p);
      last = p;
    }
  }
  const end = pts[pts.length - 1]!;
  if (out[out.length - 1] !== end) out.push(end);
  return out;
}

export interface AccuracySummary extends ErrorRates {
  auc: number;
  eer: number;
  bpcer20: number;
  bpcer100: number;
}

/** Test-split accuracy at a threshold fixed elsewhere (on the validation split). */
export function summarize(test: readonly Scored[], threshold: number): AccuracySummary {
  return {
    ...errorRates(test, threshold),
    auc: auc(test),
    eer: eer(test),
    bpcer20: bpcerAtApcer(test, 0.05).bpcer,
    bpcer100: bpcerAtApcer(test, 0.01).bpcer,
  };
}

/**
 * The threshold rule for every model (the same rule the model factory applies before writing
 * `threshold` into models/manifest.json): among the candidates 0, the midpoints between adjacent
 * distinct scores, the scores themselves and the float just above 1, take those with the minimum
 * ACER, find the widest contiguous run of them and return its middle. Throws without bona fide or
 * attack samples.
 */
export function thresholdFromVal(val: readonly Scored[]): number {
  const { bona, attack } = split(val);
  if (!bona.length || !attack.size) {
    const nAttack = [...attack.values()].reduce((n, v) => n + v.length, 0);
    throw new Error(`thresholdFromVal needs bona fide and attack scores; got ${bona.length} bona fide and ${nAttack} attack`);
  }
  const cands = candidateThresholds(val);
  const bonaSorted = [...bona].sort(ascending);
  const species = [...attack.values()].map((v) => [...v].sort(ascending));
  const acers = cands.map((t) => {
    const apcer = species.reduce((m, v) => Math.max(m, (v.length - countBelow(v, t)) / v.length), 0);
    const bpcer = countBelow(bonaSorted, t) / bonaSorted.length;
    return (apcer + bpcer) / 2;
  });
  // a loop, not Math.min(...acers): a spread of that many arguments overflows the stack
  let min = Number.POSITIVE_INFINITY;
  for (const a of acers) if (a < min) min = a;
  let best: [number, number] | undefined;
  let start = -1;
  for (let i = 0; i <= cands.length; i++) {
    const ok = i < cands.length && acers[i]! <= min + 1e-12;
    if (ok && start < 0) start = i;
    if (!ok && start >= 0) {
      if (!best || cands[i - 1]! - cands[start]! > cands[best[1]]! - cands[best[0]]!) best = [start, i - 1];
      start = -1;
    }
  }
  return (cands[best![0]]! + cands[best![1]]!) / 2;
}

export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}
