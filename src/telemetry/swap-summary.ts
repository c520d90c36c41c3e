import type { SwapFigures, SwapResponse } from "../schemas/swap";
import { ENERGY_MODEL } from "./energy";
import { countOf, HISTOGRAM_KIND, quantileMs, type Histogram } from "./histogram";
import { emptyRegionRollup, mergeRegionRollup, type RegionRollup } from "./rollup";
import type { MergedRollups } from "./rollup-reader";

export const SPEED_NOTE =
  "latencyMs, studentMs and teacherMs come from the Worker's own timers. Under wrangler dev and local workerd " +
  "the timers run (about 1 ms resolution), so local figures are measured. Deployed Workers do not advance " +
  "Date.now()/performance.now() during computation, only across I/O: there the per-request ms are estimates " +
  "(compute shows as ~0 ms; teacherMs, a service-binding round trip, still includes the wait). Measured CPU time " +
  "per request comes from Workers trace events, outside the request. energyMjPerRequest is always an analytical estimate.";

const ratio = (n: number, d: number): number | null => (d > 0 ? n / d : null);
const round = (v: number, digits: number): number => Math.round(v * 10 ** digits) / 10 ** digits;

function quantiles(h: Histogram): SwapFigures["latencyMs"] {
  return { p50: quantileMs(h, 0.5), p95: quantileMs(h, 0.95), samples: countOf(h) };
}

export function figuresOf(r: RegionRollup): SwapFigures {
  const energy = ratio(r.energyMj, r.scored);
  return {
    requests: r.requests,
    scored: r.scored,
    rejected: r.rejected,
    failed: r.failed,
    decisions: { ...r.decisions },
    decidedBy: { ...r.decidedBy },
    inBand: r.inBand,
    fallbackRate: ratio(r.fallback.asked, r.scored),
    fallback: { ...r.fallback },
    teacherFailures: r.fallback.timeout + r.fallback.failed,
    agreement: {
      sampled: r.shadow.answered,
      agreed: r.shadow.agreed,
      rate: ratio(r.shadow.agreed, r.shadow.answered),
      failures: r.shadow.timeout + r.shadow.failed,
    },
    latencyMs: quantiles(r.totalMs),
    studentMs: quantiles(r.studentMs),
    teacherMs: quantiles(r.teacherMs),
    energyMjPerRequest: energy === null ? null : round(energy, 6),
    models: Object.keys(r.models).sort(),
    lastUpdated: r.requests > 0 ? r.lastUpdated : null,
  };
}

/** GET /v1/swap's body from the merged rollups, optionally for one region. */
export function swapSummary(merged: MergedRollups, region: string | null, now = new Date()): SwapResponse {
  const selected = [...merged.regions.entries()]
    .filter(([name]) => region === null || name === region)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const totals = emptyRegionRollup();
  for (const [, rollup] of selected) mergeRegionRollup(totals, rollup);
  return {
    generatedAt: now.toISOString(),
    speedNote: SPEED_NOTE,
    latencyHistogram: HISTOGRAM_KIND,
    energyModel: {
      source: ENERGY_MODEL.source,
      pjPerMac: { ...ENERGY_MODEL.pjPerMac },
      pjPerDramByte: ENERGY_MODEL.pjPerDramByte,
      note: "per scored frame: the student's estimate, plus the teacher's whenever it answered for that frame (fallback or shadow sample)",
    },
    region,
    sources: { isolates: merged.isolates, unreadable: merged.unreadable + merged.notRead, telemetryErrors: { ...merged.telemetry } },
    regions: selected.map(([name, rollup]) => ({ region: name, ...figuresOf(rollup) })),
    totals: figuresOf(totals),
  };
}
