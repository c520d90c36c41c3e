import { z } from "zod";
import { mergeInto, observe } from "./histogram";
import type { LivenessEvent } from "./liveness-event";

const Count = z.int().nonnegative();
const HistogramSchema = z.record(z.string().regex(/^\d+$/), Count);

/** Running SWAP totals of one region, as kept by one isolate; two of them merge by adding. */
export const RegionRollupSchema = z.object({
  /** Events counted: each frame of a POST /v1/liveness that got a decision (a burst of n frames gives n), each refused or failed request. */
  requests: Count,
  /** Frames the student scored (an answer with a decision). */
  scored: Count,
  /** Refused input (4xx) and service failures (5xx). */
  rejected: Count,
  failed: Count,
  decisions: z.object({ live: Count, spoof: Count, uncertain: Count }),
  decidedBy: z.object({ student: Count, teacher: Count }),
  /** Scored frames whose student score lay in the uncertainty band. */
  inBand: Count,
  /** In-band frames sent to the teacher (fallback on), and how those calls ended. */
  fallback: z.object({ asked: Count, answered: Count, timeout: Count, failed: Count }),
  /** Shadow samples: confident frames also scored by the teacher after the response. */
  shadow: z.object({ asked: Count, answered: Count, agreed: Count, timeout: Count, failed: Count }),
  /** Latency histograms (ms): the Worker's total per scored frame, the student's run, the teacher's round trip. */
  totalMs: HistogramSchema,
  studentMs: HistogramSchema,
  teacherMs: HistogramSchema,
  /** Sum of per-frame energy estimates, millijoules. */
  energyMj: z.number().nonnegative(),
  /** Frames seen per public model id. */
  models: z.record(z.string(), Count),
  /** Time of the latest event, ISO 8601. */
  lastUpdated: z.string(),
});
export type RegionRollup = z.infer<typeof RegionRollupSchema>;

export function emptyRegionRollup(): RegionRollup {
  return {
    requests: 0,
    scored: 0,
    rejected: 0,
    failed: 0,
    decisions: { live: 0, spoof: 0, uncertain: 0 },
    decidedBy: { student: 0, teacher: 0 },
    inBand: 0,
    fallback: { asked: 0, answered: 0, timeout: 0, failed: 0 },
    shadow: { asked: 0, answered: 0, agreed: 0, timeout: 0, failed: 0 },
    totalMs: {},
    studentMs: {},
    teacherMs: {},
    energyMj: 0,
    models: {},
    lastUpdated: new Date(0).toISOString(),
  };
}

/** Counts one event into its region's rollup. */
export function addEvent(rollup: RegionRollup, event: LivenessEvent, at: Date): void {
  rollup.requests++;
  const iso = at.toISOString();
  if (iso > rollup.lastUpdated) rollup.lastUpdated = iso;
  if (event.outcome !== "scored") {
    rollup[event.outcome]++;
    return;
  }
  rollup.scored++;
  rollup.decisions[event.decision]++;
  rollup.decidedBy[event.decidedBy]++;
  if (event.inBand) rollup.inBand++;
  observe(rollup.totalMs, event.timingsMs.total);
  observe(rollup.studentMs, event.timingsMs.student);
  for (const [record, into] of [
    [event.fallback, rollup.fallback],
    [event.shadow, rollup.shadow],
  ] as const) {
    if (!record) continue;
    into.asked++;
    into[record.outcome]++;
    if (record.outcome === "answered" && record.ms !== undefined) observe(rollup.teacherMs, record.ms);
  }
  if (event.shadow?.agreed) rollup.shadow.agreed++;
  rollup.energyMj += event.energyMj;
  const models = new Set([event.models.student, event.models.teacher, event.fallback?.model, event.shadow?.model]);
  for (const model of models) if (model) rollup.models[model] = (rollup.models[model] ?? 0) + 1;
}

/** Adds `from` into `into` (both regions' rollups of the same region, from different isolates). */
export function mergeRegionRollup(into: RegionRollup, from: RegionRollup): void {
  into.requests += from.requests;
  into.scored += from.scored;
  into.rejected += from.rejected;
  into.failed += from.failed;
  for (const k of ["live", "spoof", "uncertain"] as const) into.decisions[k] += from.decisions[k];
  for (const k of ["student", "teacher"] as const) into.decidedBy[k] += from.decidedBy[k];
  into.inBand += from.inBand;
  for (const k of ["asked", "answered", "timeout", "failed"] as const) into.fallback[k] += from.fallback[k];
  for (const k of ["asked", "answered", "agreed", "timeout", "failed"] as const) into.shadow[k] += from.shadow[k];
  mergeInto(into.totalMs, from.totalMs);
  mergeInto(into.studentMs, from.studentMs);
  mergeInto(into.teacherMs, from.teacherMs);
  into.energyMj += from.energyMj;
  for (const [model, n] of Object.entries(from.models)) into.models[model] = (into.models[model] ?? 0) + n;
  if (from.lastUpdated > into.lastUpdated) into.lastUpdated = from.lastUpdated;
}

/** What one isolate writes under its own KV key: everything it has counted since it started. */
export const RollupDocumentSchema = z.object({
  version: z.literal(1),
  /** Random id of the isolate that owns (and alone writes) this key. */
  isolate: z.string(),
  startedAt: z.string(),
  /** When this document was written. */
  writtenAt: z.string(),
  /** Increases with every write of this key. */
  seq: Count,
  regions: z.record(z.string(), RegionRollupSchema),
  /** Telemetry's own failures in this isolate (caught; never seen by a client). */
  telemetry: z.object({ analyticsWriteErrors: Count, kvWriteErrors: Count, sinkErrors: Count }),
});
export type RollupDocument = z.infer<typeof RollupDocumentSchema>;
