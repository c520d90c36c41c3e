import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import { readConfig } from "../src/config";
import { AssetModelStore, type ModelStore } from "../src/models/asset-model-store";
import { ModelRegistry } from "../src/models/model-registry";
import { png } from "./helpers/images";
import { accessServices, post, type Target } from "./helpers/worker";

/** The real models, with every model file read held back until `release()`. */
function gatedStore() {
  const inner = new AssetModelStore(env.ASSETS);
  let release = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  const store: ModelStore = {
    manifest: () => inner.manifest(),
    modelBytes: async (card) => {
      await gate;
      return inner.modelBytes(card);
    },
  };
  return { store, release };
}

describe("a model load started by a request that is then refused", () => {
  // A refused frame is answered before the model it started loading is ready. The load's I/O
  // belongs to that request: the request must stay alive (waitUntil) until the load settles, or
  // workerd cancels it with the request and every later request of the isolate waits forever.
  for (const path of ["/v1/liveness", "/v1/liveness/teacher"]) {
    it(`keeps that request alive until the load settles, so the next frame is scored (${path})`, async () => {
      const { store, release } = gatedStore();
      const registry = new ModelRegistry(store);
      const app = createApp({ services: (e) => ({ registry, config: readConfig(e), ...accessServices(e) }) });
      const ctx = createExecutionContext();
      const inContext: Target = { fetch: async (input, init) => app.request(input, init, env, ctx) };
      const refused = await post(new TextEncoder().encode("not an image"), "image/png", path, inContext);
      expect(refused.status).toBe(422);

      let settled = false;
      const done = waitOnExecutionContext(ctx).then(() => (settled = true));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(settled, "the refused request let go of the model load it started").toBe(false);
      expect(registry.statuses().map((s) => s.state)).toEqual(["loading"]);

      release();
      await done;
      expect(registry.statuses().map((s) => s.state)).toEqual(["ready"]);
      const scored = await post(png(96, 80), "image/png", path, { fetch: async (input, init) => app.request(input, init, env) });
      expect(scored.status, await scored.clone().text()).toBe(200);
    });
  }
});
