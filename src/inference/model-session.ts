import type { ModelCard } from "../models/manifest-schema";
import { backendFailed, createOrtSession, ort } from "./ort-wasm";
import { SerialQueue } from "./serial-queue";

export type SessionState = "idle" | "loading" | "ready" | "failed";

/**
 * The model could not be loaded; callers answer 503 and ask the client to retry later. `permanent`:
 * this isolate will not load it however long one waits (onnxruntime's backend failed to start),
 * so no Retry-After is promised.
 */
export class ModelUnavailableError extends Error {
  override readonly name = "ModelUnavailableError";
  readonly permanent: boolean;
  constructor(
    readonly modelId: string,
    readonly retryAfterS: number,
    options?: { cause?: unknown; permanent?: boolean },
  ) {
    super(
      options?.permanent
        ? `model ${modelId} is not available in this isolate: onnxruntime's WebAssembly backend failed to start, and onnxruntime does not start it again`
        : `model ${modelId} is not available`,
      options,
    );
    this.permanent = options?.permanent ?? false;
  }
}

export interface ModelSessionOptions {
  /** Seconds to wait after a failed load before trying again; also sent as Retry-After. */
  readonly retryAfterS?: number;
  /** Creates the onnxruntime session from the model's bytes (createOrtSession: this isolate's onnxruntime). */
  readonly createSession?: (model: Uint8Array) => Promise<ort.InferenceSession>;
}

/**
 * One ONNX model in this isolate: the onnxruntime session is created on first use and then reused;
 * concurrent first callers share one creation; `run()` calls are serialised. A failed load is tried
 * again `retryAfterS` after it failed, unless onnxruntime's backend is what failed: onnxruntime
 * marks a backend whose start-up failed as aborted for the life of the isolate, so that failure is
 * permanent and never retried.
 */
export class ModelSession {
  readonly #loadBytes: () => Promise<Uint8Array>;
  readonly #retryAfterS: number;
  readonly #createSession: (model: Uint8Array) => Promise<ort.InferenceSession>;
  readonly #queue = new SerialQueue();
  #session: Promise<ort.InferenceSession> | undefined;
  #state: SessionState = "idle";
  #failedAt = 0;
  #lastError: unknown;
  #loadMs: number | undefined;
  #createMs: number | undefined;

  constructor(
    readonly card: ModelCard,
    loadBytes: () => Promise<Uint8Array>,
    options: ModelSessionOptions = {},
  ) {
    this.#loadBytes = loadBytes;
    this.#retryAfterS = options.retryAfterS ?? 5;
    this.#createSession = options.createSession ?? createOrtSession;
  }

  get state(): SessionState {
    return this.#state;
  }

  /** Milliseconds the last successful load took (bytes, checks and session creation). */
  get loadMs(): number | undefined {
    return this.#loadMs;
  }

  /** Of loadMs, the milliseconds onnxruntime spent creating the session (backend start-up included on an isolate's first model). */
  get createMs(): number | undefined {
    return this.#createMs;
  }

  get lastError(): unknown {
    return this.#lastError;
  }

  /** True once a load failed in a way that no later attempt in this isolate can overcome. */
  get permanentlyFailed(): boolean {
    return this.#state === "failed" && backendFailed(this.#lastError);
  }

  /** Resolves once the session exists; rejects with ModelUnavailableError when it cannot be created. */
  ready(): Promise<ort.InferenceSession> {
    if (this.#state === "failed") {
      if (this.permanentlyFailed) return Promise.reject(this.#unavailable(this.#retryAfterS));
      const waitS = this.#retryAfterS - (Date.now() - this.#failedAt) / 1000;
      if (waitS > 0) return Promise.reject(this.#unavailable(Math.ceil(waitS)));
      this.#session = undefined;
    }
    this.#session ??= this.#create();
    return this.#session;
  }

  async #create(): Promise<ort.InferenceSession> {
    this.#state = "loading";
    const started = performance.now();
    try {
      const bytes = await this.#loadBytes();
      const creating = performance.now();
      const session = await this.#createSession(bytes);
      this.#check(session);
      this.#state = "ready";
      this.#createMs = performance.now() - creating;
      this.#loadMs = performance.now() - started;
      return session;
    } catch (error) {
      this.#state = "failed";
      this.#failedAt = Date.now();
      this.#lastError = error;
      throw this.#unavailable(this.#retryAfterS);
    }
  }

  #unavailable(retryAfterS: number): ModelUnavailableError {
    return new ModelUnavailableError(this.card.id, retryAfterS, { cause: this.#lastError, permanent: this.permanentlyFailed });
  }

  #check(session: ort.InferenceSession): void {
    const { input, output } = this.card;
    if (!session.inputNames.includes(input.name) || !session.outputNames.includes(output.name)) {
      throw new Error(
        `model ${this.card.id} has inputs [${session.inputNames.join(", ")}] and outputs ` +
          `[${session.outputNames.join(", ")}]; the manifest names ${input.name} -> ${output.name}`,
      );
    }
  }

  /** Runs the model on one input tensor (shape from the manifest) and returns its logits. */
  async run(tensor: Float32Array): Promise<Float32Array> {
    const session = await this.ready();
    const { input, output } = this.card;
    return this.#queue.run(async () => {
      const feeds = { [input.name]: new ort.Tensor("float32", tensor, [...input.shape]) };
      const results = await session.run(feeds, [output.name]);
      const logits = results[output.name];
      if (!logits || logits.type !== "float32") throw new Error(`model ${this.card.id} returned no float32 ${output.name}`);
      const data = (logits.data as Float32Array).slice();
      logits.dispose();
      return data;
    });
  }
}
