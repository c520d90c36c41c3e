import type { Services } from "./app-env";
import { readConfig } from "./config";
import type { LivenessInput } from "./http/liveness-request";
import { AssetModelStore } from "./models/asset-model-store";
import { ModelRegistry } from "./models/model-registry";
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
  const teacher = env.TEACHER ? new TeacherClient(env.TEACHER, { timeoutMs: config.teacherTimeoutMs }) : undefined;
  return {
    registry: isolateRegistry,
    config,
    ...(teacher ? { teacher: (input: LivenessInput) => teacher.score(input) } : {}),
    ...(isolateTelemetry ? { recordLiveness: isolateTelemetry.record, swap: isolateTelemetry } : {}),
  };
}
