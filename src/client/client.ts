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
import { RETRYABLE_STATUSES, backoffMs, parseRetryAfter, retryDelayMs } from "./retry";
import { SESSION_NONCE_STATE_HEADER, SessionResponseSchema, type SessionResponse } from "../schemas/session";

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
  /**
   * Limit for one attempt, milliseconds (default 10000): above 0 and at most 2147483647 (what a
   * timer can hold), or Infinity for no limit. Other values are refused by the constructor.
   */
  readonly timeoutMs?: number;
  /** Further attempts after a 429, a 503 or a network failure (default 2; 0 or more). */
  readonly retries?: number;
  /** First backoff step when the service sends no Retry-After, milliseconds (default 250; 0 or more). */
  readonly baseDelayMs?: number;
  /**
   * Longest wait between attempts, milliseconds (default 10000; at most 2147483647). Backoff is
   * capped at it; when the service's Retry-After is longer, the call fails at once with that
   * Retry-After on the error instead of retrying.
   */
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

/** The longest delay setTimeout can hold, milliseconds; a longer one fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Client of the fas-edge API. Uses only fetch, Blob, FormData and AbortController, so it runs in
 * browsers, React Native, Node 18+, Deno and Workers. Every answer is checked against the API's
 * zod schemas (the ones the service itself uses) and returned typed; failures are thrown as
 * FasEdgeError subclasses.
 */
export class FasEdgeClient {
  readonly baseUrl: string;
  private readonly options: Required<Omit<FasEdgeClientOptions, "apiKey" | "baseUrl">> & { apiKey?: string };

  /** Throws a FasEdgeError for a timing option out of range (see FasEdgeClientOptions). */
  constructor(options: FasEdgeClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    const fetcher = options.fetch ?? globalThis.fetch;
    const { timeoutMs = DEFAULTS.timeoutMs, retries = DEFAULTS.retries, baseDelayMs = DEFAULTS.baseDelayMs, maxDelayMs = DEFAULTS.maxDelayMs } = options;
    this.options = {
      timeoutMs: checkOption("timeoutMs", timeoutMs, timeoutMs === Number.POSITIVE_INFINITY || (timeoutMs > 0 && timeoutMs <= MAX_TIMER_MS), `milliseconds above 0 and at most ${MAX_TIMER_MS}, or Infinity for no limit`),
      retries: Math.floor(checkOption("retries", retries, Number.isFinite(retries) && retries >= 0, "a count, 0 or more")),
      baseDelayMs: checkOption("baseDelayMs", baseDelayMs, Number.isFinite(baseDelayMs) && baseDelayMs >= 0, "milliseconds, 0 or more"),
      maxDelayMs: checkOption("maxDelayMs", maxDelayMs, maxDelayMs >= 0 && maxDelayMs <= MAX_TIMER_MS, `milliseconds from 0 to ${MAX_TIMER_MS}`),
      fetch: (input, init) => fetcher(input, init),
      sleep: options.sleep ?? sleep,
      random: options.random ?? Math.random,
      ...(options.apiKey ? { apiKey: options.apiKey } : {}),
    };
  }

  /**
   * POST /v1/liveness with one frame: live, spoof or uncertain, with score, decider and timings.
   * An invalid box rejects (FasEdgeError) before anything is sent.
   */
  assess(frame: Frame, options: AssessOptions = {}): Promise<LivenessResponse> {
    return this.postFrames([{ frame, ...(options.box ? { box: options.box } : {}) }], undefined, options);
  }

  /**
   * POST /v1/liveness with several frames in one multipart request (one `frame` part each, their
   * boxes in `meta.boxes`): one decision for the burst (`aggregate` says how), every frame's
   * verdict in `frames`. At most the service's MAX_BURST_FRAMES frames (default 5). An empty burst
   * or an invalid box rejects (FasEdgeError) before anything is sent.
   */
  assessBurst(frames: readonly (Frame | FrameWithBox)[], options: CallOptions = {}): Promise<LivenessResponse> {
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

  /**
   * GET /healthz: `status` "ok" when the service can score frames. While it cannot, the service
   * answers 503 with the same body and `status` "unavailable": that is retried as any 503, and the
   * last such answer is returned rather than thrown.
   */
  health(options: CallOptions = {}): Promise<HealthResponse> {
    return this.request("/healthz", HealthResponseSchema, { method: "GET", answerStatuses: [503] }, options);
  }

  /**
   * @internal used by FasEdgeSession. Checks the frames first (an empty burst or an invalid box
   * rejects with nothing sent), then takes the session nonce to send, if any; gives it back when
   * the service answers that the request did not spend it.
   */
  async postFrames(frames: readonly FrameWithBox[], nonce: NonceLease | undefined, options: CallOptions): Promise<LivenessResponse> {
    if (frames.length === 0) throw new FasEdgeError("a burst needs at least one frame");
    for (const { box } of frames) {
      if (box !== undefined && !FaceBoxSchema.safeParse(box).success) {
        throw new FasEdgeError(`invalid box ${JSON.stringify(box)}: [x, y, width, height] with x, y >= 0 and width, height > 0`);
      }
    }
    const nonceValue = nonce?.take();
    const blobs = frames.map(({ frame }) => toBlob(frame));
    const meta: Record<string, unknown> = {};
    if (frames.length === 1) {
      if (frames[0]?.box) meta.box = frames[0].box;
    } else if (frames.some((f) => f.box)) {
      meta.boxes = frames.map((f) => f.box ?? null);
    }
    if (nonceValue !== undefined) meta.nonce = nonceValue;
    const body = (): FormData => {
      const form = new FormData();
      blobs.forEach((blob, i) => form.append("frame", blob, `frame-${i}.${blob.type === "image/png" ? "png" : "jpg"}`));
      if (Object.keys(meta).length > 0) form.append("meta", JSON.stringify(meta));
      return form;
    };
    if (nonceValue === undefined) return this.request("/v1/liveness", LivenessResponseSchema, { method: "POST", body }, options);
    // A nonce is single use. An answer that says the request did not spend it (a 503 while the
    // model loads, a 429, a refused frame header) leaves it usable, for a retry or for the next
    // call; anything else (no answer, or one from something other than the Worker) may have spent it.
    // A 429 without that header came from in front of the Worker, so the nonce was not read either.
    let unspent = false;
    try {
      return await this.request(
        "/v1/liveness",
        LivenessResponseSchema,
        {
          method: "POST",
          body,
          retryNetwork: false,
          canRetry: (response) => response.status === 429 || nonceUnspent(response),
          onResponse: (response) => (unspent = !response.ok && nonceUnspent(response)),
        },
        options,
      );
    } catch (error) {
      if (unspent && error instanceof FasEdgeProblemError) nonce?.release();
      throw error;
    }
  }

  private async request<S extends z.ZodType>(
    path: string,
    schema: S,
    init: {
      method: string;
      body?: () => FormData;
      retryStatuses?: readonly number[];
      /** Whether a response with one of retryStatuses may be retried (all, when absent). */
      canRetry?: (response: Response) => boolean;
      retryNetwork?: boolean;
      /** Sees every response, before it is retried or answered. */
      onResponse?: (response: Response) => void;
      /** Error statuses whose body, when it matches `schema`, is the answer once no retry is left. */
      answerStatuses?: readonly number[];
    },
    { signal }: CallOptions,
  ): Promise<z.infer<S>> {
    const { retries, baseDelayMs, maxDelayMs } = this.options;
    const retryStatuses = init.retryStatuses ?? RETRYABLE_STATUSES;
    for (let attempt = 1; ; attempt++) {
      throwIfAborted(signal);
      let response: Response;
      try {
        response = await this.attempt(path, init, signal);
        init.onResponse?.(response);
      } catch (error) {
        if (!(error instanceof FasEdgeNetworkError) || init.retryNetwork === false || attempt > retries) throw error;
        await this.wait(backoffMs(attempt, { baseDelayMs, maxDelayMs }, this.options.random), signal);
        continue;
      }
      if (response.ok) return parseBody(response, schema);
      const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"));
      // no retry when the service asks for a longer wait than maxDelayMs: it would refuse again
      const delayMs =
        retryStatuses.includes(response.status) && (init.canRetry?.(response) ?? true) && attempt <= retries
          ? retryDelayMs(attempt, retryAfterMs, { baseDelayMs, maxDelayMs }, this.options.random)
          : undefined;
      if (delayMs !== undefined) {
        await response.body?.cancel();
        await this.wait(delayMs, signal);
        continue;
      }
      if (init.answerStatuses?.includes(response.status)) {
        const answer = schema.safeParse(await response.clone().json().catch(() => undefined));
        if (answer.success) return answer.data;
      }
      const problem = await readProblem(response);
      throw new FasEdgeProblemError(problem, retryAfterMs === undefined ? undefined : retryAfterMs / 1000, attempt);
    }
  }

  private async attempt(path: string, init: { method: string; body?: () => FormData }, signal: AbortSignal | undefined): Promise<Response> {
    const controller = new AbortController();
    let timedOut = false;
    // timeoutMs is Infinity (no limit) or a delay a timer can hold (checked by the constructor)
    const timer = Number.isFinite(this.options.timeoutMs)
      ? setTimeout(() => {
          timedOut = true;
          controller.abort();
        }, this.options.timeoutMs)
      : undefined;
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
  readonly #lease: NonceLease = {
    take: () => {
      if (this.#used) throw new FasEdgeError("this session's nonce has been used; start a new session for the next check");
      this.#used = true;
      return this.nonce;
    },
    release: () => {
      this.#used = false;
    },
  };

  constructor(client: FasEdgeClient, session: SessionResponse) {
    this.client = client;
    this.id = session.sessionId;
    this.nonce = session.nonce;
    this.expiresAt = session.expiresAt;
  }

  /**
   * Whether this session's nonce is spent, or may be: true while a call with it is in flight and
   * after any call except one that the service answered with the nonce unspent.
   */
  get used(): boolean {
    return this.#used;
  }

  /** As FasEdgeClient.assess, with this session's nonce; the frame is checked before the nonce is spent. */
  assess(frame: Frame, options: AssessOptions = {}): Promise<LivenessResponse> {
    return this.client.postFrames([{ frame, ...(options.box ? { box: options.box } : {}) }], this.#lease, options);
  }

  /** As FasEdgeClient.assessBurst, with this session's nonce; the frames are checked before the nonce is spent. */
  assessBurst(frames: readonly (Frame | FrameWithBox)[], options: CallOptions = {}): Promise<LivenessResponse> {
    return this.client.postFrames(frames.map(asFrameWithBox), this.#lease, options);
  }
}

/** A session's nonce, taken for one request and given back if the service did not spend it. */
interface NonceLease {
  take(): string;
  release(): void;
}

/** Whether the Worker says that this answer's request spent no session nonce. */
function nonceUnspent(response: Response): boolean {
  return response.headers.get(SESSION_NONCE_STATE_HEADER) === "unspent";
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

function checkOption(name: string, value: number, valid: boolean, expected: string): number {
  if (!valid) throw new FasEdgeError(`invalid ${name} ${value}: expected ${expected}`);
  return value;
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
