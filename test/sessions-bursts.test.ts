import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import { signNonce } from "../src/sessions/nonce";
import { LivenessResponseSchema, type FrameVerdict } from "../src/schemas/liveness";
import { ProblemSchema } from "../src/schemas/problem";
import { SESSION_NONCE_STATE_HEADER, SessionResponseSchema } from "../src/schemas/session";
import { aggregateFrames } from "../src/liveness/burst";
import { AssetModelStore } from "../src/models/asset-model-store";
import { ModelRegistry } from "../src/models/model-registry";
import { golden, goldenImage } from "./helpers/golden";
import { jpegOf, png } from "./helpers/images";
import { storedKey } from "./helpers/keys";
import { isolateServices } from "../src/services";
import { authHeaders, BASE, postForm, send, worker } from "./helpers/worker";

async function problem(response: Response, status: number, slug: string) {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  const body = ProblemSchema.parse(JSON.parse(text));
  expect(body.type).toBe(`urn:fas-edge:problem:${slug}`);
  expect(body).not.toHaveProperty("decision");
  return body;
}

async function ok(response: Response) {
  const text = await response.text();
  expect(response.status, text).toBe(200);
  return LivenessResponseSchema.parse(JSON.parse(text));
}

async function openSession(key?: string) {
  const response = await send("/v1/sessions", { method: "POST", ...(key ? { headers: authHeaders(key) } : {}) });
  expect(response.status).toBe(201);
  return SessionResponseSchema.parse(await response.json());
}

function form(images: Uint8Array[], meta?: unknown): FormData {
  const f = new FormData();
  for (const image of images) f.append("frame", new File([image], "frame.png", { type: "image/png" }));
  if (meta !== undefined) f.append("meta", JSON.stringify(meta));
  return f;
}

const withNonce = async (nonce: string, key?: string) =>
  send("/v1/liveness", { method: "POST", body: form([await goldenImage("png")], { nonce }), ...(key ? { headers: authHeaders(key) } : {}) });

describe("session nonces", () => {
  it("accept a nonce once, in meta or in the X-Session-Nonce header, and refuse the replay (409)", async () => {
    const first = await openSession();
    await ok(await withNonce(first.nonce));
    await problem(await withNonce(first.nonce), 409, "session-replayed");

    const second = await openSession();
    const body = await goldenImage("png");
    const viaHeader = () => send("/v1/liveness", { method: "POST", body, headers: { "content-type": "image/png", "x-session-nonce": second.nonce } });
    await ok(await viaHeader());
    await problem(await viaHeader(), 409, "session-replayed");
  });

  it("let exactly one of two concurrent requests with the same nonce through", async () => {
    const { nonce } = await openSession();
    const statuses = (await Promise.all([withNonce(nonce), withNonce(nonce), withNonce(nonce)])).map((r) => r.status).sort();
    expect(statuses).toEqual([200, 409, 409]);
  });

  it("refuse a forged, a malformed and an expired nonce (401) and another key's nonce (403)", async () => {
    const { nonce } = await openSession();
    const [v, payload, signature = ""] = nonce.split(".");
    const flipped = `${v}.${payload}.${signature.startsWith("A") ? "B" : "A"}${signature.slice(1)}`;
    await problem(await withNonce(flipped), 401, "invalid-session");
    await problem(await withNonce("v1.e30.AAAA"), 401, "invalid-session");
    await problem(await withNonce("not a nonce"), 401, "invalid-session");
    const otherSecret = await signNonce("some-other-secret", { sid: "s1", kid: "dev", exp: Math.floor(Date.now() / 1000) + 60 });
    await problem(await withNonce(otherSecret), 401, "invalid-session");

    const expired = await signNonce(env.SIGNING_SECRET ?? "", { sid: crypto.randomUUID(), kid: "dev", exp: Math.floor(Date.now() / 1000) - 1 });
    await problem(await withNonce(expired), 401, "session-expired");

    const a = await storedKey(["liveness"]);
    const b = await storedKey(["liveness"]);
    const ofA = await openSession(a.key);
    await problem(await withNonce(ofA.nonce, b.key), 403, "foreign-session");
    await ok(await withNonce(ofA.nonce, a.key));
  });

  it("say in X-Session-Nonce-State whether the request spent its nonce, so a client knows when it may send it again", async () => {
    const state = (r: Response) => r.headers.get(SESSION_NONCE_STATE_HEADER);
    const image = await goldenImage("png");
    const { nonce } = await openSession();
    // refused before the nonce is redeemed: no key, an unusable box, a frame header that cannot be read
    const noKey = await worker.fetch(`${BASE}/v1/liveness`, { method: "POST", body: form([image], { nonce }) });
    await problem(noKey, 401, "missing-api-key");
    expect(state(noKey)).toBe("unspent");
    const badBox = await postForm(form([png(64, 64)], { nonce, box: [40, 40, 30, 10] }));
    await problem(badBox, 400, "box-outside-image");
    expect(state(badBox)).toBe("unspent");
    const notImage = await postForm(form([new TextEncoder().encode("not an image")], { nonce }));
    await problem(notImage, 422, "unrecognised-image");
    expect(state(notImage)).toBe("unspent");
    // the same nonce still works, once
    const scored = await withNonce(nonce);
    expect(state(scored)).toBe("spent");
    await ok(scored);
    const replay = await withNonce(nonce);
    expect(state(replay)).toBe("spent");
    await problem(replay, 409, "session-replayed");

    // frames are decoded, and the student loaded, before the nonce is redeemed: a frame whose header
    // is fine but whose data is cut short, or a student that cannot load, leaves the nonce usable
    const second = await openSession();
    const cut = new FormData();
    cut.append("frame", new File([jpegOf(64, 64).slice(0, 400)], "frame.jpg", { type: "image/jpeg" }));
    cut.append("meta", JSON.stringify({ nonce: second.nonce }));
    const undecodable = await postForm(cut);
    expect(state(undecodable)).toBe("unspent");
    await problem(undecodable, 422, "undecodable-image");
    const store = new AssetModelStore(env.ASSETS);
    const noStudent = new ModelRegistry({
      manifest: async () => {
        const manifest = await store.manifest();
        const card = manifest.models[manifest.serving.student]!;
        return { ...manifest, models: { ...manifest.models, [card.id]: { ...card, file: "missing/student.onnx" } } };
      },
      modelBytes: (card) => store.modelBytes(card),
    });
    const broken = createApp({ services: (e) => ({ ...isolateServices(e), registry: noStudent }) });
    const unavailable = await broken.request(`${BASE}/v1/liveness`, { method: "POST", body: form([image], { nonce: second.nonce }), headers: authHeaders() }, env);
    expect(state(unavailable)).toBe("unspent");
    await problem(unavailable, 503, "model-unavailable");
    await ok(await withNonce(second.nonce));
    await problem(await withNonce(second.nonce), 409, "session-replayed");

    // a nonce that cannot be redeemed is no use either; a request without one spends none
    const forged = await withNonce("v1.e30.AAAA");
    expect(state(forged)).toBe("spent");
    await problem(forged, 401, "invalid-session");
    const without = await postForm(form([image]));
    expect(state(without)).toBe("unspent");
    await ok(without);
  });

  it("are required when REQUIRE_SESSION is on", async () => {
    const app = createApp();
    const vars = { ...env, REQUIRE_SESSION: "on" };
    const post = async (meta?: unknown) =>
      app.request("http://localhost/v1/liveness", { method: "POST", body: form([await goldenImage("png")], meta), headers: authHeaders() }, vars);
    await problem(await post(), 401, "session-required");
    const { nonce } = await openSession();
    await ok(await post({ nonce }));
  });

  it("answer 503 without a signing secret instead of issuing unsigned sessions", async () => {
    const app = createApp();
    const response = await app.request("http://localhost/v1/sessions", { method: "POST", headers: authHeaders() }, { ...env, SIGNING_SECRET: undefined });
    await problem(response, 503, "sessions-unavailable");
    expect(response.headers.get("retry-after")).not.toBeNull();
  });
});

describe("bursts", () => {
  it("score every frame and aggregate them by the documented rule", async () => {
    const g = await golden();
    const image = await goldenImage("png");
    const box = g.box ?? [0, 0, 64, 64];
    const body = await ok(await postForm(form([image, image, png(96, 96)], { boxes: [box, box, null] })));
    expect(body.frames).toHaveLength(3);
    expect(body.frames[0]?.score).toBe(body.frames[1]?.score);
    expect(body.frames[2]?.crop).toEqual({ x: 0, y: 0, side: 96 });
    const expected = aggregateFrames(body.frames, 0.6);
    expect(body.decision).toBe(expected.decision);
    expect(body.aggregate).toEqual(expected.aggregate);
    const deciding = body.frames[body.aggregate.decidingFrame];
    expect(body.score).toBe(deciding?.score);
    expect(body.timingsMs.student).toBeCloseTo(body.frames.reduce((s, f) => s + f.timingsMs.student, 0), 2);

    const single = await ok(await postForm(form([image], { box })));
    expect(single.frames).toHaveLength(1);
    expect(single.score).toBe(body.frames[0]?.score);
    expect(single.aggregate).toMatchObject({ frames: 1, minLive: 1, decidingFrame: 0 });
  });

  it("refuse more frames than MAX_BURST_FRAMES (400) and boxes that do not match the frames", async () => {
    const image = await goldenImage("png");
    await problem(await postForm(form(Array.from({ length: 6 }, () => image))), 400, "too-many-frames");
    const app = createApp();
    const two = await app.request("http://localhost/v1/liveness", { method: "POST", body: form([image, image, image]), headers: authHeaders() }, { ...env, MAX_BURST_FRAMES: "2" });
    await problem(two, 400, "too-many-frames");
    await problem(await postForm(form([image, image], { boxes: [null] })), 400, "malformed-meta");
    await problem(await postForm(form([image, image], { box: [0, 0, 10, 10] })), 400, "malformed-meta");
  });

  it("give no decision when any frame of the burst cannot be read", async () => {
    const image = await goldenImage("png");
    const broken = jpegOf(64, 64).slice(0, 200);
    const f = form([image]);
    f.append("frame", new File([broken], "broken.jpg", { type: "image/jpeg" }));
    const response = await postForm(f);
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    ProblemSchema.parse(await response.json());
  });
});

/** The isolate's services with the student's runs and the teacher's calls counted (the real models answer). */
function countingApp() {
  const counts = { studentRuns: 0, teacherCalls: 0 };
  const bind = <T extends object>(target: T, prop: string | symbol) => {
    const value = Reflect.get(target, prop) as unknown;
    return typeof value === "function" ? value.bind(target) : value;
  };
  const app = createApp({
    services: (e) => {
      const services = isolateServices(e);
      const registry = new Proxy(services.registry, {
        get(target, prop) {
          if (prop !== "student") return bind(target, prop);
          return async () => {
            const session = await target.student();
            return new Proxy(session, {
              get(s, p) {
                if (p !== "run") return bind(s, p);
                return (tensor: Float32Array) => {
                  counts.studentRuns++;
                  return s.run(tensor);
                };
              },
            });
          };
        },
      });
      const { teacher } = services;
      return {
        ...services,
        registry,
        ...(teacher
          ? {
              teacher: (input: Parameters<typeof teacher>[0]) => {
                counts.teacherCalls++;
                return teacher(input);
              },
            }
          : {}),
      };
    },
  });
  const post = (body: FormData) => app.request("http://localhost/v1/liveness", { method: "POST", body, headers: authHeaders() }, env);
  return { post, counts };
}

describe("bursts are checked before any frame is scored", () => {
  it("a last frame that is not an image gets 422 before any model runs, and leaves the session nonce usable", async () => {
    const { post, counts } = countingApp();
    const image = await goldenImage("png");
    const { nonce } = await openSession();
    const burst = form([image, image, image, image]);
    burst.append("frame", new File([new TextEncoder().encode("not an image")], "frame.png", { type: "image/png" }));
    burst.append("meta", JSON.stringify({ nonce }));
    await problem(await post(burst), 422, "unrecognised-image");
    expect(counts).toEqual({ studentRuns: 0, teacherCalls: 0 });

    const body = await ok(await post(form([image, image], { nonce })));
    expect(body.frames).toHaveLength(2);
    expect(counts.studentRuns).toBe(2);
  });

  it("a last frame whose header is fine but whose data is cut short gets 422 before any model runs", async () => {
    const { post, counts } = countingApp();
    const image = await goldenImage("png");
    const burst = form([image, image]);
    burst.append("frame", new File([jpegOf(64, 64).slice(0, 400)], "frame.jpg", { type: "image/jpeg" }));
    await problem(await post(burst), 422, "undecodable-image");
    expect(counts).toEqual({ studentRuns: 0, teacherCalls: 0 });
  });

  it("a box outside its frame gets 400 before any model runs, and leaves the nonce usable", async () => {
    const { post, counts } = countingApp();
    const image = await goldenImage("png");
    const { nonce } = await openSession();
    await problem(await post(form([image, png(64, 64)], { nonce, boxes: [null, [40, 40, 30, 10]] })), 400, "box-outside-image");
    expect(counts.studentRuns).toBe(0);
    await ok(await post(form([image], { nonce })));
  });
});

describe("aggregateFrames", () => {
  const verdict = (decision: FrameVerdict["decision"], score: number): FrameVerdict => ({
    decision,
    score,
    decidedBy: "student",
    threshold: 0.5,
    models: { student: "s@000000000000" },
    crop: { x: 0, y: 0, side: 80 },
    timingsMs: { decode: 1, preprocess: 1, student: 1, total: 3 },
  });

  it("spoof if any frame is spoof, naming the lowest-scoring spoof frame", () => {
    const r = aggregateFrames([verdict("live", 0.9), verdict("spoof", 0.3), verdict("spoof", 0.1), verdict("live", 0.8)], 0.6);
    expect(r.decision).toBe("spoof");
    expect(r.aggregate).toMatchObject({ live: 2, spoof: 2, uncertain: 0, minLive: 3, decidingFrame: 2 });
  });

  it("live only with at least ceil(share x n) live frames, else uncertain", () => {
    const three = [verdict("live", 0.9), verdict("live", 0.7), verdict("uncertain", 0.5), verdict("uncertain", 0.5), verdict("live", 0.95)];
    expect(aggregateFrames(three, 0.6)).toMatchObject({ decision: "live", aggregate: { minLive: 3, decidingFrame: 1 } });
    const two = [verdict("live", 0.9), verdict("uncertain", 0.5), verdict("uncertain", 0.52), verdict("uncertain", 0.5), verdict("live", 0.95)];
    expect(aggregateFrames(two, 0.6)).toMatchObject({ decision: "uncertain", aggregate: { decidingFrame: 1 } });
    expect(aggregateFrames([verdict("uncertain", 0.5)], 0.6).decision).toBe("uncertain");
    expect(aggregateFrames([verdict("live", 0.6)], 0.6).decision).toBe("live");
    expect(aggregateFrames([verdict("live", 0.6), verdict("live", 0.7)], 1).aggregate.minLive).toBe(2);
  });
});
