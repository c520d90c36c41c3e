import type { Services } from "./app-env";
import { Authenticator } from "./auth/authenticator";
import { RateLimits } from "./auth/rate-limit";
import { internalTeacherToken } from "./auth/signing";
import { readConfig } from "./config";
import type { LivenessInput } from "./http/liveness-request";
import { AssetModelStore } from "./models/asset-model-store";
import { ModelRegistry } from "./models/model-registry";
import type { SessionLedger } from "./sessions/session-ledger";
import { Sessions } from "./sessions/sessions";
import { TeacherClient } from "./teacher/teacher-client";
import { SwapTelemetry } from "./telemetry/swap-telemetry";

let isolateRegistry: ModelRegistry | undefined;
let isolateTelemetry: SwapTelemetry | undefined;
const servicesByEnv = new WeakMap<Env, Services>();

/**
 * The services of this isolate: one model registry (so one onnxruntime session per model) shared
 * by all requests, reading models from the ASSETS binding; the teacher through the TEACHER service
 * binding (its own invocation); one SWAP telemetry (Analytics Engine + this isolate's KV rollup).
 */
export function isolateServices(env: Env): Services {
  let services = servicesByEnv.get(env);
  if (!services) {
    services = buildServices(env);
    servicesByEnv.set(env, services);
  }
  return services;
}

/** Built once per env object: the request path parses no config and creates no clients. */
function buildServices(env: Env): Services {
  isolateRegistry ??= new ModelRegistry(new AssetModelStore(env.ASSETS));
  const config = readConfig(env);
  isolateTelemetry ??= env.SWAP_ROLLUPS
    ? new SwapTelemetry({ kv: env.SWAP_ROLLUPS, analytics: env.SWAP_EVENTS, flushIntervalMs: config.rollupFlushMs })
    : undefined;
  const internalToken = env.SIGNING_SECRET ? internalTeacherToken(env.SIGNING_SECRET) : Promise.resolve(undefined);
  const teacher = env.TEACHER ? new TeacherClient(env.TEACHER, { timeoutMs: config.teacherTimeoutMs, credential: internalToken }) : undefined;
  return {
    registry: isolateRegistry,
    config,
    auth: new Authenticator({
      keys: env.API_KEYS,
      ...(env.DEV_API_KEY ? { devKey: env.DEV_API_KEY } : {}),
      internalToken,
      cacheMs: config.apiKeyCacheS * 1000,
    }),
    rateLimits: new RateLimits({ perKey: env.RATE_LIMIT_KEY, perClient: env.RATE_LIMIT_CLIENT, periodS: config.rateLimitPeriodS }),
    sessions: new Sessions({
      ...(env.SIGNING_SECRET ? { secret: env.SIGNING_SECRET } : {}),
      ledger: env.SESSIONS as unknown as DurableObjectNamespace<SessionLedger>,
      ttlS: config.sessionTtlS,
    }),
    ...(teacher ? { teacher: (input: LivenessInput) => teacher.score(input) } : {}),
    ...(isolateTelemetry ? { recordLiveness: isolateTelemetry.record, swap: isolateTelemetry } : {}),
  };
}
