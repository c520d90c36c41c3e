import type { Services } from "./app-env";
import { readConfig } from "./config";
import { AssetModelStore } from "./models/asset-model-store";
import { ModelRegistry } from "./models/model-registry";

let isolateRegistry: ModelRegistry | undefined;

/**
 * The services of this isolate: one model registry (so one onnxruntime session per model) shared
 * by all requests, reading models from the ASSETS binding.
 */
export function isolateServices(env: Env): Services {
  isolateRegistry ??= new ModelRegistry(new AssetModelStore(env.ASSETS));
  return { registry: isolateRegistry, config: readConfig(env) };
}
