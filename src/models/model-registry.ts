import { ModelSession, ModelUnavailableError, type ModelSessionOptions } from "../inference/model-session";
import type { ModelStore } from "./asset-model-store";
import { publicModelId, type Manifest } from "./manifest-schema";

/** Options of every model's session; `retryAfterS` also applies to a manifest that cannot be read. */
export type ModelRegistryOptions = ModelSessionOptions;

export interface ModelStatus {
  readonly id: string;
  readonly publicId: string;
  readonly role: string;
  readonly dtype: string;
  readonly state: ModelSession["state"];
  readonly loadMs?: number;
  readonly createMs?: number;
}

/**
 * The models of one isolate: the manifest is read once, each model's session is created once and
 * shared by every request.
 */
export class ModelRegistry {
  readonly #store: ModelStore;
  readonly #options: ModelSessionOptions;
  readonly #retryAfterS: number;
  readonly #sessions = new Map<string, ModelSession>();
  #manifest: Promise<Manifest> | undefined;
  #manifestError: unknown;

  constructor(store: ModelStore, options: ModelRegistryOptions = {}) {
    this.#store = store;
    this.#options = options;
    this.#retryAfterS = options.retryAfterS ?? 5;
  }

  /** The validated manifest; rejects with ModelUnavailableError (a later call retries). */
  manifest(): Promise<Manifest> {
    this.#manifest ??= this.#store.manifest().catch((error: unknown) => {
      this.#manifest = undefined;
      this.#manifestError = error;
      throw new ModelUnavailableError("manifest", this.#retryAfterS, { cause: error });
    });
    return this.#manifest;
  }

  /** The session for one model id of the manifest (not yet loaded: `ready()` or `run()` loads it). */
  async session(id: string): Promise<ModelSession> {
    const manifest = await this.manifest();
    let session = this.#sessions.get(id);
    if (!session) {
      const card = manifest.models[id];
      if (!card) throw new ModelUnavailableError(id, this.#retryAfterS, { cause: new Error(`no model "${id}" in the manifest`) });
      session = new ModelSession(card, () => this.#store.modelBytes(card), { ...this.#options, retryAfterS: this.#retryAfterS });
      this.#sessions.set(id, session);
    }
    return session;
  }

  /** The model the edge runs on every frame (`serving.student`). */
  async student(): Promise<ModelSession> {
    return this.session((await this.manifest()).serving.student);
  }

  /** States of the sessions created so far, for health reports. */
  statuses(): ModelStatus[] {
    return [...this.#sessions.values()].map((s) => ({
      id: s.card.id,
      publicId: publicModelId(s.card),
      role: s.card.role,
      dtype: s.card.dtype,
      state: s.state,
      ...(s.loadMs === undefined ? {} : { loadMs: round2(s.loadMs) }),
      ...(s.createMs === undefined ? {} : { createMs: round2(s.createMs) }),
    }));
  }

  get manifestError(): unknown {
    return this.#manifestError;
  }
}

const round2 = (v: number): number => Math.round(v * 100) / 100;
