import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Services } from "../src/app-env";
import { readConfig } from "../src/config";
import type { LivenessInput } from "../src/http/liveness-request";
import { publicModelId } from "../src/models/manifest-schema";
import { AssetModelStore } from "../src/models/asset-model-store";
import type { ModelRegistry } from "../src/models/model-registry";
import { LivenessResponseSchema, type LivenessResponse } from "../src/schemas/liveness";
import { ProblemSchema } from "../src/schemas/problem";
import { TeacherResponseSchema, type TeacherResponse } from "../src/schemas/teacher";
import { internalTeacherToken } from "../src/auth/signing";
import { TeacherClient } from "../src/teacher/teacher-client";
import type { LivenessEvent, ScoredLivenessEvent } from "../src/telemetry/liveness-event";
import { findBandFrames, type BandFrames } from "./helpers/band-frames";
import { golden, goldenImage } from "./helpers/golden";
import { accessServices, authHeaders, post, worker } from "./helpers/worker";

/** The serving models, with the band the test frames were chosen for (see findBandFrames). */
let registry: ModelRegistry;
/** The real teacher: POST /v1/liveness/teacher of this Worker, through the TEACHER service binding. */
const realTeacher = new TeacherClient(env.TEACHER, { timeoutMs: 120_000, credential: internalTeacherToken(env.SIGNING_SECRET ?? "") });

let frames: BandFrames;
let teacherId: string;
/** What the teacher route says about the in-band frame when called directly. */
let direct: TeacherResponse;

beforeAll(async () => {
  frames = await findBandFrames(new AssetModelStore(env.ASSETS));
  registry = frames.registry;
  const manifest = await registry.manifest();
  const card = manifest.serving.teacher ? manifest.models[manifest.serving.teacher] : undefined;
  if (!card) throw new Error("the manifest names no serving teacher");
  teacherId = publicModelId(card);
  const response = await post(frames.inBand.png, "image/png", "/v1/liveness/teacher");
  expect(response.status, await response.clone().text()).toBe(200);
  direct = TeacherResponseSchema.parse(await response.json());
});

interface Run {
  readonly body: LivenessResponse;
  readonly events: LivenessEvent[];
  readonly teacherCalls: number;
}

/** One POST /v1/liveness through an app with the given services and vars; waits for its waitUntil work. */
async function run(png: Uint8Array, options: { vars?: Partial<Record<keyof Env, string>>; services?: Partial<Services>; teacher?: Services["teacher"] } = {}): Promise<Run> {
  const events: LivenessEvent[] = [];
  let teacherCalls = 0;
  const teacher = options.teacher ?? ((input: LivenessInput) => realTeacher.score(input));
  const app = createApp({
    services: (e) => ({
      registry,
      config: readConfig(e),
      ...accessServices(e),
      teacher: async (input) => {
        teacherCalls++;
        return teacher(input);
      },
      recordLiveness: async (event) => void events.push(event),
      ...options.services,
    }),
  });
  const ctx = createExecutionContext();
  const response = await app.request(
    "/v1/liveness",
    { method: "POST", body: png, headers: { ...authHeaders(), "content-type": "image/png" } },
    { ...env, SHADOW_SAMPLE_RATE: "0", ...options.vars },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  const text = await response.text();
  expect(response.status, text).toBe(200);
  return { body: LivenessResponseSchema.parse(JSON.parse(text)), events, teacherCalls };
}

const scoredEvent = (events: LivenessEvent[]): ScoredLivenessEvent => {
  expect(events).toHaveLength(1);
  const [event] = events;
  if (event?.outcome !== "scored") throw new Error(`expected a scored event, got ${JSON.stringify(event)}`);
  return event;
};

/** A Fetcher that never answers (until its request is aborted). */
const hangingTeacher: Pick<Fetcher, "fetch"> = {
  fetch: (_input: RequestInfo | URL, init?: RequestInit) =>
    new Promise<Response>((_, reject) => init?.signal?.addEventListener("abort", () => reject(new Error("aborted")))),
} as Pick<Fetcher, "fetch">;

describe("POST /v1/liveness/teacher", () => {
  it("scores a frame with the manifest's serving teacher, callable directly", async () => {
    expect(direct.model).toBe(teacherId);
    expect(direct.decision).toBe(direct.score >= direct.threshold ? "live" : "spoof");
    const g = await golden();
    const teacherKey = (await registry.manifest()).serving.teacher ?? "";
    const expected = g.models[teacherKey]?.score;
    if (expected !== undefined && g.box) {
      const form = new FormData();
      form.append("frame", new File([await goldenImage("png")], "frame.png", { type: "image/png" }));
      form.append("meta", JSON.stringify({ box: g.box }));
      const response = await worker.fetch("http://localhost/v1/liveness/teacher", { method: "POST", body: form, headers: authHeaders() });
      const body = TeacherResponseSchema.parse(await response.json());
      expect(body.score).toBeCloseTo(expected, 5);
    }
  });

  it("refuses malformed input with problem details, like /v1/liveness", async () => {
    const response = await post(new TextEncoder().encode("not an image"), "image/png", "/v1/liveness/teacher");
    expect(response.status).toBe(422);
    expect(ProblemSchema.parse(await response.json()).type).toBe("urn:fas-edge:problem:unrecognised-image");
  });
});

describe("teacher fallback", () => {
  it("re-scores an in-band frame with the teacher through the service binding, and the teacher decides", async () => {
    const { body, events, teacherCalls } = await run(frames.inBand.png);
    expect(teacherCalls).toBe(1);
    expect(body).toMatchObject({ decidedBy: "teacher", score: direct.score, threshold: direct.threshold, decision: direct.decision });
    expect(body.models.teacher).toBe(teacherId);
    expect(body.timingsMs.teacher).toBeGreaterThanOrEqual(0);
    const event = scoredEvent(events);
    expect(event).toMatchObject({ inBand: true, decidedBy: "teacher", fallback: { outcome: "answered", model: teacherId } });
    expect(event.shadow).toBeUndefined();
  });

  it("leaves confident frames to the student", async () => {
    for (const frame of frames.confident) {
      const { body, events, teacherCalls } = await run(frame.png);
      expect(teacherCalls).toBe(0);
      expect(body).toMatchObject({ decidedBy: "student", score: frame.studentScore });
      expect(body.decision).not.toBe("uncertain");
      expect(scoredEvent(events)).toMatchObject({ inBand: false });
    }
  });

  it("answers `uncertain` (never `live`) and records a timeout when the teacher does not answer in time", async () => {
    const late = new TeacherClient(hangingTeacher, { timeoutMs: 50 });
    const { body, events, teacherCalls } = await run(frames.inBand.png, { teacher: (input) => late.score(input) });
    expect(teacherCalls).toBe(1);
    expect(body).toMatchObject({ decision: "uncertain", decidedBy: "student", score: frames.inBand.studentScore });
    expect(body.models.teacher).toBeUndefined();
    expect(scoredEvent(events)).toMatchObject({ inBand: true, decision: "uncertain", fallback: { outcome: "timeout" } });
  });

  it("answers `uncertain` and records a failure when the teacher errs", async () => {
    const failing = new TeacherClient({ fetch: async () => new Response("boom", { status: 500 }) } as unknown as Fetcher, { timeoutMs: 60_000 });
    for (const teacher of [(input: LivenessInput) => failing.score(input), async () => undefined, async () => Promise.reject(new Error("down"))]) {
      const { body, events } = await run(frames.inBand.png, { teacher });
      expect(body).toMatchObject({ decision: "uncertain", decidedBy: "student" });
      expect(scoredEvent(events).fallback).toEqual({ outcome: "failed" });
    }
  });

  it("is switched off by TEACHER_FALLBACK=off: in-band frames are `uncertain` and the teacher is not asked", async () => {
    const { body, events, teacherCalls } = await run(frames.inBand.png, { vars: { TEACHER_FALLBACK: "off", SHADOW_SAMPLE_RATE: "0" } });
    expect(teacherCalls).toBe(0);
    expect(body).toMatchObject({ decision: "uncertain", decidedBy: "student" });
    const event = scoredEvent(events);
    expect(event.inBand).toBe(true);
    expect(event.fallback).toBeUndefined();
  });
});

describe("shadow sampling", () => {
  it("scores every confident frame with the teacher after the response at SHADOW_SAMPLE_RATE=1 and records agreement", async () => {
    const frame = frames.confident[0];
    if (!frame) throw new Error("no confident frame");
    const teacherSays = TeacherResponseSchema.parse(await (await post(frame.png, "image/png", "/v1/liveness/teacher")).json());
    const { body, events, teacherCalls } = await run(frame.png, { vars: { SHADOW_SAMPLE_RATE: "1" } });
    expect(teacherCalls).toBe(1);
    expect(body).toMatchObject({ decidedBy: "student", score: frame.studentScore });
    expect(body.models.teacher).toBeUndefined();
    expect(scoredEvent(events).shadow).toEqual({
      outcome: "answered",
      model: teacherId,
      ms: expect.any(Number),
      agreed: teacherSays.decision === body.decision,
    });
  });

  it("samples the configured share of confident frames, and never in-band ones", async () => {
    const frame = frames.confident[0];
    if (!frame) throw new Error("no confident frame");
    const vars = { SHADOW_SAMPLE_RATE: "0.25" };
    const sampled = await run(frame.png, { vars, services: { random: () => 0.2 } });
    expect(sampled.teacherCalls).toBe(1);
    expect(scoredEvent(sampled.events).shadow?.outcome).toBe("answered");
    const skipped = await run(frame.png, { vars, services: { random: () => 0.3 } });
    expect(skipped.teacherCalls).toBe(0);
    expect(scoredEvent(skipped.events).shadow).toBeUndefined();
    const none = await run(frame.png, { vars: { SHADOW_SAMPLE_RATE: "0" }, services: { random: () => 0 } });
    expect(none.teacherCalls).toBe(0);
    const inBand = await run(frames.inBand.png, { vars: { SHADOW_SAMPLE_RATE: "1", TEACHER_FALLBACK: "off" } });
    expect(inBand.teacherCalls).toBe(0);
    expect(scoredEvent(inBand.events).shadow).toBeUndefined();
  });

  it("records a shadow timeout without touching the answer", async () => {
    const frame = frames.confident[0];
    if (!frame) throw new Error("no confident frame");
    const late = new TeacherClient(hangingTeacher, { timeoutMs: 50 });
    const { body, events } = await run(frame.png, { vars: { SHADOW_SAMPLE_RATE: "1" }, teacher: (input) => late.score(input) });
    expect(body).toMatchObject({ decidedBy: "student", score: frame.studentScore });
    expect(scoredEvent(events).shadow).toEqual({ outcome: "timeout" });
  });
});
