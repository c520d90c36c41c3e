// onnxruntime-web in Node with the options the edge service uses (src/inference/ort-wasm.ts):
// the plain wasm build ("onnxruntime-web/wasm"), one thread, no proxy worker, graph optimisation
// "all". Only the way the .wasm binary is found differs (Node reads it from node_modules; workerd
// receives it as a precompiled module).

import * as ort from "onnxruntime-web/wasm";

let configured = false;

export function configureOrt(): void {
  if (configured) return;
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  ort.env.logLevel = "error";
  configured = true;
}

export async function createSession(model: Uint8Array): Promise<ort.InferenceSession> {
  configureOrt();
  return ort.InferenceSession.create(model, { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
}

export function ortVersion(): string {
  return ort.env.versions?.web ?? ort.env.versions?.common ?? "unknown";
}

export { ort };
