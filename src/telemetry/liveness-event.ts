import type { LivenessResponse } from "../schemas/liveness";

/** One answered POST /v1/liveness, as handed to the SWAP telemetry sink (Analytics Engine, KV). */
export interface LivenessEvent {
  readonly requestId: string;
  /** request.cf.colo, or the configured fallback. */
  readonly region: string;
  /** request.cf.country, when known. */
  readonly country?: string;
  readonly decision: LivenessResponse["decision"];
  readonly decidedBy: LivenessResponse["decidedBy"];
  readonly score: number;
  readonly models: LivenessResponse["models"];
  readonly timingsMs: LivenessResponse["timingsMs"];
  /** Request body size. */
  readonly bytes: number;
}

/** Receives events after the response has been sent (ExecutionContext.waitUntil). */
export type LivenessEventSink = (event: LivenessEvent) => Promise<void>;
