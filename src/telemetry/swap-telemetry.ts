import { swapDataPoint } from "./analytics-engine";
import type { LivenessEvent, LivenessEventSink } from "./liveness-event";
import { KvRollupReader, type KvRollupReaderOptions, type MergedRollups, type RollupReadOptions } from "./rollup-reader";
import { IsolateRollupStore, ROLLUP_KEY_PREFIX } from "./rollup-store";

export interface SwapTelemetryOptions {
  /** Analytics Engine dataset for one data point per event: per scored frame or refused request (absent: no data points). */
  readonly analytics?: Pick<AnalyticsEngineDataset, "writeDataPoint">;
  /** KV namespace for the per-isolate rollups. */
  readonly kv: KVNamespace;
  readonly flushIntervalMs: number;
  readonly prefix?: string;
  readonly isolateId?: string;
  /** Seconds this isolate's rollup key lives after each write (ROLLUP_TTL_S by default). */
  readonly ttlS?: number;
  /** Bounds of one `read()` (KvRollupReader's defaults otherwise). */
  readonly reader?: Omit<KvRollupReaderOptions, "prefix">;
}

/**
 * The SWAP telemetry of one isolate: each event becomes one Analytics Engine data point and is
 * counted into this isolate's KV rollup; `read()` merges the rollups of all isolates. `record`
 * never rejects: failures are caught and counted in the rollup's `telemetry` block.
 */
export class SwapTelemetry {
  readonly store: IsolateRollupStore;
  readonly #analytics: SwapTelemetryOptions["analytics"];
  readonly #reader: KvRollupReader;

  constructor(options: SwapTelemetryOptions) {
    this.#analytics = options.analytics;
    const prefix = options.prefix ?? ROLLUP_KEY_PREFIX;
    this.store = new IsolateRollupStore(options.kv, {
      flushIntervalMs: options.flushIntervalMs,
      prefix,
      ...(options.isolateId ? { isolateId: options.isolateId } : {}),
      ...(options.ttlS === undefined ? {} : { ttlS: options.ttlS }),
    });
    this.#reader = new KvRollupReader(options.kv, { ...options.reader, prefix });
  }

  /** The sink for Services.recordLiveness; its promise (for waitUntil) settles once the rollup write that carries the event has been attempted. */
  readonly record: LivenessEventSink = (event: LivenessEvent): Promise<void> => {
    try {
      this.#analytics?.writeDataPoint(swapDataPoint(event));
    } catch {
      this.store.countError("analyticsWriteErrors");
    }
    try {
      this.store.record(event);
    } catch {
      this.store.countError("sinkErrors");
    }
    return this.store.flush();
  };

  read(options?: RollupReadOptions): Promise<MergedRollups> {
    return this.#reader.read(options);
  }
}
