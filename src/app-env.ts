import type { ServiceConfig } from "./config";
import type { LivenessInput } from "./http/liveness-request";
import type { TeacherVerdict } from "./liveness/cascade";
import type { ModelRegistry } from "./models/model-registry";
import type { LivenessEventSink } from "./telemetry/liveness-event";

/** What every route gets from the app: the isolate's models, the configured limits and the optional parts. */
export interface Services {
  readonly registry: ModelRegistry;
  readonly config: ServiceConfig;
  /**
   * Second opinion for frames whose student score lies in the uncertainty band (the teacher
   * fallback). Without it, or when it answers undefined, such frames are `uncertain`.
   */
  readonly teacher?: (input: LivenessInput) => Promise<TeacherVerdict | undefined>;
  /** Telemetry: called once per answered liveness request, after the response. */
  readonly recordLiveness?: LivenessEventSink;
}

export interface AppVariables {
  requestId: string;
  services: Services;
  /** performance.now() when the request reached the app. */
  startedAt: number;
}

export type AppEnv = { Bindings: Env; Variables: AppVariables };
