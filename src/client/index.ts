export { FasEdgeClient, FasEdgeSession } from "./client";
export type { AssessOptions, CallOptions, FasEdgeClientOptions, Frame, FrameWithBox } from "./client";
export {
  FasEdgeAbortError,
  FasEdgeError,
  FasEdgeNetworkError,
  FasEdgeProblemError,
  FasEdgeResponseError,
  FasEdgeTimeoutError,
} from "./errors";
export { RETRYABLE_STATUSES, parseRetryAfter, retryDelayMs } from "./retry";
export { SessionResponseSchema, type SessionResponse } from "../schemas/session";
export { FaceBoxSchema, LivenessResponseSchema, type Decider, type Decision, type FaceBoxInput, type LivenessResponse } from "../schemas/liveness";
export { ProblemSchema, type Problem } from "../schemas/problem";
export { SwapResponseSchema, type SwapFigures, type SwapRegion, type SwapResponse } from "../schemas/swap";
export { ModelCardsResponseSchema, type ModelCardsResponse } from "../schemas/models";
export { HealthResponseSchema, type HealthResponse } from "../schemas/health";
