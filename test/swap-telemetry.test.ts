import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Services } from "../src/app-env";
import { readConfig } from "../src/config";
import { AssetModelStore } from "../src/models/asset-model-store";
import { publicModelId, type ModelCard } from "../src/models/manifest-schema";
import type { ModelRegistry } from "../src/models/model-registry";
import { LivenessResponseSchema, type LivenessResponse } from "../src/schemas/liveness";
import { SwapResponseSchema, type SwapResponse } from "../src/schemas/swap";
import { internalTeacherToken } from "../src/auth/signing";
import { TeacherClient } from "../src/teacher/teacher-client";
import { SWAP_DATA_POINT_COLUMNS } from "../src/telemetry/analytics-engine";
import { inferenceEnergyMj } from "../src/telemetry/energy";
import { observe, type Histogram } from "../src/telemetry/histogram";
import type { ScoredLivenessEvent } from "../src/telemetry/liveness-event";
import { RollupDocumentSchema } from "../src/telemetry/rollup";
import { KvRollupReader } from "../src/telemetry/rollup-reader";
import { ROLLUP_TTL_S } from "../src/telemetry/rollup-store";
import { SwapTelemetry } from "../src/telemetry/swap-telemetry";
import { findBandFrames, type BandFrames } from "./helpers/band-frames";
import { accessServices, authHeaders, worker } from "./helpers/worker";

/** The serving models, with the band the test frames were chosen for (see findBandFrames). */
let registry: ModelRegistry;
const teacherClient = new TeacherClient(env.TEACHER, { timeoutMs: 120_000, credential: internalTeacherToken(env.SIGNING_SECRET ?? "") });
let frames: BandFrames;
let studentCard: ModelCard;
let teacherCard: ModelCard;

beforeAll(async () => {
  frames = await findBandFrames(new AssetModelStore(env.ASSETS));
  registry = frames.registry;
  const manifest = await registry.manifest();
  const s = manifest.models[manifest.serving.student];
  const t = manifest.serving.teacher ? manifest.models[manifest.serving.teacher] : undefined;
  if (!s || !t) throw new Error("the manifest needs a serving student and teacher");
  [studentCard, teacherCard] = [s, t];
});

/** Analytics Engine stand-in: local writes go nowhere, so the test keeps what would be written. */
class RecordingDataset {
  readonly points: AnalyticsEngineDataPoint[] = [];
  writeDataPoint(point?: AnalyticsEngineDataPoint): void {
    if (point) this.points.push(point);
  }
}

const uniquePrefix = () => `swap-test/${crypto.randomUUID()}/`;

function telemetryApp(telemetry: SwapTelemetry, extra: Partial<Services> = {}) {
  return createApp({
    services: (e) => ({
      registry,
      config: readConfig(e),
      ...accessServices(e),
      teacher: (input) => teacherClient.score(input),
      recordLiveness: telemetry.record,
      swap: telemetry,
      ...extra,
    }),
  });
}

/** Sends one request as a client at edge location `colo` would, and waits for its after-response work. */
async function send(app: ReturnType<typeof createApp>, body: Uint8Array, type: string, cf?: { colo: string; country?: string }) {
  const ctx = createExecutionContext();
  const request = new Request("http://localhost/v1/liveness", {
    method: "POST",
    body,
    headers: { ...authHeaders(), "content-type": type, "content-length": String(body.byteLength) },
    ...(cf ? { cf } : {}),
  });
  const response = await app.request(request, undefined, { ...env, SHADOW_SAMPLE_RATE: "0" }, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

async function decided(response: Response): Promise<LivenessResponse> {
  const text = await response.text();
  expect(response.status, text).toBe(200);
  return LivenessResponseSchema.parse(JSON.parse(text));
}

async function swap(app: ReturnType<typeof createApp>, query = ""): Promise<SwapResponse> {
  const response = await app.request(`/v1/swap${query}`, { headers: authHeaders() }, env);
  const text = await response.text();
  expect(response.status, text).toBe(200);
  return SwapResponseSchema.parse(JSON.parse(text));
}

function named(point: AnalyticsEngineDataPoint): Record<string, unknown> {
  const out: Record<string, unknown> = { index: point.indexes?.[0] };
  SWAP_DATA_POINT_COLUMNS.blobs.forEach((name, i) => (out[name] = point.blobs?.[i]));
  SWAP_DATA_POINT_COLUMNS.doubles.forEach((name, i) => (out[name] = point.doubles?.[i]));
  return out;
}

const garbage = new TextEncoder().encode("not an image");

describe("SWAP data points (Analytics Engine)", () => {
  it("writes one data point per request, refused ones included, with region, country, models, decision, timings, score, bytes and energy", async () => {
    const analytics = new RecordingDataset();
    const telemetry = new SwapTelemetry({ kv: env.SWAP_ROLLUPS, analytics, flushIntervalMs: 1000, prefix: uniquePrefix() });
    const app = telemetryApp(telemetry);
    const frame = frames.confident[0];
    if (!frame) throw new Error("no confident frame");
    const body = await decided(await send(app, frame.png, "image/png", { colo: "FRA", country: "DE" }));
    const inBand = await decided(await send(app, frames.inBand.png, "image/png", { colo: "FRA", country: "DE" }));
    expect((await send(app, garbage, "image/png", { colo: "FRA" })).status).toBe(422);
    expect((await send(app, garbage, "text/plain", { colo: "FRA" })).status).toBe(415);

    expect(analytics.points).toHaveLength(4);
    const [confidentPoint, inBandPoint, undecodable, wrongType] = analytics.points.map(named);
    // a data point describes one frame: its timings are the frame's, whose total ends when the frame is
    // decided (the response's total also covers aggregation and may be one clock tick later in workerd)
    const frameTimings = body.frames[0]?.timingsMs;
    if (!frameTimings) throw new Error("no frame in the response");
    expect(body.timingsMs.total).toBeGreaterThanOrEqual(frameTimings.total);
    expect(confidentPoint).toEqual({
      index: "FRA",
      region: "FRA",
      country: "DE",
      outcome: "scored",
      decision: body.decision,
      decidedBy: "student",
      studentModel: publicModelId(studentCard),
      teacherModel: "",
      fallback: "",
      shadow: "",
      problem: "",
      requestId: body.requestId,
      status: 200,
      score: body.score,
      bytes: frame.png.byteLength,
      decodeMs: frameTimings.decode,
      preprocessMs: frameTimings.preprocess,
      studentMs: frameTimings.student,
      teacherMs: -1,
      totalMs: frameTimings.total,
      energyMj: inferenceEnergyMj(studentCard),
      inBand: 0,
      shadowAgreed: -1,
    });
    expect(inBandPoint).toMatchObject({
      decision: inBand.decision,
      decidedBy: "teacher",
      teacherModel: publicModelId(teacherCard),
      fallback: "answered",
      score: inBand.score,
      inBand: 1,
      energyMj: inferenceEnergyMj(studentCard) + inferenceEnergyMj(teacherCard),
    });
    expect(inBandPoint?.teacherMs).toBeGreaterThanOrEqual(0);
    expect(undecodable).toMatchObject({ region: "FRA", outcome: "rejected", status: 422, problem: "urn:fas-edge:problem:unrecognised-image", bytes: garbage.byteLength });
    expect(wrongType).toMatchObject({ outcome: "rejected", status: 415, problem: "urn:fas-edge:problem:unsupported-media-type" });
  });
});

describe("GET /v1/swap", () => {
  it("reports several regions from the KV rollups, each request counted once, and filters by ?region=", async () => {
    const telemetry = new SwapTelemetry({ kv: env.SWAP_ROLLUPS, analytics: new RecordingDataset(), flushIntervalMs: 1000, prefix: uniquePrefix() });
    const app = telemetryApp(telemetry);
    const [a, b] = frames.confident;
    if (!a || !b) throw new Error("need two confident frames");
    const fra = [
      await decided(await send(app, a.png, "image/png", { colo: "FRA" })),
      await decided(await send(app, b.png, "image/png", { colo: "FRA" })),
    ];
    expect((await send(app, garbage, "image/png", { colo: "FRA" })).status).toBe(422);
    const sin = await decided(await send(app, frames.inBand.png, "image/png", { colo: "SIN" }));
    const gru = await decided(await send(app, a.png, "image/png", { colo: "GRU" }));

    const all = await swap(app);
    expect(all.regions.map((r) => r.region)).toEqual(["FRA", "GRU", "SIN"]);
    expect(all.sources).toMatchObject({ isolates: 1, unreadable: 0 });
    const [FRA, GRU, SIN] = all.regions;
    const count = (bodies: LivenessResponse[], decision: string) => bodies.filter((x) => x.decision === decision).length;
    expect(FRA).toMatchObject({
      requests: 3,
      scored: 2,
      rejected: 1,
      failed: 0,
      decisions: { live: count(fra, "live"), spoof: count(fra, "spoof"), uncertain: 0 },
      decidedBy: { student: 2, teacher: 0 },
      inBand: 0,
      fallbackRate: 0,
      teacherFailures: 0,
      agreement: { sampled: 0, agreed: 0, rate: null, failures: 0 },
      models: [publicModelId(studentCard)],
    });
    expect(FRA?.latencyMs.samples).toBe(2);
    expect(FRA?.latencyMs.p95).toBeGreaterThanOrEqual(FRA?.latencyMs.p50 ?? Infinity);
    expect(FRA?.energyMjPerRequest).toBeCloseTo(inferenceEnergyMj(studentCard), 5);
    expect(SIN).toMatchObject({
      requests: 1,
      scored: 1,
      decidedBy: { student: 0, teacher: 1 },
      decisions: { [sin.decision]: 1 },
      inBand: 1,
      fallbackRate: 1,
      fallback: { asked: 1, answered: 1, timeout: 0, failed: 0 },
      models: [publicModelId(studentCard), publicModelId(teacherCard)].sort(),
    });
    expect(SIN?.teacherMs.samples).toBe(1);
    expect(SIN?.energyMjPerRequest).toBeCloseTo(inferenceEnergyMj(studentCard) + inferenceEnergyMj(teacherCard), 5);
    expect(GRU).toMatchObject({ requests: 1, scored: 1, decisions: { [gru.decision]: 1 } });
    expect(all.totals).toMatchObject({ requests: 5, scored: 4, rejected: 1, inBand: 1, decidedBy: { student: 3, teacher: 1 }, fallbackRate: 0.25 });
    for (const r of all.regions) expect(Date.parse(r.lastUpdated ?? "")).toBeGreaterThan(0);
    expect(all.speedNote).toMatch(/measured/);
    expect(all.speedNote).toMatch(/estimate/);
    expect(all.energyModel.pjPerMac).toEqual({ fp32: 4.6, int8: 0.23 });

    const onlySin = await swap(app, "?region=SIN");
    expect(onlySin.region).toBe("SIN");
    expect(onlySin.regions).toEqual([SIN]);
    const { region: _, ...sinFigures } = SIN ?? { region: "" };
    expect(onlySin.totals).toEqual(sinFigures);
    expect((await swap(app, "?region=NRT")).regions).toEqual([]);
    const bad = await app.request("/v1/swap?region=../etc", { headers: authHeaders() }, env);
    expect(bad.status).toBe(400);
  });

  it("is served by the deployed Worker's own isolate services", async () => {
    const response = await worker.fetch("http://localhost/v1/swap", { headers: authHeaders() });
    expect(response.status).toBe(200);
    SwapResponseSchema.parse(await response.json());
  });
});

function event(region: string, i: number): ScoredLivenessEvent {
  return {
    requestId: `r${i}`,
    region,
    status: 200,
    bytes: 1000 + i,
    outcome: "scored",
    decision: i % 3 === 0 ? "live" : "spoof",
    decidedBy: "student",
    score: i % 3 === 0 ? 0.9 : 0.1,
    models: { student: "fas-student@000000000000" },
    timingsMs: { decode: 1, preprocess: 1, student: (i % 7) + 0.5, total: i + 3 },
    inBand: false,
    energyMj: 0.5,
  };
}

/** A KV namespace that counts its operations (or refuses writes) and otherwise is the real one. */
function instrumented(kv: KVNamespace, options: { refusePuts?: boolean } = {}) {
  const counts = { puts: 0, lists: 0, gets: 0 };
  const wrapped = new Proxy(kv, {
    get(target, prop) {
      if (prop === "put") {
        return async (...args: Parameters<KVNamespace["put"]>) => {
          counts.puts++;
          if (options.refusePuts) throw new Error("KV unavailable");
          return target.put(...args);
        };
      }
      const value = Reflect.get(target, prop) as unknown;
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        if (prop === "list") counts.lists++;
        if (prop === "get" || prop === "getWithMetadata") counts.gets++;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { kv: wrapped, counts };
}

describe("KV rollups", () => {
  it("merge exactly across concurrent isolates, each writing only its own key", async () => {
    const prefix = uniquePrefix();
    const isolates = Array.from({ length: 4 }, (_, k) => new SwapTelemetry({ kv: env.SWAP_ROLLUPS, flushIntervalMs: 1000, prefix, isolateId: `isolate-${k}` }));
    const perIsolate = 30;
    const reference: Record<string, { requests: number; live: number; totalMs: Histogram }> = {};
    const pending: Promise<void>[] = [];
    for (let i = 0; i < perIsolate; i++) {
      isolates.forEach((telemetry, k) => {
        const region = ["FRA", "SIN", "GRU"][(i + k) % 3] ?? "FRA";
        const e = event(region, i * 4 + k);
        const ref = (reference[region] ??= { requests: 0, live: 0, totalMs: {} });
        ref.requests++;
        if (e.decision === "live") ref.live++;
        observe(ref.totalMs, e.timingsMs.total);
        pending.push(telemetry.record(e));
      });
    }
    await Promise.all(pending);

    const listed = await env.SWAP_ROLLUPS.list({ prefix });
    expect(listed.keys.map((k) => k.name).sort()).toEqual(isolates.map((t) => t.store.key).sort());
    for (const telemetry of isolates) {
      const stored = RollupDocumentSchema.parse(await env.SWAP_ROLLUPS.get(telemetry.store.key, "json"));
      expect(stored.seq).toBe(telemetry.store.snapshot().seq);
    }

    const merged = await new KvRollupReader(env.SWAP_ROLLUPS, { prefix }).read();
    expect(merged.isolates).toBe(4);
    expect([...merged.regions.keys()].sort()).toEqual(Object.keys(reference).sort());
    let total = 0;
    for (const [region, ref] of Object.entries(reference)) {
      const rollup = merged.regions.get(region);
      expect(rollup?.requests).toBe(ref.requests);
      expect(rollup?.decisions.live).toBe(ref.live);
      expect(rollup?.totalMs).toEqual(ref.totalMs);
      total += rollup?.requests ?? 0;
    }
    expect(total).toBe(4 * perIsolate);
  });

  it("write a burst at most once per interval and still carry its last event", async () => {
    const { kv, counts } = instrumented(env.SWAP_ROLLUPS);
    const telemetry = new SwapTelemetry({ kv, flushIntervalMs: 1000, prefix: uniquePrefix() });
    await Promise.all(Array.from({ length: 40 }, (_, i) => telemetry.record(event("FRA", i))));
    expect(counts.puts).toBeLessThanOrEqual(2);
    const stored = RollupDocumentSchema.parse(await env.SWAP_ROLLUPS.get(telemetry.store.key, "json"));
    expect(stored.regions.FRA?.requests).toBe(40);
    expect(telemetry.store.flushed).toBe(true);
  });

  it("give each write of an isolate's key an expiration ROLLUP_TTL_S ahead, so the keys of stopped isolates expire", async () => {
    const prefix = uniquePrefix();
    const telemetry = new SwapTelemetry({ kv: env.SWAP_ROLLUPS, flushIntervalMs: 1000, prefix });
    const expiration = async () => (await env.SWAP_ROLLUPS.list({ prefix })).keys.find((k) => k.name === telemetry.store.key)?.expiration;
    await telemetry.record(event("FRA", 1));
    const first = await expiration();
    expect(first).toBeDefined();
    expect(Math.abs((first ?? 0) - (Date.now() / 1000 + ROLLUP_TTL_S))).toBeLessThan(10);
    // the next write, a second or more later, moves it forward
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await telemetry.record(event("FRA", 2));
    expect(await expiration()).toBeGreaterThan(first ?? Infinity);
  });

  it("are read with a bounded number of KV operations: one list per 1,000 keys and one bulk get per 100", async () => {
    const prefix = uniquePrefix();
    await Promise.all(
      Array.from({ length: 250 }, async (_, k) => {
        const store = new SwapTelemetry({ kv: env.SWAP_ROLLUPS, flushIntervalMs: 1000, prefix, isolateId: `isolate-${k}` });
        await store.record(event("FRA", k));
      }),
    );
    const { kv, counts } = instrumented(env.SWAP_ROLLUPS);
    const merged = await new KvRollupReader(kv, { prefix }).read();
    expect(merged).toMatchObject({ isolates: 250, unreadable: 0, notRead: 0, complete: true });
    expect(merged.regions.get("FRA")?.requests).toBe(250);
    expect(counts).toMatchObject({ lists: 1, gets: 3 });
  });

  it("merge at most maxDocuments per read, the most recently written, and report the rest as left out", async () => {
    const prefix = uniquePrefix();
    // isolate k's key expires k minutes after the others: as if written k minutes later
    for (let k = 0; k < 5; k++) {
      const telemetry = new SwapTelemetry({ kv: env.SWAP_ROLLUPS, flushIntervalMs: 1000, prefix, isolateId: `isolate-${k}`, ttlS: 3600 + 60 * k });
      await telemetry.record(event(`R${k}`, k));
    }
    // a value that is not a rollup (the namespace is shared with the other test files, whose
    // privacy checks read every value: it is removed again below)
    const garbage = `${prefix}not-a-rollup`;
    await env.SWAP_ROLLUPS.put(garbage, "{ not json", { expirationTtl: 7200 });
    try {
      const telemetry = new SwapTelemetry({ kv: env.SWAP_ROLLUPS, flushIntervalMs: 1000, prefix, reader: { maxDocuments: 4 } });

      const merged = await telemetry.read();
      expect([...merged.regions.keys()].sort()).toEqual(["R2", "R3", "R4"]);
      expect(merged).toMatchObject({ isolates: 3, unreadable: 1, notRead: 2, complete: false });

      const body = await swap(telemetryApp(telemetry));
      expect(body.sources).toMatchObject({ isolates: 3, unreadable: 3 });
      expect(body.totals.requests).toBe(3);
      const all = await swap(telemetryApp(new SwapTelemetry({ kv: env.SWAP_ROLLUPS, flushIntervalMs: 1000, prefix })));
      expect(all.sources).toMatchObject({ isolates: 5, unreadable: 1 });
    } finally {
      await env.SWAP_ROLLUPS.delete(garbage);
    }
  });

  it("leave out keys without an expiration (written before rollups expired), and delete them through GET /v1/swap", async () => {
    const prefix = uniquePrefix();
    const telemetry = new SwapTelemetry({ kv: env.SWAP_ROLLUPS, flushIntervalMs: 1000, prefix });
    await telemetry.record(event("FRA", 1));
    // what an older release left behind: the same kind of document, under keys that never expire
    const document = await env.SWAP_ROLLUPS.get(telemetry.store.key);
    if (!document) throw new Error("the isolate's rollup was not written");
    const legacy = [`${prefix}old-isolate-a`, `${prefix}old-isolate-b`];
    for (const key of legacy) await env.SWAP_ROLLUPS.put(key, document.replace(/"FRA"/g, '"OLD"'));
    try {
      const pending: Promise<unknown>[] = [];
      const merged = await new KvRollupReader(env.SWAP_ROLLUPS, { prefix }).read({ waitUntil: (work) => pending.push(work) });
      expect([...merged.regions.keys()]).toEqual(["FRA"]);
      expect(merged).toMatchObject({ isolates: 1, unreadable: 0, notRead: 0, complete: true });
      await Promise.all(pending);
      expect((await env.SWAP_ROLLUPS.list({ prefix })).keys.map((k) => k.name)).toEqual([telemetry.store.key]);

      // through the route: its invocation keeps the deletion alive after the answer
      for (const key of legacy) await env.SWAP_ROLLUPS.put(key, document.replace(/"FRA"/g, '"OLD"'));
      const ctx = createExecutionContext();
      const response = await telemetryApp(telemetry).request("/v1/swap", { headers: authHeaders() }, env, ctx);
      const body = SwapResponseSchema.parse(await response.json());
      expect(body.regions.map((r) => r.region)).toEqual(["FRA"]);
      expect(body.sources.isolates).toBe(1);
      await waitOnExecutionContext(ctx);
      expect((await env.SWAP_ROLLUPS.list({ prefix })).keys.map((k) => k.name)).toEqual([telemetry.store.key]);
    } finally {
      for (const key of legacy) await env.SWAP_ROLLUPS.delete(key);
    }
  });

  it("never let a telemetry failure fail or change the request, and count it", async () => {
    const { kv } = instrumented(env.SWAP_ROLLUPS, { refusePuts: true });
    const analytics = {
      writeDataPoint: () => {
        throw new Error("dataset unavailable");
      },
    };
    const telemetry = new SwapTelemetry({ kv, analytics, flushIntervalMs: 1000, prefix: uniquePrefix() });
    const frame = frames.confident[0];
    if (!frame) throw new Error("no confident frame");
    const body = await decided(await send(telemetryApp(telemetry), frame.png, "image/png"));
    expect(body).toMatchObject({ decidedBy: "student", score: frame.studentScore });
    const { telemetry: errors } = telemetry.store.snapshot();
    expect(errors.analyticsWriteErrors).toBe(1);
    expect(errors.kvWriteErrors).toBeGreaterThanOrEqual(1);
  });
});
