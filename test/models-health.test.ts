import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import { readConfig } from "../src/config";
import { AssetModelStore } from "../src/models/asset-model-store";
import { ManifestSchema } from "../src/models/manifest-schema";
import { ModelRegistry, type ModelRegistryOptions } from "../src/models/model-registry";
import { HealthResponseSchema } from "../src/schemas/health";
import { ModelCardsResponseSchema } from "../src/schemas/models";
import { ProblemSchema } from "../src/schemas/problem";
import { asset } from "./helpers/golden";
import { png } from "./helpers/images";
import { createSessionWith, unstartableOrt } from "./helpers/separate-ort";
import { accessServices, authHeaders, worker } from "./helpers/worker";

/** The ASSETS binding with one file's bytes changed: what a broken deploy would serve. */
function tamperedAssets(edit: (path: string, bytes: Uint8Array) => Uint8Array | undefined): Fetcher {
  return {
    async fetch(input: RequestInfo | URL, init?: RequestInit) {
      const request = new Request(input, init);
      const response = await env.ASSETS.fetch(request);
      const path = new URL(request.url).pathname.slice(1);
      const edited = edit(path, new Uint8Array(await response.arrayBuffer()));
      return edited ? new Response(edited) : new Response("not found", { status: 404 });
    },
    connect() {
      throw new Error("not used");
    },
  } as unknown as Fetcher;
}

function appWith(assets: Fetcher, options: Omit<ModelRegistryOptions, "retryAfterS"> = {}) {
  const registry = new ModelRegistry(new AssetModelStore(assets), { retryAfterS: 7, ...options });
  return createApp({ services: (e) => ({ registry, config: readConfig(e), ...accessServices(e) }) });
}

/** Runs `fn` and returns what it wrote with console.error, each call's arguments joined. */
async function errorLogs(fn: () => Promise<unknown>): Promise<string[]> {
  const logged: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => logged.push(args.map(String).join(" "));
  try {
    await fn();
  } finally {
    console.error = original;
  }
  return logged;
}

describe("GET /v1/models", () => {
  it("lists every model card of the manifest with its public id", async () => {
    const manifest = ManifestSchema.parse(JSON.parse(new TextDecoder().decode(await asset("manifest.json"))));
    const response = await worker.fetch("http://localhost/v1/models");
    expect(response.status).toBe(200);
    const body = ModelCardsResponseSchema.parse(await response.json());
    expect(body.serving.student).toBe(manifest.serving.student);
    expect(body.models.map((m) => m.id).sort()).toEqual(Object.keys(manifest.models).sort());
    for (const card of body.models) {
      const source = manifest.models[card.id]!;
      expect(card.publicId).toBe(`${source.name}@${source.sha256.slice(0, 12)}`);
      expect(card).toMatchObject({ sha256: source.sha256, threshold: source.threshold, preprocess: source.preprocess });
    }
  });
});

describe("GET /healthz", () => {
  it("reports ready once the serving student is loaded, with versions", async () => {
    const response = await worker.fetch("http://localhost/healthz");
    expect(response.status).toBe(200);
    const body = HealthResponseSchema.parse(await response.json());
    expect(body.status).toBe("ok");
    expect(body.onnxruntime).toBe("1.30.0");
    const student = body.models.find((m) => m.role === "student");
    expect(student?.state).toBe("ready");
    expect(student?.publicId).toMatch(/@[0-9a-f]{12}$/);
    expect(body.onnxruntimeMemoryBytes).toBeGreaterThan(0);
    expect(body.warnings).toBeUndefined();
  });

  it("warns when the deployment has no SIGNING_SECRET", async () => {
    const app = createApp();
    const response = await app.request("http://localhost/healthz", {}, { ...env, SIGNING_SECRET: undefined });
    expect(response.status).toBe(200);
    const body = HealthResponseSchema.parse(await response.json());
    expect(body.warnings?.join(" ")).toMatch(/SIGNING_SECRET/);
  });
});

describe("a model that cannot be loaded", () => {
  it("gives 503 with Retry-After and no decision when the model file is corrupted (sha256 mismatch)", async () => {
    const app = appWith(
      tamperedAssets((path, bytes) => {
        if (!path.endsWith(".onnx")) return bytes;
        const copy = bytes.slice();
        copy[copy.length >> 1] = (copy[copy.length >> 1] ?? 0) ^ 0xff;
        return copy;
      }),
    );
    let response = new Response();
    const logs = await errorLogs(async () => {
      response = await app.request("/v1/liveness", { method: "POST", body: png(64, 64), headers: { ...authHeaders(), "content-type": "image/png" } }, env);
    });
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("7");
    const body = ProblemSchema.parse(await response.json());
    expect(body.type).toBe("urn:fas-edge:problem:model-unavailable");
    expect(body).not.toHaveProperty("decision");
    // the reason goes to the log, with the whole cause chain, not to the client
    expect(body.detail).not.toMatch(/sha256/);
    const logged = logs.join("\n");
    expect(logged).toMatch(/ModelUnavailableError: model [\w-]+ is not available/);
    expect(logged).toMatch(/ModelStoreError: [\w./-]+\.onnx has sha256 [0-9a-f]{64}; the manifest says [0-9a-f]{64}/);

    const health = await app.request("/healthz", {}, env);
    expect(health.status).toBe(503);
    expect(health.headers.get("retry-after")).not.toBeNull();
    const unhealthy = HealthResponseSchema.parse(await health.json());
    expect(unhealthy.status).toBe("unavailable");
    expect(unhealthy.error).toMatch(/is not available: [\w./-]+\.onnx has sha256 [0-9a-f]{64}; the manifest says/);
    expect(unhealthy.warnings).toBeUndefined();
    // a broken deployment still says what its configuration lacks
    const unsigned = HealthResponseSchema.parse(await (await app.request("/healthz", {}, { ...env, SIGNING_SECRET: undefined })).json());
    expect(unsigned.status).toBe("unavailable");
    expect(unsigned.warnings?.join(" ")).toMatch(/SIGNING_SECRET/);
  });

  it("gives 503 when the file is not an ONNX model onnxruntime can read", async () => {
    const manifest = ManifestSchema.parse(JSON.parse(new TextDecoder().decode(await asset("manifest.json"))));
    const student = manifest.models[manifest.serving.student]!;
    const junk = new Uint8Array(student.bytes).fill(0x42);
    const digest = Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", junk)), (b) => b.toString(16).padStart(2, "0")).join("");
    const app = appWith(
      tamperedAssets((path, bytes) => {
        if (path === "manifest.json") {
          const json = JSON.parse(new TextDecoder().decode(bytes));
          json.models[student.id].sha256 = digest;
          return new TextEncoder().encode(JSON.stringify(json));
        }
        return path === student.file ? junk : bytes;
      }),
    );
    const response = await app.request("/v1/liveness", { method: "POST", body: png(64, 64), headers: { ...authHeaders(), "content-type": "image/png" } }, env);
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("7");
    // onnxruntime's own message reaches /healthz
    const unhealthy = HealthResponseSchema.parse(await (await app.request("/healthz", {}, env)).json());
    expect(unhealthy.error).toMatch(/is not available: .*create a session/i);
  });

  it("gives 503 without Retry-After, and says why in /healthz, when onnxruntime's backend failed to start in this isolate", async () => {
    const app = appWith(env.ASSETS, { createSession: createSessionWith(await unstartableOrt()) });
    const request = () => app.request("/v1/liveness", { method: "POST", body: png(64, 64), headers: { ...authHeaders(), "content-type": "image/png" } }, env);
    for (let attempt = 0; attempt < 2; attempt++) {
      const response = await request();
      expect(response.status).toBe(503);
      expect(response.headers.get("retry-after")).toBeNull();
      expect(ProblemSchema.parse(await response.json()).type).toBe("urn:fas-edge:problem:model-unavailable");
    }
    const health = await app.request("/healthz", {}, env);
    expect(health.status).toBe(503);
    expect(health.headers.get("retry-after")).toBeNull();
    const unhealthy = HealthResponseSchema.parse(await health.json());
    expect(unhealthy.error).toMatch(/backend failed to start.*no available backend found/);
    expect(unhealthy.models.find((m) => m.role === "student")?.state).toBe("failed");
  });

  it("gives 503 on every model route when the manifest is missing", async () => {
    const app = appWith(tamperedAssets((path, bytes) => (path === "manifest.json" ? undefined : bytes)));
    for (const [path, init] of [
      ["/v1/models", {}],
      ["/v1/liveness", { method: "POST", body: png(64, 64), headers: { ...authHeaders(), "content-type": "image/png" } }],
    ] as const) {
      const response = await app.request(path, init, env);
      expect(response.status).toBe(503);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
    }
  });
});

describe("unknown errors", () => {
  it("go through the one onError: logged, generic 500, no details leaked", async () => {
    const app = createApp({
      services: () => {
        throw new Error("secret internal detail");
      },
    });
    const logged: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => logged.push(args);
    try {
      const response = await app.request("/v1/models", {}, env);
      expect(response.status).toBe(500);
      const text = await response.text();
      expect(text).not.toContain("secret");
      expect(ProblemSchema.parse(JSON.parse(text))).toMatchObject({ status: 500, title: "Internal server error" });
    } finally {
      console.error = original;
    }
    expect(JSON.stringify(logged)).toContain("secret internal detail");
  });
});
