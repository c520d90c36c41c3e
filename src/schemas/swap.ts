import { z } from "zod";

/**
 * GET /v1/swap: SWAP telemetry per edge region, merged from every isolate's rollup. Shared with
 * the dashboard and the client SDK: change field names and meanings only together with them.
 */

const Count = z.int().nonnegative();
/** A share in 0..1; null when its denominator is 0. */
const Rate = z.number().min(0).max(1).nullable();
/** Quantiles from merged latency histograms (see `latencyHistogram`); null without samples. */
const Quantiles = z.object({ p50: z.number().nonnegative().nullable(), p95: z.number().nonnegative().nullable(), samples: Count });

export const SwapFiguresSchema = z.object({
  /**
   * Frames assessed, plus refused requests: each frame of a POST /v1/liveness that got a decision
   * counts once (a burst of n frames counts n), each refused (4xx) or failed (5xx) request once.
   */
  requests: Count,
  /** Frames the student scored; `rejected` (4xx) and `failed` (5xx) requests make up the rest of `requests`. */
  scored: Count,
  rejected: Count,
  failed: Count,
  decisions: z.object({ live: Count, spoof: Count, uncertain: Count }),
  decidedBy: z.object({ student: Count, teacher: Count }),
  /** Scored frames whose student score lay in the uncertainty band. */
  inBand: Count,
  /** Share of scored frames sent to the teacher by the cascade (fallback.asked / scored). */
  fallbackRate: Rate,
  /** The cascade's teacher calls and how they ended. */
  fallback: z.object({ asked: Count, answered: Count, timeout: Count, failed: Count }),
  /** Teacher calls of the cascade that gave no answer (timeout or failure): those frames were answered `uncertain`. */
  teacherFailures: Count,
  /**
   * Shadow samples: confidently decided frames also scored by the teacher after the response.
   * rate = agreed / sampled (answered samples), the online proxy for the student's accuracy.
   */
  agreement: z.object({ sampled: Count, agreed: Count, rate: Rate, failures: Count }),
  /** Worker time per scored frame, from the request's arrival to the frame's decision (see speedNote: measured or estimate). */
  latencyMs: Quantiles,
  /** The student's run per scored frame. */
  studentMs: Quantiles,
  /** Round trip of answered teacher calls (fallback and shadow). */
  teacherMs: Quantiles,
  /** Analytical energy estimate per scored frame (student, plus the teacher when it ran for the frame), millijoules. */
  energyMjPerRequest: z.number().nonnegative().nullable(),
  /** Public ids of the models that served these frames. */
  models: z.array(z.string()),
  /** Time of the latest frame or request counted, ISO 8601; null when none. */
  lastUpdated: z.string().nullable(),
});
export type SwapFigures = z.infer<typeof SwapFiguresSchema>;

export const SwapRegionSchema = SwapFiguresSchema.extend({
  /** Edge location (`request.cf.colo`, an IATA code) or the configured fallback region. */
  region: z.string(),
});
export type SwapRegion = z.infer<typeof SwapRegionSchema>;

export const SwapResponseSchema = z.object({
  generatedAt: z.string(),
  /** Which Speed figures are measured and which are estimates. */
  speedNote: z.string(),
  /** How the latency quantiles are computed (the histogram kind). */
  latencyHistogram: z.string(),
  /** The analytical energy model and its constants. */
  energyModel: z.object({
    source: z.string(),
    pjPerMac: z.object({ fp32: z.number(), int8: z.number() }),
    pjPerDramByte: z.number(),
    note: z.string(),
  }),
  /** The `?region=` filter applied, or null. */
  region: z.string().nullable(),
  /**
   * Where the figures come from: the rollups of the isolates that counted a request in the last
   * 24 hours, merged from KV (eventually consistent), and telemetry's own caught failures.
   * `isolates`: rollups merged. `unreadable`: rollups left out, because they could not be read or
   * parsed or because one GET merges at most 500 (the least recently written are left out); when
   * it is not 0 the figures are partial.
   */
  sources: z.object({
    isolates: Count,
    unreadable: Count,
    telemetryErrors: z.object({ analyticsWriteErrors: Count, kvWriteErrors: Count, sinkErrors: Count }),
  }),
  regions: z.array(SwapRegionSchema),
  /** The same figures over all regions listed. */
  totals: SwapFiguresSchema,
});
export type SwapResponse = z.infer<typeof SwapResponseSchema>;
