import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { ModelUnavailableError } from "../inference/model-session";
import { ort, ortLinearMemoryBytes } from "../inference/ort-wasm";
import type { HealthResponse } from "../schemas/health";

/**
 * GET /healthz: readiness. Loads the serving student if it is not loaded yet, so a 200 means the
 * isolate can answer POST /v1/liveness; 503 (with Retry-After) while it cannot.
 */
export const healthRoutes = new Hono<AppEnv>().get("/healthz", async (c) => {
  const { registry } = c.get("services");
  c.header("cache-control", "no-store");
  const onnxruntime = ort.env.versions.web ?? "unknown";
  try {
    const manifest = await registry.manifest();
    await (await registry.student()).ready();
    const body: HealthResponse = {
      status: "ok",
      onnxruntime,
      manifest: { schemaVersion: manifest.schemaVersion, generatedAt: manifest.generatedAt },
      models: registry.statuses(),
    };
    const memory = ortLinearMemoryBytes();
    if (memory !== undefined) body.onnxruntimeMemoryBytes = memory;
    return c.json(body);
  } catch (error) {
    if (!(error instanceof ModelUnavailableError)) throw error;
    const body: HealthResponse = {
      status: "unavailable",
      onnxruntime,
      models: registry.statuses(),
      error: error.message,
    };
    c.header("retry-after", String(error.retryAfterS));
    return c.json(body, 503);
  }
});
