import { emptyRegionRollup, mergeRegionRollup, RollupDocumentSchema, type RegionRollup, type RollupDocument } from "./rollup";
import { ROLLUP_KEY_PREFIX } from "./rollup-store";

/** All isolates' rollups merged: region -> summed rollup. */
export interface MergedRollups {
  readonly regions: Map<string, RegionRollup>;
  /** Isolate documents merged. */
  readonly isolates: number;
  /** Keys under the prefix that could not be read or parsed (left out). */
  readonly unreadable: number;
  readonly telemetry: RollupDocument["telemetry"];
}

/** Adds up isolate documents. Each isolate's counts are cumulative and live under its own key, so the sum is exact. */
export function mergeRollups(documents: readonly RollupDocument[], unreadable = 0): MergedRollups {
  const regions = new Map<string, RegionRollup>();
  const telemetry = { analyticsWriteErrors: 0, kvWriteErrors: 0, sinkErrors: 0 };
  for (const doc of documents) {
    for (const [region, rollup] of Object.entries(doc.regions)) {
      let merged = regions.get(region);
      if (!merged) regions.set(region, (merged = emptyRegionRollup()));
      mergeRegionRollup(merged, rollup);
    }
    for (const k of Object.keys(telemetry) as (keyof typeof telemetry)[]) telemetry[k] += doc.telemetry[k];
  }
  return { regions, isolates: documents.length, unreadable, telemetry };
}

/** Reads every isolate's rollup document under `prefix` from KV. */
export class KvRollupReader {
  readonly #kv: KVNamespace;
  readonly #prefix: string;

  constructor(kv: KVNamespace, prefix = ROLLUP_KEY_PREFIX) {
    this.#kv = kv;
    this.#prefix = prefix;
  }

  async read(): Promise<MergedRollups> {
    const keys: string[] = [];
    let cursor: string | undefined;
    do {
      const page: KVNamespaceListResult<unknown, string> = await this.#kv.list({ prefix: this.#prefix, ...(cursor ? { cursor } : {}) });
      for (const key of page.keys) keys.push(key.name);
      cursor = page.list_complete ? undefined : page.cursor;
    } while (cursor);

    const documents: RollupDocument[] = [];
    let unreadable = 0;
    const batch = 50;
    for (let i = 0; i < keys.length; i += batch) {
      const values = await Promise.all(keys.slice(i, i + batch).map((key) => this.#kv.get(key, "json").catch(() => null)));
      for (const value of values) {
        const parsed = RollupDocumentSchema.safeParse(value);
        if (parsed.success) documents.push(parsed.data);
        else unreadable++;
      }
    }
    return mergeRollups(documents, unreadable);
  }
}
