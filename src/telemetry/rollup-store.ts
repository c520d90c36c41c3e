import type { LivenessEvent } from "./liveness-event";
import { addEvent, emptyRegionRollup, type RollupDocument } from "./rollup";

export const ROLLUP_KEY_PREFIX = "swap/v1/";

/**
 * Seconds an isolate's rollup key lives after its latest write (each write sets it again): the key
 * of an isolate that has stopped (isolates are recycled, deployments replace them) expires a day
 * after its last request, so GET /v1/swap covers the isolates that counted a request in the last
 * 24 hours, and the keys it has to list stay bounded by the isolates of one day.
 */
export const ROLLUP_TTL_S = 24 * 60 * 60;

export interface IsolateRollupOptions {
  /** Smallest interval between two writes of this isolate's key, ms (KV: ~1 write/s per key). */
  readonly flushIntervalMs: number;
  /** Key prefix shared by all isolates of one deployment; the reader lists it. */
  readonly prefix?: string;
  /** This isolate's id (its key is prefix + id); random by default. */
  readonly isolateId?: string;
  /** Seconds the key lives after each write (KV's expirationTtl, at least 60); ROLLUP_TTL_S by default. */
  readonly ttlS?: number;
}

type Telemetry = RollupDocument["telemetry"];

/**
 * This isolate's SWAP rollups. Counting happens in memory; the whole document is written under a
 * key that only this isolate writes, so no write ever reads or overwrites another isolate's
 * counts. Writes are serialised (a write never overtakes an older one) and spaced at least
 * `flushIntervalMs` apart; `flush()` after the last request of a burst schedules the write that
 * carries it, and its promise (for waitUntil) settles once that write has been attempted. Every
 * write gives the key `ttlS` more seconds to live, so the keys of stopped isolates expire.
 */
export class IsolateRollupStore {
  readonly key: string;
  readonly #kv: KVNamespace;
  readonly #intervalMs: number;
  readonly #ttlS: number;
  readonly #doc: RollupDocument;
  #lastWriteAt = -Infinity;
  /** seq of the last document KV accepted, and of the last one handed to KV. */
  #writtenSeq = 0;
  #pendingSeq = 0;
  #writing: Promise<boolean> | undefined;
  #scheduled: Promise<void> | undefined;

  constructor(kv: KVNamespace, options: IsolateRollupOptions) {
    const isolate = options.isolateId ?? crypto.randomUUID();
    this.key = `${options.prefix ?? ROLLUP_KEY_PREFIX}${isolate}`;
    this.#kv = kv;
    this.#intervalMs = options.flushIntervalMs;
    this.#ttlS = options.ttlS ?? ROLLUP_TTL_S;
    const now = new Date().toISOString();
    this.#doc = {
      version: 1,
      isolate,
      startedAt: now,
      writtenAt: now,
      seq: 0,
      regions: {},
      telemetry: { analyticsWriteErrors: 0, kvWriteErrors: 0, sinkErrors: 0 },
    };
  }

  record(event: LivenessEvent, at = new Date()): void {
    const region = (this.#doc.regions[event.region] ??= emptyRegionRollup());
    addEvent(region, event, at);
    this.#doc.seq++;
  }

  /** Counts one of telemetry's own failures (it is written with the next flush). */
  countError(kind: keyof Telemetry): void {
    this.#doc.telemetry[kind]++;
    this.#doc.seq++;
  }

  /** A copy of the current (possibly not yet written) document. */
  snapshot(): RollupDocument {
    return structuredClone(this.#doc);
  }

  /** True when everything counted so far has been written. */
  get flushed(): boolean {
    return this.#writtenSeq === this.#doc.seq;
  }

  /**
   * Makes sure everything counted so far gets written: joins the write in flight that carries it
   * or the write already scheduled, or schedules one at the earliest time the interval allows.
   * Each scheduled flush is one write (so a waitUntil holding it is short). Never rejects.
   */
  flush(): Promise<void> {
    if (this.#doc.seq === this.#pendingSeq) return this.#writing?.then(() => undefined) ?? Promise.resolve();
    this.#scheduled ??= this.#writeWhenAllowed(1);
    return this.#scheduled;
  }

  async #writeWhenAllowed(retries: number): Promise<void> {
    // continue once the caller has stored this promise as #scheduled
    await Promise.resolve();
    try {
      if (this.#writing) await this.#writing;
      const waitMs = this.#lastWriteAt + this.#intervalMs - Date.now();
      if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
    } finally {
      // events from here on schedule the next write; this one carries everything before it
      this.#scheduled = undefined;
    }
    if (this.flushed) return;
    const ok = await this.#write();
    if (!ok && retries > 0 && !this.flushed) {
      this.#scheduled ??= this.#writeWhenAllowed(retries - 1);
      await this.#scheduled;
    }
  }

  #write(): Promise<boolean> {
    const seq = this.#doc.seq;
    this.#doc.writtenAt = new Date().toISOString();
    const body = JSON.stringify(this.#doc);
    this.#pendingSeq = seq;
    this.#lastWriteAt = Date.now();
    const writing = this.#kv.put(this.key, body, { expirationTtl: this.#ttlS }).then(
      () => {
        this.#writtenSeq = Math.max(this.#writtenSeq, seq);
        return true;
      },
      () => {
        this.#pendingSeq = this.#writtenSeq;
        this.countError("kvWriteErrors");
        return false;
      },
    );
    this.#writing = writing;
    void writing.finally(() => {
      if (this.#writing === writing) this.#writing = undefined;
    });
    return writing;
  }
}
