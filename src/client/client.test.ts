import { describe, expect, it } from "vitest";
import { golden, goldenImage } from "../../test/helpers/golden";
import { jpegOf, png } from "../../test/helpers/images";
import { BASE, DEV_KEY, worker } from "../../test/helpers/worker";
import { LivenessResponseSchema } from "../schemas/liveness";
import {
  FasEdgeAbortError,
  FasEdgeClient,
  FasEdgeError,
  FasEdgeNetworkError,
  FasEdgeProblemError,
  FasEdgeResponseError,
  FasEdgeSession,
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
function recordingFetch(standIn?: (request: Request, n: number) => Response | Promise<Response | undefined> | undefined) {
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

  it("rejects an invalid box or an empty burst (never throwing synchronously) before sending anything", async () => {
    const { sent, fetch } = recordingFetch();
    const { client } = clientWith(fetch);
    const calls: [() => Promise<unknown>, RegExp][] = [
      [() => client.assess(png(64, 64), { box: [0, 0, 0, 10] }), /invalid box/],
      [() => client.assessBurst([{ frame: png(64, 64), box: [-1, 0, 10, 10] }]), /invalid box/],
      [() => client.assessBurst([]), /at least one frame/],
    ];
    for (const [call, message] of calls) {
      let pending: Promise<unknown> | undefined;
      expect(() => {
        pending = call();
      }).not.toThrow();
      await expect(pending).rejects.toThrow(message);
      await expect(pending).rejects.toBeInstanceOf(FasEdgeError);
    }
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

  it("takes timeoutMs: Infinity as no time limit, and refuses timing options a timer cannot hold", async () => {
    // an answer that takes a moment: a timer set to Infinity would fire at once and time it out
    const { sent, fetch } = recordingFetch(async () => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      return undefined;
    });
    const { client } = clientWith(fetch, { timeoutMs: Number.POSITIVE_INFINITY, retries: 0 });
    expect((await client.health()).status).toBe("ok");
    expect(sent).toHaveLength(1);

    const make = (options: Partial<FasEdgeClientOptions>) => () => new FasEdgeClient({ baseUrl: BASE, ...options });
    for (const timeoutMs of [2 ** 31, 0, -1, Number.NaN]) expect(make({ timeoutMs }), String(timeoutMs)).toThrow(FasEdgeError);
    expect(make({ timeoutMs: 2 ** 31 })).toThrow(/timeoutMs/);
    for (const maxDelayMs of [2 ** 31, Number.POSITIVE_INFINITY, -1, Number.NaN]) expect(make({ maxDelayMs }), String(maxDelayMs)).toThrow(/maxDelayMs/);
    for (const baseDelayMs of [Number.POSITIVE_INFINITY, -1, Number.NaN]) expect(make({ baseDelayMs }), String(baseDelayMs)).toThrow(/baseDelayMs/);
    for (const retries of [Number.NaN, Number.POSITIVE_INFINITY, -1]) expect(make({ retries }), String(retries)).toThrow(/retries/);
    expect(make({ timeoutMs: 2 ** 31 - 1, maxDelayMs: 2 ** 31 - 1, baseDelayMs: 0, retries: 0 })).not.toThrow();
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

// The Worker's 429 comes with the rate-limit period as Retry-After (60 s) once a budget is spent, and
// its 503 only while a model cannot be loaded or sessions cannot be signed; so that a test can choose
// the status and the Retry-After, these come from a stand-in for the first attempts, and later
// attempts reach the real Worker.
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

  it("does not retry when Retry-After is longer than maxDelayMs, and reports it on the error at once", async () => {
    const at = new Date(Date.now() + 60_000).toUTCString();
    for (const [status, retryAfter] of [[429, "3600"], [503, "60"], [503, at]] as const) {
      const { sent, fetch } = recordingFetch(() => problem(status, { "retry-after": retryAfter }));
      const { client, delays } = clientWith(fetch, { retries: 2, maxDelayMs: 10_000 });
      const error = await client.assess(png(64, 64)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FasEdgeProblemError);
      const p = error as FasEdgeProblemError;
      expect(p.status).toBe(status);
      expect(p.attempts).toBe(1);
      expect(p.retryAfterS).toBeGreaterThan(50);
      expect(sent).toHaveLength(1);
      expect(delays).toEqual([]);
    }
  });

  it("waits a Retry-After equal to maxDelayMs", async () => {
    const { sent, fetch } = recordingFetch((_, n) => (n === 1 ? problem(429, { "retry-after": "5" }) : undefined));
    const { client, delays } = clientWith(fetch, { retries: 1, maxDelayMs: 5000 });
    const result = await client.assess(await goldenImage("png"));
    expect(delays).toEqual([5000]);
    expect(sent).toHaveLength(2);
    expect(result.region).toBe("local");
  });

  it("returns /healthz's 503 body (status unavailable) from health(), after the retries it allows", async () => {
    const unavailable = async (retryAfter: string) => {
      const ready = (await (await worker.fetch(`${BASE}/healthz`)).json()) as Record<string, unknown>;
      const body: Record<string, unknown> = { ...ready, status: "unavailable", error: "the student could not be loaded" };
      delete body.manifest;
      return new Response(JSON.stringify(body), { status: 503, headers: { "content-type": "application/json", "retry-after": retryAfter } });
    };
    // a Retry-After beyond maxDelayMs: the first answer is the result
    const slow = recordingFetch(() => unavailable("30"));
    const first = clientWith(slow.fetch);
    const health = await first.client.health();
    expect(health.status).toBe("unavailable");
    expect(health.error).toBe("the student could not be loaded");
    expect(slow.sent).toHaveLength(1);
    expect(first.delays).toEqual([]);

    // retried while the service asks for a short wait, then ready
    const soon = recordingFetch((_, n) => (n === 1 ? unavailable("1") : undefined));
    const second = clientWith(soon.fetch);
    expect((await second.client.health()).status).toBe("ok");
    expect(second.delays).toEqual([1000]);

    // retries used up: the last 503 body
    const down = recordingFetch(() => unavailable("1"));
    const third = clientWith(down.fetch, { retries: 1 });
    expect((await third.client.health()).status).toBe("unavailable");
    expect(down.sent).toHaveLength(2);

    // a 503 that is not a health body is still an error
    const other = recordingFetch(() => problem(503, { "retry-after": "30" }));
    await expect(clientWith(other.fetch).client.health()).rejects.toBeInstanceOf(FasEdgeProblemError);
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
    let reused: Promise<unknown> | undefined;
    expect(() => {
      reused = session.assessBurst([png(64, 64)]);
    }).not.toThrow();
    await expect(reused).rejects.toThrow(/start a new session/);
    expect(sent).toHaveLength(2);
  });

  it("checks the frames before spending the session's nonce", async () => {
    const { sent, fetch } = recordingFetch();
    const { client } = clientWith(fetch);
    const session = await client.startSession();
    await expect(session.assess(png(64, 64), { box: [0, 0, 10, 0] })).rejects.toThrow(/invalid box/);
    await expect(session.assessBurst([])).rejects.toThrow(/at least one frame/);
    await expect(session.assessBurst([png(64, 64), { frame: png(64, 64), box: [0, -5, 10, 10] }])).rejects.toThrow(/invalid box/);
    expect(session.used).toBe(false);
    expect(sent).toHaveLength(1);
    // the nonce is still good for the one request it was made for
    const result = await session.assess(await goldenImage("png"), { box: [10, 10, 40, 40] });
    expect(LivenessResponseSchema.safeParse(result).success).toBe(true);
    expect(sent[1]?.meta).toEqual({ box: [10, 10, 40, 40], nonce: session.nonce });
    expect(session.used).toBe(true);
  });

  it("keeps the nonce when the Worker refuses a frame before redeeming it, and not once it was redeemed", async () => {
    const { sent, fetch } = recordingFetch();
    const { client } = clientWith(fetch);
    const session = await client.startSession();
    // a box that does not fit its frame is refused before the nonce is redeemed: the session is still good
    const refused = await session.assess(png(64, 64), { box: [40, 40, 30, 10] }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(FasEdgeProblemError);
    expect((refused as FasEdgeProblemError).slug).toBe("box-outside-image");
    expect(session.used).toBe(false);
    const result = await session.assess(await goldenImage("png"));
    expect(LivenessResponseSchema.safeParse(result).success).toBe(true);
    expect(sent.slice(1).map((s) => (s.meta as { nonce?: string } | undefined)?.nonce)).toEqual([session.nonce, session.nonce]);
    expect(session.used).toBe(true);

    // so does a frame whose data is cut short (decoded before the nonce is redeemed)
    const other = await client.startSession();
    const cut = await other.assess(jpegOf(64, 64).slice(0, 400)).catch((e: unknown) => e);
    expect((cut as FasEdgeProblemError).slug).toBe("undecodable-image");
    expect(other.used).toBe(false);
    await other.assess(await goldenImage("png"));
    expect(other.used).toBe(true);

    // a nonce the Worker redeemed (or refused as replayed) is not sent again
    const replayed = new FasEdgeSession(client, { sessionId: other.id, nonce: other.nonce });
    const refusal = await replayed.assess(await goldenImage("png")).catch((e: unknown) => e);
    expect((refusal as FasEdgeProblemError).slug).toBe("session-replayed");
    expect(replayed.used).toBe(true);
    await expect(replayed.assess(await goldenImage("png"))).rejects.toThrow(/start a new session/);
  });

  it("retries a session's request after a 503 that says the nonce is unspent, and keeps it after a network failure", async () => {
    const unspent = { "x-session-nonce-state": "unspent" };
    const loading = recordingFetch((request, n) => (new URL(request.url).pathname === "/v1/liveness" && n === 2 ? problem(503, unspent) : undefined));
    const session = await clientWith(loading.fetch).client.startSession();
    await session.assess(await goldenImage("png"));
    expect(loading.sent.map((s) => new URL(s.url).pathname)).toEqual(["/v1/sessions", "/v1/liveness", "/v1/liveness"]);
    expect(loading.sent.slice(1).map((s) => (s.meta as { nonce?: string }).nonce)).toEqual([session.nonce, session.nonce]);

    // with no retries left, the call fails, and the unspent nonce goes with the next call
    const down = recordingFetch((request) => (new URL(request.url).pathname === "/v1/liveness" ? problem(503, unspent) : undefined));
    const kept = await clientWith(down.fetch, { retries: 0 }).client.startSession();
    await expect(kept.assess(await goldenImage("png"))).rejects.toBeInstanceOf(FasEdgeProblemError);
    expect(kept.used).toBe(false);

    // no answer at all: the request may have reached the Worker, so the nonce counts as spent
    const lost = recordingFetch((request) => {
      if (new URL(request.url).pathname === "/v1/liveness") throw new TypeError("connection reset");
      return undefined;
    });
    const gone = await clientWith(lost.fetch).client.startSession();
    await expect(gone.assess(await goldenImage("png"))).rejects.toBeInstanceOf(FasEdgeNetworkError);
    expect(gone.used).toBe(true);
    expect(lost.sent.filter((s) => new URL(s.url).pathname === "/v1/liveness")).toHaveLength(1);
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
