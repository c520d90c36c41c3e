import type { LivenessEvent } from "./liveness-event";

/**
 * Column layout of the SWAP data point in the Analytics Engine dataset (SQL API: blob1.., double1..).
 * index1 is the region, so sampling keeps regions apart.
 */
export const SWAP_DATA_POINT_COLUMNS = {
  blobs: [
    "region",
    "country",
    "outcome", // scored | rejected | failed
    "decision", // live | spoof | uncertain, empty when not scored
    "decidedBy", // student | teacher
    "studentModel",
    "teacherModel", // the teacher that decided, or answered the shadow sample
    "fallback", // answered | timeout | failed, empty when the teacher was not asked
    "shadow", // answered | timeout | failed, empty when not sampled
    "problem", // problem type of a refused request
    "requestId",
  ],
  doubles: [
    "status",
    "score", // of the deciding model; -1 when not scored
    "bytes",
    "decodeMs",
    "preprocessMs",
    "studentMs",
    "teacherMs", // round trip of the fallback or shadow call; -1 when none answered
    "totalMs",
    "energyMj", // analytical estimate
    "inBand", // 1 when the student's score lay in the uncertainty band
    "shadowAgreed", // 1 agreed, 0 disagreed, -1 no shadow answer
  ],
} as const;

/** The SWAP data point of one event, in the column order above. */
export function swapDataPoint(event: LivenessEvent): AnalyticsEngineDataPoint {
  if (event.outcome !== "scored") {
    return {
      indexes: [event.region],
      blobs: [event.region, event.country ?? "", event.outcome, "", "", "", "", "", "", event.problem, event.requestId],
      doubles: [event.status, -1, event.bytes, -1, -1, -1, -1, -1, 0, 0, -1],
    };
  }
  const teacherCall = event.fallback?.outcome === "answered" ? event.fallback : event.shadow;
  const teacherMs = teacherCall?.outcome === "answered" && teacherCall.ms !== undefined ? teacherCall.ms : -1;
  const t = event.timingsMs;
  return {
    indexes: [event.region],
    blobs: [
      event.region,
      event.country ?? "",
      event.outcome,
      event.decision,
      event.decidedBy,
      event.models.student,
      event.models.teacher ?? event.shadow?.model ?? "",
      event.fallback?.outcome ?? "",
      event.shadow?.outcome ?? "",
      "",
      event.requestId,
    ],
    doubles: [
      event.status,
      event.score,
      event.bytes,
      t.decode,
      t.preprocess,
      t.student,
      teacherMs,
      t.total,
      event.energyMj,
      event.inBand ? 1 : 0,
      event.shadow?.agreed === undefined ? -1 : event.shadow.agreed ? 1 : 0,
    ],
  };
}
