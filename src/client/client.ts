import type { z } from "zod";
import { HealthResponseSchema, type HealthResponse } from "../schemas/health";
import { FaceBoxSchema, LivenessResponseSchema, type FaceBoxInput, type LivenessResponse } from "../schemas/liveness";
import { ModelCardsResponseSchema, type ModelCardsResponse } from "../schemas/models";
import { PROBLEM_MEDIA_TYPE, ProblemSchema, type Problem } from "../schemas/problem";
import { SwapResponseSchema, type SwapResponse } from "../schemas/swap";
import {
  FasEdgeAbortError,
  FasEdgeError,
  FasEdgeNetworkError,
  FasEdgeProblemError,
  FasEdgeResponseError,
  FasEdgeTimeoutError,
} from "./errors";
import { RETRYABLE_STATUSES, parseRetryAfter, retryDelayMs } from "./retry";
import { SessionResponseSchema, type SessionResponse } from "../schemas/session";

/** An encoded JPEG or PNG frame (or face crop), as a Blob/File or its bytes. */
export type Frame = Blob | ArrayBuffer | ArrayBufferView;

/** A frame with where the face is in it; without `box` the frame is taken to be a face crop. */
export interface FrameWithBox {
  readonly frame: Frame;
  readonly box?: FaceBoxInput;
}

export interface FasEdgeClientOptions {
  /** Where the service is, e.g. "https://fas-edge.example.workers.dev"; "" for same-origin requests in a browser. */
  readonly baseUrl: string;
  /** Sent as `Authorization: Bearer <apiKey>` (for services that require keys). */
  readonly apiKey?: string;
  /** Limit for one attempt, milliseconds (default 10000). */
  readonly timeoutMs?: number;
  /** Further attempts after a 429, a 503 or a network failure (default 2). */
  readonly retries?: number;
  /** First backoff step when the service sends no Retry-After, milliseconds (default 250). */
  readonly baseDelayMs?: number;
  /** Longest wait between attempts, Retry-After included, milliseconds (default 10000). */
  readonly maxDelayMs?: number;
  /** fetch to use (default: the global one). */
  readonly fetch?: typeof fetch;
  /** How to wait between attempts (default: a timer that the request's signal cancels). */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Source of jitter in [0, 1) (default Math.random). */
  readonly random?: () => number;
}

export interface CallOptions {
  /** Cancels the call, waits between retries included. */
  readonly signal?: AbortSignal;
}

export interface AssessOptions extends CallOptions {
  /** Where the face is in the frame, [x, y, width, height] in pixels; omit for a face crop. */
  readonly box?: FaceBoxInput;
}

const DEFAULTS = { timeoutMs: 10_000, retries: 2, baseDelayMs: 250, maxDelayMs: 10_000 } as const;

/**
 * Client of the fas-edge API. Uses only fetch, Blob, FormData and AbortController, so it runs in
 * browsers, React Native, Node 18+, Deno and Workers. Every answer is checked against the API's
 * zod schemas (the ones the service itself uses) and returned typed; failures are thrown as
 * FasEdgeError subclasses.
 */
export class FasEdgeClient {
  readonly baseUrl: string;
  private readonly options: Required<Omit<FasEdgeClientOptions, "apiKey" | "baseUrl">> & { apiKey?: string };

  constructor(options: FasEdgeClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    const fetcher = options.fetch ?? globalThis.fetch;
    this.options = {
      timeoutMs: options.timeoutMs ?? DEFAULTS.timeoutMs,
      retries: Math.max(0, Math.floor(options.retries ?? DEFAULTS.retries)),
      baseDelayMs: options.baseDelayMs ?? DEFAULTS.baseDelayMs,
      maxDelayMs: options.maxDelayMs ?? DEFAULTS.maxDelayMs,
      fetch: (input, init) => fetcher(input, init),
      sleep: options.sleep ?? sleep,
      random: options.random ?? Math.random,
      ...(options.apiKey ? { apiKey: options.apiKey } : {}),
    };
  }

  /** POST /v1/liveness with one frame: live, spoof or uncertain, with score, decider and timings. */
  assess(frame: Frame, options: AssessOptions = {}): Promise<LivenessResponse> {
    return this.postFrames([{ frame, ...(options.box ? { box: options.box } : {}) }], undefined, options);
  }

  /**
   * POST /v1/liveness with several frames in one multipart request (one `frame` part each, their
   * boxes in `meta.boxes`): one decision for the burst (`aggregate` says how), every frame's
   * verdict in `frames`. At most the service's MAX_BURST_FRAMES frames (default 5).
   */
  assessBurst(frames: readonly (Frame | FrameWithBox)[], options: CallOptions = {}): Promise<LivenessResponse> {
    if (frames.length === 0) throw new FasEdgeError("a burst needs at least one frame");
    return this.postFrames(frames.map(asFrameWithBox), undefined, options);
  }

  /**
   * POST /v1/sessions: a session whose single-use nonce goes with the next liveness request made
   * through it, so the service can tell a fresh capture from a replayed request.
   */
  async startSession(options: CallOptions = {}): Promise<FasEdgeSession> {
    const session = await this.request("/v1/sessions", SessionResponseSchema, { method: "POST" }, options);
    return new FasEdgeSession(this, session);
  }

  /** GET /v1/swap: SWAP figures per edge region (optionally one region). */
  swap(options: CallOptions & { readonly region?: string } = {}): Promise<SwapResponse> {
    const query = options.region ? `?region=${encodeURIComponent(options.region)}` : "";
    return this.request(`/v1/swap${query}`, SwapResponseSchema, { method: "GET" }, options);
  }

  /** GET /v1/models: the model cards of the serving models. */
  models(options: CallOptions = {}): Promise<ModelCardsResponse> {
    return this.request("/v1/models", ModelCardsResponseSchema, { method: "GET" }, options);
  }

  /** GET /healthz: 200 when the service can score frames (503, retried, while it loads). */
  health(options: CallOptions = {}): Promise<HealthResponse> {
    return this.request("/healthz", HealthResponseSchema, { method: "GET" }, options);
  }

  /** @internal used by FasEdgeSession */
  postFrames(frames: readonly FrameWithBox[], nonce: string | undefined, options: CallOptions): Promise<LivenessResponse> {
    for (const { box } of frames) {
      if (box !== undefined && !FaceBoxSchema.safeParse(box).success) {
        throw new FasEdgeError(`invalid box ${JSON.stringify(box)}: [x, y, width, height] with x, y >= 0 and width, height > 0`);
      }
    }
    const blobs = frames.map(({ frame }) => toBlob(frame));
    const meta: Record<string, unknown> = {};
    if (frames.length === 1) {
      if (frames[0]?.box) meta.box = frames[0].box;
    } else if (frames.some((f) => f.box)) {
      meta.boxes = frames.map((f) => f.box ?? null);
    }
    if (nonce !== undefined) meta.nonce = nonce;
    const body = (): FormData => {
      const form = new FormData();
      blobs.forEach((blob, i) => form.append("frame", blob, `frame-${i}.${blob.type === "image/png" ? "png" : "jpg"}`));
      if (Object.keys(meta).length > 0) form.append("meta", JSON.stringify(meta));
      return form;
    };
    // a nonce is single use: once the service may have seen it, only a refusal that came before the
    // nonce was read (429, from the rate limits) can be retried
    const retry = nonce === undefined ? {} : { retryStatuses: [429], retryNetwork: false };
    return this.request("/v1/liveness", LivenessResponseSchema, { method: "POST", body, ...retry }, options);
  }

  private async request<S extends z.ZodType>(
    path: string,
    schema: S,
    init: { method: string; body?: () => FormData; retryStatuses?: readonly number[]; retryNetwork?: boolean },
    { signal }: CallOptions,
  ): Promise<z.infer<S>> {
    const { retries, baseDelayMs, maxDelayMs } = this.options;
    const retryStatuses = init.retryStatuses ?? RETRYABLE_STATUSES;
    for (let attempt = 1; ; attempt++) {
      throwIfAborted(signal);
      let response: Response;
      try {
        response = await this.attempt(path, init, signal);
      } catch (error) {
        if (!(error instanceof FasEdgeNetworkError) || init.retryNetwork === false || attempt > retries) throw error;
        await this.wait(retryDelayMs(attempt, undefined, { baseDelayMs, maxDelayMs }, this.options.random), signal);
        continue;
      }
      if (response.ok) return parseBody(response, schema);
      const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"));
      if (retryStatuses.includes(response.status) && attempt <= retries) {
        await response.body?.cancel();
        await this.wait(retryDelayMs(attempt, retryAfterMs, { baseDelayMs, maxDelayMs }, this.options.random), signal);
        continue;
      }
      const problem = await readProblem(response);
      throw new FasEdgeProblemError(problem, retryAfterMs === undefined ? undefined : retryAfterMs / 1000, attempt);
    }
  }

  private async attempt(path: string, init: { method: string; body?: () => FormData }, signal: AbortSignal | undefined): Promise<Response> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.options.timeoutMs);
    const onAbort = () => controller.abort();
    signal?.addEventListener("abort", onAbort);
    const headers: Record<string, string> = { accept: `application/json, ${PROBLEM_MEDIA_TYPE}` };
    if (this.options.apiKey) headers.authorization = `Bearer ${this.options.apiKey}`;
    try {
      const response = await this.options.fetch(`${this.baseUrl}${path}`, {
        method: init.method,
        headers,
        ...(init.body ? { body: init.body() } : {}),
        signal: controller.signal,
      });
      // the body is read under the same deadline
      const body = await response.arrayBuffer();
      const nullBody = response.status === 204 || response.status === 205 || response.status === 304;
      return new Response(nullBody ? null : body, { status: response.status, statusText: response.statusText, headers: response.headers });
    } catch (error) {
      if (timedOut) throw new FasEdgeTimeoutError(this.options.timeoutMs);
      if (signal?.aborted) throw new FasEdgeAbortError("the request was cancelled");
      throw new FasEdgeNetworkError(error instanceof Error ? error.message : String(error), { cause: error });
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
  }

  private async wait(ms: number, signal: AbortSignal | undefined): Promise<void> {
    try {
      await this.options.sleep(ms, signal);
    } catch (error) {
      if (signal?.aborted) throw new FasEdgeAbortError("the request was cancelled");
      throw error;
    }
  }
}

/**
 * A liveness session: its single-use nonce goes with one liveness request (one frame or one
 * burst, as `meta.nonce`); the service refuses it afterwards, so start a session per check.
 */
export class FasEdgeSession {
  readonly id: string;
  readonly nonce: string;
  readonly expiresAt: string | undefined;
  private readonly client: FasEdgeClient;
  #used = false;

  constructor(client: FasEdgeClient, session: SessionResponse) {
    this.client = client;
    this.id = session.sessionId;
    this.nonce = session.nonce;
    this.expiresAt = session.expiresAt;
  }

  /** Whether this session's nonce has been sent. */
  get used(): boolean {
    return this.#used;
  }

  assess(frame: Frame, options: AssessOptions = {}): Promise<LivenessResponse> {
    return this.client.postFrames([{ frame, ...(options.box ? { box: options.box } : {}) }], this.#take(), options);
  }

  assessBurst(frames: readonly (Frame | FrameWithBox)[], options: CallOptions = {}): Promise<LivenessResponse> {
    if (frames.length === 0) throw new FasEdgeError("a burst needs at least one frame");
    return this.client.postFrames(frames.map(asFrameWithBox), this.#take(), options);
  }

  #take(): string {
    if (this.#used) throw new FasEdgeError("this session's nonce has been used; start a new session for the next check");
    this.#used = true;
    return this.nonce;
  }
}

function asFrameWithBox(f: Frame | FrameWithBox): FrameWithBox {
  return isFrame(f) ? { frame: f } : f;
}

function isFrame(f: Frame | FrameWithBox): f is Frame {
  return (typeof Blob !== "undefined" && f instanceof Blob) || f instanceof ArrayBuffer || ArrayBuffer.isView(f);
}

/** The frame as a Blob typed from its leading bytes (the service reads the format from the bytes too). */
function toBlob(frame: Frame): Blob {
  if (frame instanceof Blob) return frame;
  const bytes = frame instanceof ArrayBuffer ? new Uint8Array(frame) : new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength);
  const type = bytes[0] === 0x89 && bytes[1] === 0x50 ? "image/png" : bytes[0] === 0xff && bytes[1] === 0xd8 ? "image/jpeg" : "application/octet-stream";
  return new Blob([bytes.slice()], { type });
}

async function parseBody<S extends z.ZodType>(response: Response, schema: S): Promise<z.infer<S>> {
  let json: unknown;
  try {
    json = await response.json();
  } catch {
    throw new FasEdgeResponseError(response.status, ["the body is not JSON"]);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new FasEdgeResponseError(
      response.status,
      parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`),
    );
  }
  return parsed.data;
}

async function readProblem(response: Response): Promise<Problem> {
  const fallback: Problem = { type: "about:blank", title: response.statusText || `HTTP ${response.status}`, status: response.status };
  const text = await response.text().catch(() => "");
  try {
    const parsed = ProblemSchema.safeParse(JSON.parse(text));
    if (parsed.success) return { ...parsed.data, status: response.status };
  } catch {
    // not JSON: keep the synthesised problem
  }
  return text && !text.trimStart().startsWith("<") ? { ...fallback, detail: text.slice(0, 500) } : fallback;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new FasEdgeAbortError("the request was cancelled");
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new FasEdgeAbortError("the request was cancelled"));
    const onAbort = () => {
      clearTimeout(timer);
      reject(new FasEdgeAbortError("the request was cancelled"));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
