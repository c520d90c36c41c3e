/**
 * Loads onnxruntime-web's WebAssembly backend inside workerd.
 *
 * workerd refuses to compile WebAssembly from bytes at run time, so the binary is imported as a
 * precompiled `WebAssembly.Module` (wrangler rule `CompiledWasm`). onnxruntime-web 1.30 cannot be
 * handed such a module directly; instead it is given an 8-byte empty-module header as `wasmBinary`
 * (which makes it use its embedded Emscripten factory, with no script URL and no fetch), and the
 * one `WebAssembly.instantiate` call that receives those 8 bytes is answered with the imported
 * module. The hook is installed only while a session is being created.
 */
import * as ort from "onnxruntime-web/wasm";
import ortWasmModule from "../../node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm";

/** "\0asm" + version 1: the smallest valid WebAssembly binary. */
const PLACEHOLDER_BINARY = Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00);

type Instantiate = typeof WebAssembly.instantiate;

export function isPlaceholderBinary(source: unknown): boolean {
  let bytes: Uint8Array;
  if (source instanceof ArrayBuffer) bytes = new Uint8Array(source);
  else if (ArrayBuffer.isView(source)) bytes = new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  else return false;
  return bytes.length === PLACEHOLDER_BINARY.length && PLACEHOLDER_BINARY.every((b, i) => bytes[i] === b);
}

/**
 * Returns an `instantiate` that answers the placeholder binary with `module` (in the
 * `{ instance, module }` shape of instantiating from bytes) and passes every other call through.
 */
export function instantiateWithModule(
  original: Instantiate,
  module: WebAssembly.Module,
  onInstance?: (instance: WebAssembly.Instance, imports: WebAssembly.Imports | undefined) => void,
): Instantiate {
  const hooked = (source: unknown, imports?: WebAssembly.Imports): Promise<unknown> => {
    if (isPlaceholderBinary(source)) {
      return original(module, imports).then((instance) => {
        onInstance?.(instance, imports);
        return { instance, module };
      });
    }
    return (original as (s: unknown, i?: WebAssembly.Imports) => Promise<unknown>)(source, imports);
  };
  return hooked as Instantiate;
}

let hookDepth = 0;
let originalInstantiate: Instantiate | undefined;
let linearMemory: WebAssembly.Memory | undefined;

/** The WebAssembly.Memory of an instance: exported, or else handed in through its imports. */
function findMemory(instance: WebAssembly.Instance, imports: WebAssembly.Imports | undefined): WebAssembly.Memory | undefined {
  const candidates = [...Object.values(instance.exports), ...Object.values(imports ?? {}).flatMap((ns) => Object.values(ns))];
  return candidates.find((v): v is WebAssembly.Memory => v instanceof WebAssembly.Memory);
}

/** Bytes of onnxruntime's WebAssembly linear memory in this isolate (undefined before initialisation). */
export function ortLinearMemoryBytes(): number | undefined {
  return linearMemory?.buffer.byteLength;
}

function installHook(): () => void {
  if (hookDepth++ === 0) {
    const original = WebAssembly.instantiate.bind(WebAssembly) as Instantiate;
    originalInstantiate = WebAssembly.instantiate;
    (WebAssembly as { instantiate: Instantiate }).instantiate = instantiateWithModule(original, ortWasmModule, (instance, imports) => {
      linearMemory = findMemory(instance, imports);
    });
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--hookDepth === 0 && originalInstantiate) {
      (WebAssembly as { instantiate: Instantiate }).instantiate = originalInstantiate;
      originalInstantiate = undefined;
    }
  };
}

function configure(): void {
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  ort.env.wasm.wasmBinary = PLACEHOLDER_BINARY;
  ort.env.logLevel = "error";
}

/** Creates an onnxruntime-web session (wasm execution provider, one thread) from model bytes. */
export async function createOrtSession(model: Uint8Array): Promise<ort.InferenceSession> {
  configure();
  const release = installHook();
  try {
    return await ort.InferenceSession.create(model, {
      executionProviders: ["wasm"],
      graphOptimizationLevel: "all",
    });
  } finally {
    release();
  }
}

/**
 * Whether `error` (from createOrtSession) means onnxruntime's backend failed to start. The
 * backend registry of onnxruntime-common marks a backend whose initialisation failed as aborted
 * and answers every later session creation with "no available backend found" and the first
 * error, so in this isolate no model can be loaded after that: retrying cannot help.
 */
export function backendFailed(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith("no available backend found");
}

export { ort };
