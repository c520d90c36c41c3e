// workerd timings from the service's `npm run bench:edge` (scripts/bench-edge.ts), read so they
// can stand beside the Node figures. That script prints text; its lines of interest look like
//
//   payload: 128x128 JPEG face crop (q90), 4567 bytes; student fas-student@0123456789ab
//   warm, 1000 sequential requests after 50 warm-up:
//     end to end (client, HTTP)          p50 3.10  p95 4.20  p99 5.00  mean 3.30  max 9.00 ms
//     in Worker student                  p50 1.00  p95 2.00  p99 2.00  mean 1.20  max 4.00 ms
//
// A JSON file ({"models": {"<id>": {"p50", "p95", "runs"}}}) is read as well.

import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";

export interface EdgeStat {
  p50: number;
  p95: number;
  runs: number;
}

export interface EdgeBench {
  source: string;
  runtime: string;
  note: string;
  /** per model id: the in-Worker inference time of that model */
  models: Record<string, EdgeStat>;
  /** other in-Worker and client figures by label ("end to end (client, HTTP)", "in Worker total", ...) */
  other: Record<string, EdgeStat>;
}

const LINE = /^\s*(.+?)\s+p50 ([\d.]+)\s+p95 ([\d.]+)\s+p99 [\d.]+\s+mean [\d.]+\s+max [\d.]+ ms\s*$/;

/** Parses bench:edge's text output; `roles` maps "student"/"teacher" to model ids. */
export function parseEdgeBenchText(text: string, roles: { student: string; teacher?: string | undefined }, source: string): EdgeBench {
  const runs = Number(/warm, (\d+) sequential requests/.exec(text)?.[1] ?? Number.NaN);
  const models: Record<string, EdgeStat> = {};
  const other: Record<string, EdgeStat> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = LINE.exec(line);
    if (!m) continue;
    const stat = { p50: Number(m[2]), p95: Number(m[3]), runs };
    const label = m[1]!.trim();
    const role = /^in Worker (student|teacher)$/.exec(label)?.[1];
    if (role === "student") models[roles.student] = stat;
    else if (role === "teacher" && roles.teacher) models[roles.teacher] = stat;
    other[label] = stat;
  }
  const head = text.split(/\r?\n/).find((l) => l.startsWith("fas-edge bench")) ?? "workerd (wrangler dev)";
  return {
    source,
    runtime: head.replace(/^fas-edge bench\s*:?\s*/, "").replace(/^\(|\)$/g, "") || "workerd",
    note: `in-Worker times of sequential POST /v1/liveness requests (a ${/payload: ([^;]+)/.exec(text)?.[1] ?? "face crop"}), timed inside the Worker`,
    models,
    other,
  };
}

export function readEdgeBench(path: string, roles: { student: string; teacher?: string | undefined }): EdgeBench {
  const text = readFileSync(path, "utf8");
  if (!path.endsWith(".json")) return parseEdgeBenchText(text, roles, path);
  const j = JSON.parse(text) as Record<string, unknown>;
  const models: Record<string, EdgeStat> = {};
  for (const [id, m] of Object.entries((j.models ?? {}) as Record<string, Record<string, unknown>>)) {
    const l = (m.latencyMs ?? m) as Record<string, unknown>;
    if (Number.isFinite(Number(l.p50))) models[id] = { p50: Number(l.p50), p95: Number(l.p95), runs: Number(m.runs ?? l.runs ?? Number.NaN) };
  }
  return { source: path, runtime: String(j.runtime ?? "workerd"), note: String(j.note ?? ""), models, other: {} };
}

/** Runs `npm run bench:edge` (short: the script's minimum of 500 requests, no bundle check) and keeps its output. */
export function runEdgeBench(outFile: string, log: (s: string) => void): void {
  log("running npm run bench:edge (the deploy bundle in Miniflare, workerd) ...");
  const text = execFileSync("npm", ["run", "--silent", "bench:edge", "--", "--requests", "500", "--warmup", "30", "--no-bundle"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
    timeout: 600_000,
  });
  writeFileSync(outFile, text);
}
