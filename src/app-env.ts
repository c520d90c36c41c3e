import type { ServiceConfig } from "./config";
import type { ModelRegistry } from "./models/model-registry";

/** What every route gets from the app: the isolate's models and the configured limits. */
export interface Services {
  readonly registry: ModelRegistry;
  readonly config: ServiceConfig;
}

export interface AppVariables {
  requestId: string;
  services: Services;
  /** performance.now() when the request reached the app. */
  startedAt: number;
}

export type AppEnv = { Bindings: Env; Variables: AppVariables };
