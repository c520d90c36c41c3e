import { emptyRegionRollup, mergeRegionRollup, RollupDocumentSchema, type RegionRollup, type RollupDocument } from "./rollup";
import { ROLLUP_KEY_PREFIX } from "./rollup-store";

/** All isolates' rollups merged: region -> summed rollup. */
export interface MergedRollups {
  readonly regions: Map<string, RegionRollup>;
  /** Isolate documents merged. */
  readonly isolates: number;
  /** Keys under the prefix that could not be read or parsed (left out). */
  readonly unreadable: number;
  /**
   * Keys under the prefix left out because one read may take only so many (the least recently
   * written ones); when the listing itself was cut short, more keys were not even listed.
   */
  readonly notRead: number;
  /** False when keys were left out for that limit: the figures are then partial. */
  readonly complete: boolean;
  readonly telemetry: RollupDocument["telemetry"];
}

/** Adds up isolate documents. Each isolate's counts are cumulative and live under its own key, so the sum is exact. */
export function mergeRollups(documents: readonly RollupDocument[], left: { unreadable?: number; notRead?: number; complete?: boolean } = {}): MergedRollups {
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
  return {
    regions,
    isolates: documents.length,
    unreadable: left.unreadable ?? 0,
    notRead: left.notRead ?? 0,
    complete: left.complete ?? true,
    telemetry,
  };
}

export interface KvRollupReaderOptions {
  /** Key prefix the isolates write under. */
  readonly prefix?: string;
  /** Most documents one read fetches and merges (memory and CPU of one GET /v1/swap). */
  readonly maxDocuments?: number;
  /** Most list calls one read makes (each lists up to 1,000 keys). */
  readonly maxListPages?: number;
}

/** KV's most keys per bulk get. */
const BULK_GET_KEYS = 100;

/** Most keys without an expiration that one read deletes. */
const LEGACY_DELETES_PER_READ = 100;

export interface RollupReadOptions {
  /**
   * Keeps the deletion of keys without an expiration alive after the read returns (the request's
   * ExecutionContext.waitUntil); without it they are left in place.
   */
  readonly waitUntil?: (work: Promise<unknown>) => void;
}

/**
 * Reads the isolates' rollup documents under a prefix from KV, with bounded work: at most
 * `maxListPages` list calls and `maxDocuments` documents, fetched with bulk gets of 100 keys (so by
 * default 5 + 5 KV operations of the 1,000 an invocation may make). When there are more keys, the
 * most recently written are read (each write moves a key's expiration forward) and the result says
 * how many were left out.
 *
 * Every rollup is written with an expiration (ROLLUP_TTL_S). A listed key without one was written
 * by a release from before rollups expired: its counts are from a time the figures no longer cover
 * and it would never go away, so it is not read, and up to 100 such keys are deleted per read.
 */
export class KvRollupReader {
  readonly #kv: KVNamespace;
  readonly #prefix: string;
  readonly #maxDocuments: number;
  readonly #maxListPages: number;

  constructor(kv: KVNamespace, options: KvRollupReaderOptions = {}) {
    this.#kv = kv;
    this.#prefix = options.prefix ?? ROLLUP_KEY_PREFIX;
    this.#maxDocuments = options.maxDocuments ?? 500;
    this.#maxListPages = options.maxListPages ?? 5;
  }

  async read({ waitUntil }: RollupReadOptions = {}): Promise<MergedRollups> {
    const listed: KVNamespaceListKey<unknown>[] = [];
    let cursor: string | undefined;
    let listComplete = false;
    for (let page = 0; page < this.#maxListPages; page++) {
      const result: KVNamespaceListResult<unknown, string> = await this.#kv.list({ prefix: this.#prefix, ...(cursor ? { cursor } : {}) });
      listed.push(...result.keys);
      if (result.list_complete) {
        listComplete = true;
        break;
      }
      cursor = result.cursor;
    }
    const legacy: string[] = [];
    const current: { name: string; expiration: number }[] = [];
    for (const { name, expiration } of listed) {
      if (expiration === undefined) legacy.push(name);
      else current.push({ name, expiration });
    }
    if (waitUntil && legacy.length > 0) {
      waitUntil(Promise.all(legacy.slice(0, LEGACY_DELETES_PER_READ).map((key) => this.#kv.delete(key).catch(() => undefined))));
    }
    // latest expiration first: the most recently written keys
    current.sort((a, b) => b.expiration - a.expiration);
    const keys = current.slice(0, this.#maxDocuments).map((k) => k.name);

    const batches: string[][] = [];
    for (let i = 0; i < keys.length; i += BULK_GET_KEYS) batches.push(keys.slice(i, i + BULK_GET_KEYS));
    // a batch that cannot be read leaves its keys unreadable; a key gone since the listing (expired) is no document
    const values = await Promise.all(
      batches.map(async (batch): Promise<(string | null | undefined)[]> => {
        try {
          const found = await this.#kv.get(batch, "text");
          return batch.map((key) => found.get(key) ?? null);
        } catch {
          return batch.map(() => undefined);
        }
      }),
    );
    const documents: RollupDocument[] = [];
    let unreadable = 0;
    for (const text of values.flat()) {
      if (text === null) continue;
      const parsed = text === undefined ? undefined : RollupDocumentSchema.safeParse(parseJson(text));
      if (parsed?.success) documents.push(parsed.data);
      else unreadable++;
    }
    const notRead = current.length - keys.length;
    return mergeRollups(documents, { unreadable, notRead, complete: listComplete && notRead === 0 });
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
