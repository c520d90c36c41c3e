import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { encode as encodePng } from "fast-png";
import jpeg from "jpeg-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Services } from "../src/app-env";
import { readConfig } from "../src/config";
import { AssetModelStore, type ModelStore } from "../src/models/asset-model-store";
import { ModelRegistry } from "../src/models/model-registry";
import { LivenessResponseSchema } from "../src/schemas/liveness";
import { PROBLEM_MEDIA_TYPE, ProblemSchema } from "../src/schemas/problem";
import { internalTeacherToken } from "../src/auth/signing";
import { TeacherClient } from "../src/teacher/teacher-client";
import { RollupDocumentSchema } from "../src/telemetry/rollup";
import { ROLLUP_KEY_PREFIX } from "../src/telemetry/rollup-store";
import { SwapTelemetry } from "../src/telemetry/swap-telemetry";
import { findBandFrames, type BandFrames } from "./helpers/band-frames";
import { concat, Rng } from "./helpers/fuzz";
import { ImageTraces, jsonStrings, toBase64, toHex } from "./helpers/image-traces";
import { png } from "./helpers/images";
import { accessServices, post, postForm, send, type Target } from "./helpers/worker";

/**
 * Frames are biometric data: nothing the Worker writes (console, the SWAP_ROLLUPS KV namespace,
 * Analytics Engine data points) and nothing it answers (headers, problem bodies) may carry them.
 * Real requests (accepted, refused, a teacher fallback, a teacher timeout, a model that cannot be
 * loaded, a misconfigured deployment) are sent with distinctive noise images and the face crops of
 * the band search; everything written is then searched for any trace of those images.
 */

/** Longest string allowed in a data point blob, a KV document, or a problem detail; longest log line. */
const MAX_FIELD_CHARS = 256;
const MAX_LOG_CHARS = 1024;

const LEVELS = ["log", "info", "warn", "error", "debug"] as const;
const logs: { level: string; text: string }[] = [];
const originals = new Map<string, (...args: unknown[]) => void>();
const points: AnalyticsEngineDataPoint[] = [];
const answers: { label: string; status: number; headers: [string, string][]; body: string }[] = [];
const outcomes: Record<string, number> = {};
let traces: ImageTraces;
let kvValues: { key: string; value: string }[] = [];
/** POST /v1/liveness requests counted by the Worker's own isolate telemetry (in KV), and by the test's SwapTelemetry. */
let workerLivenessRequests = 0;
let appLivenessRequests = 0;
let frames: BandFrames;

function capture(level: string, args: unknown[]): void {
  const text = args.map((a) => (typeof a === "string" ? a : a instanceof Error ? `${a.name}: ${a.message}\n${a.stack ?? ""}` : safeJson(a))).join(" ");
  logs.push({ level, text });
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Random RGB noise: every 16-byte window of its PNG or JPEG is distinctive. */
function noise(seed: number, width: number, height: number): { png: Uint8Array; jpeg: Uint8Array } {
  const rgb = new Rng(seed).bytes(width * height * 3);
  const rgba = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    rgba.set(rgb.subarray(p * 3, p * 3 + 3), p * 4);
    rgba[p * 4 + 3] = 255;
  }
  return {
    png: encodePng({ width, height, data: rgb, channels: 3, depth: 8 }),
    jpeg: new Uint8Array(jpeg.encode({ width, height, data: rgba }, 95).data),
  };
}

/** An app with its own services, answering like the Worker; waits for its after-response work. */
function appTarget(services: (e: Env) => Services, vars: Partial<Record<keyof Env, string>> = {}): Target {
  const app = createApp({ services });
  return {
    fetch: async (input, init) => {
      const ctx = createExecutionContext();
      const response = await app.request(input, init, { ...env, ...vars }, ctx);
      await waitOnExecutionContext(ctx);
      return response;
    },
  };
}

/** Keeps what the answer was, for the checks below. */
async function keep(label: string, response: Promise<Response>, expected: number | readonly number[]): Promise<void> {
  const r = await response;
  const body = await r.text();
  answers.push({ label, status: r.status, headers: [...r.headers], body });
  const allowed: readonly number[] = typeof expected === "number" ? [expected] : expected;
  expect(allowed, `${label}: ${r.status} ${body.slice(0, 300)}`).toContain(r.status);
  if (r.status === 200) {
    const decided = LivenessResponseSchema.safeParse(JSON.parse(body));
    if (decided.success) outcomes[`${label}: decided by ${decided.data.decidedBy}, ${decided.data.decision}`] = 1;
  }
}

function form(parts: Record<string, Uint8Array | string>, type = "image/png"): FormData {
  const f = new FormData();
  for (const [name, value] of Object.entries(parts)) f.append(name, typeof value === "string" ? value : new File([value], `${name}.bin`, { type }));
  return f;
}

/** Sum of requests in the Worker's own isolate rollups (keys under ROLLUP_KEY_PREFIX). */
async function isolateRollupRequests(): Promise<number> {
  let n = 0;
  for (const { key, value } of await readKv()) {
    if (!key.startsWith(ROLLUP_KEY_PREFIX)) continue;
    const doc = RollupDocumentSchema.safeParse(JSON.parse(value));
    if (doc.success) for (const r of Object.values(doc.data.regions)) n += r.requests;
  }
  return n;
}

async function readKv(): Promise<{ key: string; value: string }[]> {
  const out: { key: string; value: string }[] = [];
  let cursor: string | undefined;
  do {
    const page = await env.SWAP_ROLLUPS.list(cursor ? { cursor } : {});
    for (const { name } of page.keys) out.push({ key: name, value: (await env.SWAP_ROLLUPS.get(name, "text")) ?? "" });
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);
  return out;
}

beforeAll(async () => {
  frames = await findBandFrames(new AssetModelStore(env.ASSETS));
  const a = noise(0x5eed, 96, 96);
  const b = noise(0xface, 120, 90);
  const confident = frames.confident[0];
  if (!confident) throw new Error("no confident frame");
  traces = new ImageTraces([a.png, a.jpeg, b.png, b.jpeg, frames.inBand.png, confident.png]);
  const before = await isolateRollupRequests();

  for (const level of LEVELS) {
    originals.set(level, console[level]);
    console[level] = (...args: unknown[]) => capture(level, args);
  }
  try {
    // the Worker itself, with its isolate services (KV rollups, console)
    const worker = async (label: string, path: string, response: Promise<Response>, status: number | readonly number[]) => {
      if (path === "/v1/liveness") workerLivenessRequests++;
      await keep(label, response, status);
    };
    const cut = a.png.subarray(0, a.png.length >> 1);
    const flipped = a.png.slice();
    flipped[a.png.length >> 1] = (flipped[a.png.length >> 1] ?? 0) ^ 0x40;
    const oversized = concat(a.png, new Uint8Array(readConfig(env).maxBodyBytes));
    await worker("png frame", "/v1/liveness", post(a.png, "image/png"), 200);
    await worker("jpeg frame", "/v1/liveness", post(a.jpeg, "image/jpeg"), 200);
    await worker("multipart frame with a box", "/v1/liveness", postForm(form({ frame: b.png, meta: JSON.stringify({ box: [10, 10, 60, 60] }) })), 200);
    await worker("truncated png", "/v1/liveness", post(cut, "image/png"), 422);
    await worker("corrupted png", "/v1/liveness", post(flipped, "image/png"), 422);
    await worker("truncated jpeg", "/v1/liveness", post(b.jpeg.subarray(0, b.jpeg.length >> 1), "image/jpeg"), 422);
    await worker("image as text/plain", "/v1/liveness", post(a.png, "text/plain"), 415);
    await worker("image as base64 in meta", "/v1/liveness", postForm(form({ frame: a.png, meta: toBase64(a.png) })), 400);
    await worker("image as a box", "/v1/liveness", postForm(form({ frame: a.png, meta: JSON.stringify({ box: toHex(a.png.subarray(0, 64)) }) })), 400);
    await worker("image under another field name", "/v1/liveness", postForm(form({ image: a.png })), 400);
    await worker("image with a broken boundary", "/v1/liveness", post(a.png, "multipart/form-data; boundary=x"), 400);
    await worker("image as base64 body", "/v1/liveness", post(toBase64(a.png), "image/png"), 422);
    await worker("body over the limit", "/v1/liveness", post(oversized, "image/png"), 413);
    await worker("image with PUT", "/v1/liveness", send("/v1/liveness", { method: "PUT", body: a.png, headers: { "content-type": "image/png" } }), 405);
    await worker("teacher route", "/v1/liveness/teacher", post(b.jpeg, "image/jpeg", "/v1/liveness/teacher"), 200);
    await worker("teacher route, truncated", "/v1/liveness/teacher", post(cut, "image/png", "/v1/liveness/teacher"), 422);

    // the same code with services the test can watch: Analytics Engine data points through the real SwapTelemetry
    const telemetry = new SwapTelemetry({
      kv: env.SWAP_ROLLUPS,
      analytics: { writeDataPoint: (point?: AnalyticsEngineDataPoint) => void (point && points.push(point)) },
      flushIntervalMs: 1000,
      prefix: `privacy-test/${crypto.randomUUID()}/`,
    });
    const realTeacher = new TeacherClient(env.TEACHER, { timeoutMs: 120_000, credential: internalTeacherToken(env.SIGNING_SECRET ?? "") });
    const watched = (teacher: TeacherClient, registry = frames.registry) => (e: Env): Services => ({
      registry,
      config: readConfig(e),
      ...accessServices(e),
      teacher: (input) => teacher.score(input),
      recordLiveness: telemetry.record,
      swap: telemetry,
    });
    const app = async (label: string, target: Target, response: (t: Target) => Promise<Response>, status: number, recorded = true) => {
      if (recorded) appLivenessRequests++;
      await keep(label, response(target), status);
    };
    const cascade = appTarget(watched(realTeacher), { SHADOW_SAMPLE_RATE: "0" });
    await app("in-band frame (teacher fallback)", cascade, (t) => post(frames.inBand.png, "image/png", "/v1/liveness", t), 200);
    await app("confident frame", cascade, (t) => post(confident.png, "image/png", "/v1/liveness", t), 200);
    await app("noise frame", cascade, (t) => post(a.jpeg, "image/jpeg", "/v1/liveness", t), 200);
    await app("refused frame", cascade, (t) => post(cut, "image/png", "/v1/liveness", t), 422);
    const shadow = appTarget(watched(realTeacher), { SHADOW_SAMPLE_RATE: "1" });
    await app("confident frame, shadow-scored", shadow, (t) => post(confident.png, "image/png", "/v1/liveness", t), 200);
    const late = appTarget(watched(new TeacherClient(env.TEACHER, { timeoutMs: 1 })), { SHADOW_SAMPLE_RATE: "0" });
    await app("in-band frame, teacher too late", late, (t) => post(frames.inBand.png, "image/png", "/v1/liveness", t), 200);

    // the error handler's logged paths: a model that cannot be loaded (503), a deployment whose vars do not parse (500)
    const inner = new AssetModelStore(env.ASSETS);
    const missingStudent: ModelStore = {
      manifest: async () => {
        const manifest = await inner.manifest();
        const card = manifest.models[manifest.serving.student];
        if (!card) throw new Error("no serving student");
        return { ...manifest, models: { ...manifest.models, [card.id]: { ...card, file: "missing/student.onnx" } } };
      },
      modelBytes: (card) => inner.modelBytes(card),
    };
    const unavailable = appTarget(watched(realTeacher, new ModelRegistry(missingStudent)));
    await app("model unavailable", unavailable, (t) => post(a.png, "image/png", "/v1/liveness", t), 503);
    // (its services cannot be built, so telemetry has nothing to record it with)
    const misconfigured = appTarget(watched(realTeacher), { MAX_BODY_BYTES: "two megabytes" });
    await app("misconfigured deployment", misconfigured, (t) => post(a.png, "image/png", "/v1/liveness", t), 500, false);

    // the Worker's isolate writes its rollup at most once a second: wait until it carries these requests
    for (let waited = 0; (await isolateRollupRequests()) < before + workerLivenessRequests; waited += 250) {
      if (waited > 30_000) throw new Error("the Worker's isolate rollup did not reach KV within 30 s");
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    kvValues = await readKv();
  } finally {
    for (const level of LEVELS) {
      const original = originals.get(level);
      if (original) console[level] = original;
    }
  }
}, 300_000);

afterAll(() => {
  const levels = LEVELS.map((l) => `${l} x${logs.filter((x) => x.level === l).length}`).join(", ");
  console.log(`privacy: ${answers.length} requests, console lines (${levels}), ${kvValues.length} KV values, ${points.length} data points, ${traces.windows} image windows searched for`);
});

describe("frames never leave the request (privacy)", () => {
  it("the scenario ran: decisions by the student and the teacher, refusals, a teacher timeout, a 503 and a 500", () => {
    const decisions = Object.keys(outcomes).join("\n");
    expect(decisions).toMatch(/teacher fallback\): decided by teacher/);
    expect(decisions).toMatch(/teacher too late: decided by student, uncertain/);
    const statuses = new Set(answers.map((a) => a.status));
    for (const status of [200, 400, 405, 413, 415, 422, 500, 503]) expect(statuses).toContain(status);
  });

  it("the search finds an image in raw, base64 and hex form, and anything that starts like a PNG or JPEG", () => {
    const a = noise(0x5eed, 96, 96).png;
    const slice = a.subarray(1000, 1040);
    expect(traces.find(String.fromCharCode(...slice))).not.toEqual([]);
    expect(traces.find(JSON.stringify({ frame: toBase64(a.subarray(1001, 1060)) }))).not.toEqual([]);
    expect(traces.find(`frame=${toHex(slice)}`)).not.toEqual([]);
    expect(traces.find(JSON.stringify({ x: String.fromCharCode(...slice) }))).not.toEqual([]);
    expect(traces.find(`other image: ${toBase64(png(40, 40).subarray(0, 30))}`)).toContain("base64: a PNG signature");
    const jfif = Uint8Array.of(0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0);
    expect(traces.find(`data:image/jpeg;base64,${toBase64(jfif)}`)).toContain("base64: a JPEG start of image");
    const answer = { requestId: "3f0c1a2b-9d3f-4d57-8f33-6a1b2c3d4e5f", decision: "live", score: 0.97, models: { student: "fas-student@9d3fd57df336" } };
    expect(traces.find(JSON.stringify(answer))).toEqual([]);
  });

  it("console: no image bytes, no long lines", () => {
    // what the error handler and the teacher fallback log must have been captured
    expect(logs.filter((l) => l.level === "error").length).toBeGreaterThanOrEqual(2);
    expect(logs.some((l) => l.level === "warn" && l.text.includes("timeout"))).toBe(true);
    for (const { level, text } of logs) {
      expect(traces.find(text), `console.${level}: ${text.slice(0, 200)}`).toEqual([]);
      expect(text.length, `console.${level}: ${text.slice(0, 200)}`).toBeLessThanOrEqual(MAX_LOG_CHARS);
    }
  });

  it("SWAP_ROLLUPS KV: no image bytes, no long strings, in every key and value of the namespace", () => {
    expect(kvValues.some((v) => v.key.startsWith(ROLLUP_KEY_PREFIX))).toBe(true);
    expect(kvValues.some((v) => v.key.startsWith("privacy-test/"))).toBe(true);
    for (const { key, value } of kvValues) {
      expect(traces.find(key), key).toEqual([]);
      expect(traces.find(value), key).toEqual([]);
      const strings = jsonStrings(value);
      expect(strings.length, `${key} is not JSON`).toBeGreaterThan(0);
      for (const s of strings) expect(s.length, `${key}: ${s.slice(0, 80)}`).toBeLessThanOrEqual(MAX_FIELD_CHARS);
    }
  });

  it("Analytics Engine: one data point per request, with short blobs and no image bytes", () => {
    expect(points).toHaveLength(appLivenessRequests);
    for (const point of points) {
      const strings = [...(point.indexes ?? []), ...(point.blobs ?? [])].map((v) => (typeof v === "string" ? v : v === null ? "" : new TextDecoder().decode(v)));
      for (const s of strings) {
        expect(traces.find(s), s.slice(0, 80)).toEqual([]);
        expect(s.length, s.slice(0, 80)).toBeLessThanOrEqual(MAX_FIELD_CHARS);
      }
      for (const d of point.doubles ?? []) expect(typeof d).toBe("number");
    }
  });

  it("answers: no header or problem body echoes image bytes", () => {
    for (const { label, status, headers, body } of answers) {
      for (const [name, value] of headers) expect(traces.find(value), `${label}: ${name}`).toEqual([]);
      expect(traces.find(body), label).toEqual([]);
      if (status === 200) continue;
      expect(headers.find(([name]) => name === "content-type")?.[1], label).toBe(PROBLEM_MEDIA_TYPE);
      const problem = ProblemSchema.parse(JSON.parse(body));
      for (const s of jsonStrings(body)) expect(s.length, `${label}: ${s.slice(0, 80)}`).toBeLessThanOrEqual(MAX_FIELD_CHARS);
      expect(problem).not.toHaveProperty("decision");
    }
  });
});
