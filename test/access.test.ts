import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { SCOPES, sha256Hex, kvKeyOf } from "../src/auth/api-key";
import { Authenticator } from "../src/auth/authenticator";
import { createApp } from "../src/app";
import { ProblemSchema } from "../src/schemas/problem";
import { SESSION_NONCE_STATE_HEADER, SessionResponseSchema } from "../src/schemas/session";
import { goldenImage } from "./helpers/golden";
import { storedKey } from "./helpers/keys";
import { roomInRateLimitWindow, TEST_RATE_LIMITS } from "./helpers/limits";
import { authHeaders, send, worker } from "./helpers/worker";

async function problem(response: Response, status: number, slug: string) {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  const body = ProblemSchema.parse(JSON.parse(text));
  expect(body.type).toBe(`urn:fas-edge:problem:${slug}`);
  expect(body).not.toHaveProperty("decision");
  return body;
}

const frame = () => goldenImage("png");
const liveness = async (key: string) => send("/v1/liveness", { method: "POST", body: await frame(), headers: { ...authHeaders(key), "content-type": "image/png" } });

describe("API keys", () => {
  it("401 without a key, with a malformed header and with a key the service did not issue", async () => {
    const none = await worker.fetch("http://localhost/v1/liveness", { method: "POST", body: await frame(), headers: { "content-type": "image/png" } });
    const missing = await problem(none, 401, "missing-api-key");
    expect(missing.detail).toMatch(/Bearer/);
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
    await problem(await send("/v1/liveness", { method: "POST", body: await frame(), headers: { authorization: "Basic abc", "content-type": "image/png" } }), 401, "missing-api-key");
    await problem(await liveness("fas_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), 401, "invalid-api-key");
    await problem(await liveness("not-even-shaped-like-a-key"), 401, "invalid-api-key");
  });

  it("accepts a stored key with the scope, and refuses a revoked key (403) and a missing scope (403)", async () => {
    const ok = await storedKey(["liveness"]);
    expect((await liveness(ok.key)).status).toBe(200);
    const revoked = await storedKey(["liveness"], { revoked: true });
    const refused = await problem(await liveness(revoked.key), 403, "revoked-api-key");
    expect(refused.detail).toContain(revoked.id);

    const metricsOnly = await storedKey(["metrics"]);
    await problem(await liveness(metricsOnly.key), 403, "missing-scope");
    expect((await send("/v1/swap", { headers: authHeaders(metricsOnly.key) })).status).toBe(200);
    await problem(await send("/v1/swap", { headers: authHeaders(ok.key) }), 403, "missing-scope");
    const teacher = await send("/v1/liveness/teacher", { method: "POST", body: await frame(), headers: { ...authHeaders(ok.key), "content-type": "image/png" } });
    await problem(teacher, 403, "missing-scope");
    await problem(await send("/v1/sessions", { method: "POST", headers: authHeaders(metricsOnly.key) }), 403, "missing-scope");
  });

  it("stores only the key's hash", async () => {
    const { key, id } = await storedKey(["liveness"]);
    const hash = await sha256Hex(key);
    expect(await env.API_KEYS.get(kvKeyOf(hash), "json")).toMatchObject({ id, scopes: ["liveness"] });
    const listed = await env.API_KEYS.list({ prefix: "apikey/" });
    for (const entry of listed.keys) expect(entry.name).not.toContain(key);
    expect(hash).not.toContain(key);
  });

  it("keeps a lookup for the cache time, after which a revocation bites", async () => {
    let now = 1_000_000;
    const auth = new Authenticator({ keys: env.API_KEYS, cacheMs: 30_000, now: () => now });
    const { key } = await storedKey(["liveness"]);
    const request = () => new Request("https://edge.example/v1/liveness", { headers: authHeaders(key) });
    expect((await auth.authenticate(request())).scopes).toEqual(["liveness"]);
    const hash = await sha256Hex(key);
    const record = (await env.API_KEYS.get(kvKeyOf(hash), "json")) as Record<string, unknown>;
    await env.API_KEYS.put(kvKeyOf(hash), JSON.stringify({ ...record, revokedAt: new Date().toISOString() }));
    now += 29_000;
    expect((await auth.authenticate(request())).kind).toBe("key");
    now += 2_000;
    await expect(auth.authenticate(request())).rejects.toMatchObject({ status: 403, slug: "revoked-api-key" });
  });

  it("honours the development key only for a loopback host", async () => {
    expect((await send("/v1/sessions", { method: "POST" })).status).toBe(201);
    const remote = await worker.fetch("https://fas-edge.example.workers.dev/v1/sessions", { method: "POST", headers: authHeaders() });
    await problem(remote, 401, "invalid-api-key");
  });

  it("leaves the model cards, health and pages public", async () => {
    for (const path of ["/v1/models", "/healthz", "/", "/dashboard"]) {
      expect((await worker.fetch(`https://fas-edge.example.workers.dev${path}`)).status, path).toBe(200);
    }
  });

  it("grants every scope to the development key", () => {
    expect(SCOPES).toEqual(["liveness", "teacher", "metrics"]);
  });
});

describe("rate limits", () => {
  it("429 with Retry-After once one client of a key passes its per-minute limit; other clients go on", async () => {
    const { key } = await storedKey(["liveness"]);
    await roomInRateLimitWindow(TEST_RATE_LIMITS.RATE_LIMIT_CLIENT.simple.period);
    const open = (ip: string) => send("/v1/sessions", { method: "POST", headers: { ...authHeaders(key), "cf-connecting-ip": ip } });
    let first429 = -1;
    for (let i = 0; i < 70 && first429 < 0; i++) {
      const response = await open("203.0.113.7");
      if (response.status === 429) first429 = i;
      else expect(response.status).toBe(201);
      if (first429 >= 0) {
        expect(response.headers.get("retry-after")).toBe("60");
        await problem(response, 429, "rate-limited");
      }
    }
    expect(first429).toBe(60);
    expect((await open("203.0.113.8")).status).toBe(201);
  });

  it("429 once a key passes its limit across all its clients", async () => {
    const { key } = await storedKey(["liveness"]);
    const statuses: number[] = [];
    const limit = TEST_RATE_LIMITS.RATE_LIMIT_KEY.simple.limit;
    expect(limit).toBeLessThan(10 * TEST_RATE_LIMITS.RATE_LIMIT_CLIENT.simple.limit);
    await roomInRateLimitWindow(TEST_RATE_LIMITS.RATE_LIMIT_KEY.simple.period);
    for (let i = 0; i < limit + 5; i++) {
      const ip = `198.51.100.${i % 10}`;
      const response = await send("/v1/sessions", { method: "POST", headers: { ...authHeaders(key), "cf-connecting-ip": ip } });
      statuses.push(response.status);
      await response.body?.cancel();
    }
    expect(statuses.indexOf(429)).toBe(limit);
    const other = await storedKey(["liveness"]);
    expect((await send("/v1/sessions", { method: "POST", headers: authHeaders(other.key) })).status).toBe(201);
  });
});

describe("CORS", () => {
  const app = createApp();
  const vars = { ...env, CORS_ORIGINS: "https://app.example" };

  it("answers a preflight from a configured origin, before any key is checked", async () => {
    const response = await app.request(
      "http://localhost/v1/liveness",
      { method: "OPTIONS", headers: { origin: "https://app.example", "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type" } },
      vars,
    );
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe("https://app.example");
    expect(response.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("authorization");
  });

  it("gives no CORS grant to other origins, and exposes Retry-After and the nonce state to allowed ones", async () => {
    const other = await app.request("http://localhost/v1/sessions", { method: "POST", headers: { origin: "https://evil.example", ...authHeaders() } }, vars);
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
    const allowed = await app.request("http://localhost/v1/sessions", { method: "POST", headers: { origin: "https://app.example", ...authHeaders() } }, vars);
    expect(allowed.status).toBe(201);
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://app.example");
    expect(allowed.headers.get("access-control-expose-headers")?.toLowerCase()).toContain("retry-after");
    expect(allowed.headers.get("access-control-expose-headers")?.toLowerCase()).toContain(SESSION_NONCE_STATE_HEADER);
    const byDefault = await worker.fetch("http://localhost/v1/sessions", { method: "POST", headers: { origin: "https://app.example", ...authHeaders() } });
    expect(byDefault.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("POST /v1/sessions", () => {
  it("issues a short-lived nonce", async () => {
    const response = await send("/v1/sessions", { method: "POST" });
    expect(response.status).toBe(201);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const session = SessionResponseSchema.parse(await response.json());
    const ttl = Date.parse(session.expiresAt ?? "") - Date.now();
    expect(ttl).toBeGreaterThan(60_000);
    expect(ttl).toBeLessThanOrEqual(121_000);
    await problem(await send("/v1/sessions"), 405, "method-not-allowed");
  });
});
