// onnxruntime-node (native CPU execution provider) as a second column beside the wasm figures.
// Not a dependency of the project: installed on first use into .cache/ort-node from the npm
// registry (same version as onnxruntime-web, install scripts off, so only the bundled CPU
// binaries are used).

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";

export const ORT_NODE_VERSION = "1.30.0";

export interface NativeTensorCtor {
  new (type: "float32", data: Float32Array, dims: readonly number[]): unknown;
}

export interface NativeSession {
  run(feeds: Record<string, unknown>): Promise<Record<string, { data: unknown }>>;
  release(): Promise<void>;
}

export interface OrtNative {
  version: string;
  Tensor: NativeTensorCtor;
  createSession(model: Uint8Array): Promise<NativeSession>;
}

export function loadOrtNode(cacheDir = ".cache/ort-node", log: (s: string) => void = () => {}): OrtNative {
  const dir = resolve(cacheDir);
  const pkg = join(dir, "node_modules", "onnxruntime-node");
  if (!existsSync(join(pkg, "package.json"))) {
    log(`installing onnxruntime-node@${ORT_NODE_VERSION} into ${cacheDir} (npm registry, install scripts off)`);
    mkdirSync(dir, { recursive: true });
    if (!existsSync(join(dir, "package.json"))) writeFileSync(join(dir, "package.json"), '{"name":"ort-node-cache","private":true}\n');
    execFileSync("npm", ["install", "--ignore-scripts", "--no-audit", "--no-fund", "--no-package-lock", `onnxruntime-node@${ORT_NODE_VERSION}`], {
      cwd: dir,
      stdio: ["ignore", "ignore", "inherit"],
    });
  }
  const require = createRequire(join(dir, "package.json"));
  const m = require("onnxruntime-node") as {
    env: { versions?: Record<string, string> };
    Tensor: NativeTensorCtor;
    InferenceSession: { create(model: Uint8Array, opts: Record<string, unknown>): Promise<NativeSession> };
  };
  return {
    version: m.env.versions?.node ?? ORT_NODE_VERSION,
    Tensor: m.Tensor,
    createSession: (model) =>
      m.InferenceSession.create(model, { executionProviders: ["cpu"], intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: "all" }),
  };
}
