import type { LivenessResponse } from "../schemas/liveness";
import type { TeacherOutcome } from "../teacher/ask-teacher";

/** Fields every POST /v1/liveness event has, answered or refused. */
interface LivenessEventBase {
  readonly requestId: string;
  /** request.cf.colo, or the configured fallback. */
  readonly region: string;
  /** request.cf.country, when known. */
  readonly country?: string;
  /** HTTP status of the answer. */
  readonly status: number;
  /** Request body size (the Content-Length header when the body was refused unread). */
  readonly bytes: number;
}

/** A call to the teacher made for this request, and how it ended. */
export interface TeacherCallRecord {
  readonly outcome: TeacherOutcome;
  /** Round trip, milliseconds (measured locally; see the speed note of GET /v1/swap). */
  readonly ms?: number;
  /** Public id of the teacher that answered. */
  readonly model?: string;
}

/** A frame the student scored: the answer's decision and what it cost. */
export interface ScoredLivenessEvent extends LivenessEventBase {
  readonly outcome: "scored";
  readonly decision: LivenessResponse["decision"];
  readonly decidedBy: LivenessResponse["decidedBy"];
  readonly score: number;
  readonly models: LivenessResponse["models"];
  readonly timingsMs: LivenessResponse["timingsMs"];
  /** The student's score lay in the uncertainty band (the frame went, or would have gone, to the teacher). */
  readonly inBand: boolean;
  /** The cascade's call to the teacher (in-band frame, fallback on). */
  readonly fallback?: TeacherCallRecord;
  /** A shadow sample: a confidently decided frame also scored by the teacher after the response. */
  readonly shadow?: TeacherCallRecord & { readonly agreed?: boolean };
  /** Analytical energy estimate of the models that ran for this request, millijoules. */
  readonly energyMj: number;
}

/** A request answered without a decision: refused input (4xx) or a service failure (5xx). */
export interface RefusedLivenessEvent extends LivenessEventBase {
  readonly outcome: "rejected" | "failed";
  /** Problem type of the answer (`urn:fas-edge:problem:<slug>`). */
  readonly problem: string;
}

/** One frame a POST /v1/liveness scored (a burst gives one per frame) or one refused request, as handed to the SWAP telemetry sink (Analytics Engine, KV). */
export type LivenessEvent = ScoredLivenessEvent | RefusedLivenessEvent;

/** Receives events after the response has been sent (ExecutionContext.waitUntil). */
export type LivenessEventSink = (event: LivenessEvent) => Promise<void>;
