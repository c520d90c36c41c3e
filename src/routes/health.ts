import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { rootCauseMessage } from "../http/error-handler";
import { ModelUnavailableError } from "../inference/model-session";
import { ort, ortLinearMemoryBytes } from "../inference/ort-wasm";
import type { HealthResponse } from "../schemas/health";

/**
 * GET /healthz: readiness. Loads the serving student if it is not loaded yet, so a 200 means the
 * isolate can answer POST /v1/liveness; 503 while it cannot, with the reason (the root cause of the
 * failed load: a file check, onnxruntime's message) and Retry-After, which is left out when this
 * isolate can never load it (onnxruntime's backend failed to start).
 */
export const healthRoutes = new Hono<AppEnv>().get("/healthz", async (c) => {
  const { registry } = c.get("services");
  c.header("cache-control", "no-store");
  const onnxruntime = ort.env.versions.web ?? "unknown";
  const warnings = configurationWarnings(c.env);
  const warned = warnings.length > 0 ? { warnings } : {};
  try {
    const manifest = await registry.manifest();
    await (await registry.student()).ready();
    const body: HealthResponse = {
      status: "ok",
      onnxruntime,
      manifest: { schemaVersion: manifest.schemaVersion, generatedAt: manifest.generatedAt },
      models: registry.statuses(),
      ...warned,
    };
    const memory = ortLinearMemoryBytes();
    if (memory !== undefined) body.onnxruntimeMemoryBytes = memory;
    return c.json(body);
  } catch (error) {
    if (!(error instanceof ModelUnavailableError)) throw error;
    const root = rootCauseMessage(error);
    const body: HealthResponse = {
      status: "unavailable",
      onnxruntime,
      models: registry.statuses(),
      error: root === error.message ? root : `${error.message}: ${root}`,
      ...warned,
    };
    if (!error.permanent) c.header("retry-after", String(error.retryAfterS));
    return c.json(body, 503);
  }
});

/** What a deployment is missing that the service needs for part of its work. */
function configurationWarnings(env: Env): string[] {
  if (env.SIGNING_SECRET) return [];
  return ["SIGNING_SECRET is not set (wrangler secret put SIGNING_SECRET): POST /v1/sessions answers 503 and the teacher fallback cannot authenticate, so in-band frames stay uncertain"];
}
