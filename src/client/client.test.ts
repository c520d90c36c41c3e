import { describe, expect, it } from "vitest";
import { golden, goldenImage } from "../../test/helpers/golden";
import { png } from "../../test/helpers/images";
import { BASE, DEV_KEY, worker } from "../../test/helpers/worker";
import { LivenessResponseSchema } from "../schemas/liveness";
import {
  FasEdgeAbortError,
  FasEdgeClient,
  FasEdgeProblemError,
  FasEdgeResponseError,
  FasEdgeTimeoutError,
  parseRetryAfter,
  type FasEdgeClientOptions,
} from "./index";

/** Every request the client makes, with its parsed multipart body where it has one. */
interface Sent {
  readonly url: string;
  readonly method: string;
  readonly headers: Headers;
  readonly frames: number;
  readonly meta: unknown;
}

/**
 * A fetch that records what the client sends and hands the request to the real Worker, unless
 * `standIn` answers it first (for statuses the Worker cannot produce on demand).
 */
function recordingFetch(standIn?: (request: Request, n: number) => Response | Promise<Response> | undefined) {
  const sent: Sent[] = [];
  const fetcher = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    let frames = 0;
    let meta: unknown;
    if (request.method === "POST" && (request.headers.get("content-type") ?? "").startsWith("multipart/form-data")) {
      const form = await request.clone().formData();
      frames = form.getAll("frame").length;
      const m = form.get("meta");
      meta = typeof m === "string" ? JSON.parse(m) : undefined;
    }
    sent.push({ url: request.url, method: request.method, headers: request.headers, frames, meta });
    const answer = await standIn?.(request, sent.length);
    return answer ?? worker.fetch(request);
  };
  return { sent, fetch: fetcher as typeof fetch };
}

function clientWith(fetcher: typeof fetch, options: Partial<FasEdgeClientOptions> = {}) {
  const delays: number[] = [];
  const client = new FasEdgeClient({
    baseUrl: `${BASE}/`,
    apiKey: DEV_KEY,
    fetch: fetcher,
    // the first request starts onnxruntime, which takes long on a busy machine
    timeoutMs: 170_000,
    sleep: async (ms) => {
      delays.push(ms);
    },
    random: () => 1,
    ...options,
  });
  return { client, delays };
}

const problem = (status: number, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify({ type: "urn:fas-edge:problem:test", title: "Busy", status }), {
    status,
    headers: { "content-type": "application/problem+json", ...headers },
  });

describe("FasEdgeClient against the Worker", () => {
  it("posts a frame with its face box and returns the Worker's typed decision", async () => {
    const g = await golden();
    const { sent, fetch } = recordingFetch();
    const { client } = clientWith(fetch, { apiKey: DEV_KEY });
    const result = await client.assess(await goldenImage("png"), g.box ? { box: g.box } : {});

    expect(LivenessResponseSchema.parse(result)).toEqual(result);
    expect(["live", "spoof", "uncertain"]).toContain(result.decision);
    expect(result.region).toBe("local");
    expect(sent).toHaveLength(1);
    expect(sent[0]?.url).toBe(`${BASE}/v1/liveness`);
    expect(sent[0]?.frames).toBe(1);
    expect(sent[0]?.meta).toEqual(g.box ? { box: g.box } : undefined);
    expect(sent[0]?.headers.get("authorization")).toBe(`Bearer ${DEV_KEY}`);
  });

  it("accepts a Blob, scoring the same frame the same way as its bytes", async () => {
    const bytes = await goldenImage("jpeg");
    const { fetch } = recordingFetch();
    const { client } = clientWith(fetch);
    const fromBytes = await client.assess(bytes);
    const fromBlob = await client.assess(new Blob([bytes.slice()], { type: "image/jpeg" }));
    expect(fromBlob.score).toBe(fromBytes.score);
    expect(fromBlob.decision).toBe(fromBytes.decision);
  });

  it("throws the Worker's problem details as a typed error, without retrying a 4xx", async () => {
    const { sent, fetch } = recordingFetch();
    const { client, delays } = clientWith(fetch);
    const error = await client.assess(png(8, 8)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FasEdgeProblemError);
    const p = error as FasEdgeProblemError;
    expect(p.status).toBe(422);
    expect(p.slug).toBe("image-too-small");
    expect(p.problem.instance).toBe("/v1/liveness");
    expect(p.problem.requestId).toEqual(expect.any(String));
    expect(p.attempts).toBe(1);
    expect(sent).toHaveLength(1);
    expect(delays).toEqual([]);
  });

  it("refuses an invalid box before sending anything", async () => {
    const { sent, fetch } = recordingFetch();
    const { client } = clientWith(fetch);
    expect(() => client.assess(png(64, 64), { box: [0, 0, 0, 10] })).toThrow(/invalid box/);
    expect(sent).toHaveLength(0);
  });

  it("sends a burst as several frame parts with their boxes in meta, and gets every frame's verdict", async () => {
    const g = await golden();
    const image = await goldenImage("png");
    const { sent, fetch } = recordingFetch();
    const { client } = clientWith(fetch);
    const box = g.box ?? [0, 0, 32, 32];
    const result = await client.assessBurst([{ frame: image, box }, { frame: image }, image]);
    expect(sent[0]?.frames).toBe(3);
    expect(sent[0]?.meta).toEqual({ boxes: [box, null, null] });
    expect(LivenessResponseSchema.safeParse(result).success).toBe(true);
    expect(result.frames).toHaveLength(3);
    expect(result.aggregate.frames).toBe(3);
  });

  it("reads /v1/swap, /v1/models and /healthz through their schemas", async () => {
    const { fetch } = recordingFetch();
    const { client } = clientWith(fetch);
    await client.assess(await goldenImage("png"));
    const swap = await client.swap({ region: "local" });
    expect(swap.region).toBe("local");
    expect(swap.regions.every((r) => r.region === "local")).toBe(true);
    const models = await client.models();
    expect(models.models.map((m) => m.role)).toContain("student");
    expect((await client.health()).status).toBe("ok");
  });

  it("rejects a 2xx answer that does not match the schema (here /v1/models' body where /v1/swap's belongs)", async () => {
    const { fetch } = recordingFetch((request) =>
      new URL(request.url).pathname === "/v1/swap" ? worker.fetch(`${BASE}/v1/models`) : undefined,
    );
    const { client } = clientWith(fetch);
    const error = await client.swap().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FasEdgeResponseError);
    expect((error as FasEdgeResponseError).issues.length).toBeGreaterThan(0);
  });

  it("throws the Worker's 401 for a wrong key as a typed error, without retrying", async () => {
    const { sent, fetch } = recordingFetch();
    const { client } = clientWith(fetch, { apiKey: "fas_not_a_key_this_service_issued" });
    const error = await client.startSession().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FasEdgeProblemError);
    expect((error as FasEdgeProblemError).status).toBe(401);
    expect((error as FasEdgeProblemError).slug).toBe("invalid-api-key");
    expect(sent).toHaveLength(1);
  });
});

// The Worker has no rate limit yet (429) and answers 503 only while a model cannot be loaded, so
// these statuses come from a stand-in for the first attempts; later attempts reach the real Worker.
describe("FasEdgeClient retries (429/503 from a stand-in, then the Worker)", () => {
  it("waits as long as Retry-After says, in seconds or as an HTTP date, then succeeds", async () => {
    const at = new Date(Date.now() + 60_000).toUTCString();
    const { sent, fetch } = recordingFetch((_, n) =>
      n === 1 ? problem(429, { "retry-after": "2" }) : n === 2 ? problem(503, { "retry-after": at }) : undefined,
    );
    const { client, delays } = clientWith(fetch, { maxDelayMs: 120_000 });
    const result = await client.assess(await goldenImage("png"));
    expect(sent).toHaveLength(3);
    expect(delays[0]).toBe(2000);
    expect(delays[1]).toBeGreaterThan(50_000);
    expect(delays[1]).toBeLessThanOrEqual(60_000);
    expect(result.region).toBe("local");
  });

  it("backs off exponentially without Retry-After, capped at maxDelayMs, and gives up after `retries`", async () => {
    const { sent, fetch } = recordingFetch(() => problem(503));
    const { client, delays } = clientWith(fetch, { retries: 4, baseDelayMs: 100, maxDelayMs: 500 });
    const error = await client.assess(await goldenImage("png")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FasEdgeProblemError);
    expect((error as FasEdgeProblemError).status).toBe(503);
    expect((error as FasEdgeProblemError).attempts).toBe(5);
    expect(sent).toHaveLength(5);
    expect(delays).toEqual([100, 200, 400, 500]);
  });

  it("caps a long Retry-After at maxDelayMs and reports it on the final error", async () => {
    const { fetch } = recordingFetch(() => problem(429, { "retry-after": "3600" }));
    const { client, delays } = clientWith(fetch, { retries: 1, maxDelayMs: 5000 });
    const error = (await client.assess(png(64, 64)).catch((e: unknown) => e)) as FasEdgeProblemError;
    expect(delays).toEqual([5000]);
    expect(error.retryAfterS).toBe(3600);
  });

  it("retries a network failure, then reaches the Worker", async () => {
    const { sent, fetch } = recordingFetch((_, n) => {
      if (n === 1) throw new TypeError("connection reset");
      return undefined;
    });
    const { client, delays } = clientWith(fetch, { baseDelayMs: 300 });
    const result = await client.assess(await goldenImage("png"));
    expect(sent).toHaveLength(2);
    expect(delays).toEqual([300]);
    expect(result.requestId).toEqual(expect.any(String));
  });

  it("times out an attempt that gets no answer", async () => {
    const hang = (_: RequestInfo | URL, init?: RequestInit) =>
      new Promise<Response>((_, reject) => init?.signal?.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError"))));
    const { client } = clientWith(hang as typeof fetch, { timeoutMs: 20, retries: 0 });
    const error = await client.assess(png(64, 64)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FasEdgeTimeoutError);
    expect((error as FasEdgeTimeoutError).timeoutMs).toBe(20);
  });

  it("stops waiting between attempts when the caller aborts", async () => {
    const controller = new AbortController();
    const { fetch } = recordingFetch(() => problem(503, { "retry-after": "1" }));
    const client = new FasEdgeClient({
      baseUrl: BASE,
      fetch,
      sleep: (_, signal) =>
        new Promise((_, reject) => {
          signal?.addEventListener("abort", () => reject(new Error("aborted")));
          controller.abort();
        }),
    });
    const error = await client.assess(png(64, 64), { signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FasEdgeAbortError);
  });
});

describe("sessions", () => {
  it("sends the session's nonce with one request and refuses to reuse it", async () => {
    const { sent, fetch } = recordingFetch();
    const { client } = clientWith(fetch);
    const session = await client.startSession();
    expect(session.id.length).toBeGreaterThan(0);
    expect(Date.parse(session.expiresAt ?? "")).toBeGreaterThan(Date.now());
    const result = await session.assess(await goldenImage("png"), { box: [10, 10, 40, 40] });
    expect(LivenessResponseSchema.safeParse(result).success).toBe(true);
    expect(sent.map((s) => s.meta)).toEqual([undefined, { box: [10, 10, 40, 40], nonce: session.nonce }]);
    expect(session.used).toBe(true);
    expect(() => session.assessBurst([png(64, 64)])).toThrow(/start a new session/);
    expect(sent).toHaveLength(2);
  });

  it("does not retry a session's request after a 503 (the nonce may be spent) but does after a 429", async () => {
    const { sent, fetch } = recordingFetch((request, n) =>
      new URL(request.url).pathname === "/v1/liveness" && n === 2 ? problem(429, { "retry-after": "1" }) : undefined,
    );
    const { client } = clientWith(fetch);
    const session = await client.startSession();
    await session.assess(await goldenImage("png"));
    expect(sent.map((s) => new URL(s.url).pathname)).toEqual(["/v1/sessions", "/v1/liveness", "/v1/liveness"]);

    const busy = recordingFetch((request) => (new URL(request.url).pathname === "/v1/liveness" ? problem(503) : undefined));
    const second = await clientWith(busy.fetch).client.startSession();
    await expect(second.assess(await goldenImage("png"))).rejects.toBeInstanceOf(FasEdgeProblemError);
    expect(busy.sent.filter((s) => new URL(s.url).pathname === "/v1/liveness")).toHaveLength(1);
  });
});

describe("parseRetryAfter", () => {
  it("reads delta-seconds and HTTP dates, and ignores anything else", () => {
    const now = Date.parse("2026-11-29T12:00:00Z");
    expect(parseRetryAfter("7", now)).toBe(7000);
    expect(parseRetryAfter("Sun, 29 Nov 2026 12:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfter("Sun, 29 Nov 2026 11:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});
