// workerd timings written by the service's `npm run bench:edge`, read so they can stand beside
// the Node figures.

import { readFileSync } from "node:fs";

export interface EdgeBench {
  source: string;
  runtime: string;
  note: string;
  models: Record<string, { p50: number; p95: number; runs: number }>;
}

export function readEdgeBench(path: string): EdgeBench {
  const j = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  const models: EdgeBench["models"] = {};
  const src = (j.models ?? {}) as Record<string, Record<string, unknown>>;
  for (const [id, m] of Object.entries(src)) {
    const l = (m.latencyMs ?? m) as Record<string, unknown>;
    const p50 = Number(l.p50);
    const p95 = Number(l.p95);
    if (Number.isFinite(p50)) models[id] = { p50, p95, runs: Number(m.runs ?? l.runs ?? Number.NaN) };
  }
  return {
    source: path,
    runtime: typeof j.runtime === "string" ? j.runtime : JSON.stringify(j.runtime ?? "workerd"),
    note: typeof j.note === "string" ? j.note : "",
    models,
  };
}
