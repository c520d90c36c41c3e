import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import { readConfig } from "../src/config";
import { AssetModelStore, type ModelStore } from "../src/models/asset-model-store";
import { ModelRegistry } from "../src/models/model-registry";
import { LivenessResponseSchema } from "../src/schemas/liveness";
import { goldenImage } from "./helpers/golden";
import { accessServices, authHeaders } from "./helpers/worker";

/** The real asset store, counting how often the manifest and model bytes are read. */
function countingStore() {
  const inner = new AssetModelStore(env.ASSETS);
  const counts = { manifest: 0, modelBytes: 0 };
  const store: ModelStore = {
    manifest: () => {
      counts.manifest++;
      return inner.manifest();
    },
    modelBytes: (card) => {
      counts.modelBytes++;
      return inner.modelBytes(card);
    },
  };
  return { store, counts };
}

describe("a fresh isolate's first requests", () => {
  it("share one manifest read and one model load when they arrive together", async () => {
    const { store, counts } = countingStore();
    const registry = new ModelRegistry(store);
    const app = createApp({ services: (e) => ({ registry, config: readConfig(e), ...accessServices(e) }) });
    const image = await goldenImage("jpeg");
    const responses = await Promise.all(
      Array.from({ length: 6 }, () =>
        app.request("/v1/liveness", { method: "POST", body: image, headers: { ...authHeaders(), "content-type": "image/jpeg" } }, env),
      ),
    );
    const scores = new Set<number>();
    for (const response of responses) {
      expect(response.status).toBe(200);
      scores.add(LivenessResponseSchema.parse(await response.json()).score);
    }
    expect(scores.size).toBe(1);
    expect(counts).toEqual({ manifest: 1, modelBytes: 1 });
    expect(registry.statuses().map((s) => s.state)).toEqual(["ready"]);
  });
});
