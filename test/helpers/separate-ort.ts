import type * as ort from "onnxruntime-web/wasm";

/** The same file src/inference/ort-wasm.ts imports, under another module URL: a copy with its own state. */
const SEPARATE_COPY = "../../node_modules/onnxruntime-web/dist/ort.wasm.bundle.min.mjs?separate-copy";

/**
 * A second copy of onnxruntime-web with its own backend registry, so that a test can make its
 * WebAssembly backend fail to start without touching the copy every other test shares. It is set
 * up as src/inference/ort-wasm.ts sets up its copy, but without the hook that answers the
 * placeholder binary with the precompiled module, so its backend start-up meets workerd's refusal
 * to compile WebAssembly from bytes: a real start-up failure, the one an isolate whose onnxruntime
 * is set up wrongly meets.
 */
export async function unstartableOrt(): Promise<typeof ort> {
  const copy = (await import(/* @vite-ignore */ SEPARATE_COPY)) as typeof ort;
  copy.env.wasm.numThreads = 1;
  copy.env.wasm.proxy = false;
  copy.env.wasm.wasmBinary = Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00);
  copy.env.logLevel = "error";
  return copy;
}

/** Session creation through `copy`, in the shape ModelSession's `createSession` option takes. */
export function createSessionWith(copy: typeof ort): (model: Uint8Array) => Promise<ort.InferenceSession> {
  return (model) => copy.InferenceSession.create(model, { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
}
