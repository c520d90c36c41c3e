/**
 * Edge benchmark: runs the Worker locally in workerd and measures
 *   - cold start: the first POST /v1/liveness of a fresh isolate (it starts onnxruntime and loads
 *     the student), after the runtime reported ready,
 *   - warm end-to-end latency p50/p95/p99 over sequential requests with a 128x128 JPEG face crop
 *     (made from the golden frame), as the client sees it and per stage as the Worker reports it,
 *   - requests/s of one isolate (one core), sequentially and with a few requests in flight,
 *   - memory: onnxruntime's WebAssembly linear memory (from /healthz) and the workerd process's
 *     resident set before the first request, after the models loaded, and at the end,
 *   - bundle sizes (wrangler deploy --dry-run, gzip), from the same build that is benchmarked.
 *
 * By default the exact bundle `wrangler deploy` would upload runs in Miniflare (workerd) with the
 * bindings wrangler derives from wrangler.toml. The client then reaches the Worker two ways, request
 * by request in turn, so that both see the same machine: over HTTP straight to a socket workerd
 * serves the Worker on (the headline "end to end" figures), and through Miniflare's entry worker,
 * the local proxy in front of `wrangler dev` (it adds about a millisecond per POST, and deployed
 * Workers do not have it). `--wrangler-dev` measures through `wrangler dev` itself instead.
 *
 *   npm run bench:edge
 *   npm run bench:edge -- --requests 2000 --concurrency 4
 *   npm run bench:edge -- --wrangler-dev
 *   npm run bench:edge -- --var SHADOW_SAMPLE_RATE=0.05   (override a Worker var, in either mode)
 *
 * The student path is what is measured: SHADOW_SAMPLE_RATE (background teacher scoring of
 * confidently decided frames) is set to 0 unless overridden, so that no teacher work runs
 * between the timed requests.
 */
import { execFileSync, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, loadavg } from "node:os";
import { join, resolve } from "node:path";
import jpeg from "jpeg-js";
import { Miniflare } from "miniflare";
import { LOCAL_ENV_FILE, localDevVars } from "./local-env";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { resizeTriangle } from "../src/preprocess/resize";
import { goldenFaceCrop } from "./golden-face";

/** The local development key: the benchmark's server is on a loopback address, where it is honoured. */
const AUTH = { authorization: `Bearer ${localDevVars().DEV_API_KEY}` };

const args = process.argv.slice(2);
const option = (name: string, fallback: number, min: number): number => {
  const i = args.indexOf(`--${name}`);
  const v = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < min) throw new Error(`--${name} needs an integer >= ${min}`);
  return v;
};
const REQUESTS = option("requests", 1000, 100); // p99 needs a hundred samples at least
const WARMUP = option("warmup", 50, 0);
const CONCURRENCY = option("concurrency", 4, 1);
const SIDE = option("side", 128, 32);
const VIA_WRANGLER_DEV = args.includes("--wrangler-dev");
const OUTDIR = resolve(".cache/bench-dist");
const VAR_OVERRIDES: Record<string, string> = { SHADOW_SAMPLE_RATE: "0" };
args.forEach((arg, i) => {
  const value = arg === "--var" ? args[i + 1] : undefined;
  const eq = value?.indexOf("=") ?? -1;
  if (value && eq > 0) VAR_OVERRIDES[value.slice(0, eq)] = value.slice(eq + 1);
});
const QUIET_ENV = { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" };

function assetsDirectory(): string {
  const config = readFileSync("wrangler.toml", "utf8");
  const dir = /\[assets\][^[]*?directory\s*=\s*"([^"]+)"/s.exec(config)?.[1];
  if (!dir) throw new Error("wrangler.toml has no [assets] directory");
  return dir;
}

/** The golden frame's face, cropped with the student's crop scale and resized to SIDE x SIDE, as JPEG q90. */
function faceCropJpeg(dir: string): { jpeg: Uint8Array; student: string } {
  const { face, student } = goldenFaceCrop(dir);
  const resized = resizeTriangle(Float64Array.from(face.data), face.width, face.height, SIDE, SIDE, 3);
  const rgba = new Uint8Array(SIDE * SIDE * 4);
  for (let p = 0; p < SIDE * SIDE; p++) {
    for (let c = 0; c < 3; c++) rgba[p * 4 + c] = Math.round(resized[p * 3 + c] ?? 0);
    rgba[p * 4 + 3] = 255;
  }
  return { jpeg: new Uint8Array(jpeg.encode({ width: SIDE, height: SIDE, data: rgba }, 90).data), student };
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolvePort(address.port) : reject(new Error("no port"))));
    });
  });
}

/** Resident set (KiB) of every workerd process below `root`. */
function workerdRssKiB(root: number): number {
  const parents = new Map<number, number>();
  const names = new Map<number, string>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      names.set(Number(entry), stat.slice(stat.indexOf("(") + 1, close));
      parents.set(Number(entry), Number(stat.slice(close + 2).split(" ")[1]));
    } catch {
      // the process ended while we looked
    }
  }
  const below = (pid: number): boolean => {
    for (let p = parents.get(pid); p !== undefined && p > 1; p = parents.get(p)) if (p === root) return true;
    return false;
  };
  let total = 0;
  for (const [pid, name] of names) {
    if (!name.startsWith("workerd") || !below(pid)) continue;
    try {
      total += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
    } catch {
      // gone
    }
  }
  return total;
}

interface Server {
  /** Where the client sends requests: the Worker's own socket when there is one, else `proxied`. */
  readonly base: string;
  /** Miniflare's entry worker (or wrangler dev's proxy), when it differs from `base`. */
  readonly proxied?: string;
  /** Root of the process tree that holds workerd. */
  readonly root: number;
  readonly startMs: number;
  stop(): Promise<void>;
}

/** The dry-run bundle in Miniflare, with the bindings wrangler derives from wrangler.toml. */
async function startMiniflare(): Promise<Server> {
  const started = performance.now();
  const { workerOptions } = unstable_getMiniflareWorkerOptions("wrangler.toml");
  const declared = (workerOptions.bindings ?? {}) as Record<string, unknown>;
  const overrides = Object.fromEntries(Object.entries(VAR_OVERRIDES).filter(([name]) => name in declared));
  const files = readdirSync(OUTDIR);
  const mf = new Miniflare({
    ...workerOptions,
    unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
    bindings: { ...declared, ...localDevVars(), ...overrides },
    modulesRoot: OUTDIR,
    modules: [
      { type: "ESModule", path: join(OUTDIR, "index.js") },
      ...files.filter((f) => f.endsWith(".wasm")).map((f) => ({ type: "CompiledWasm" as const, path: join(OUTDIR, f) })),
    ],
  } as ConstructorParameters<typeof Miniflare>[0]);
  const url = await mf.ready;
  const direct = await mf.unsafeGetDirectURL();
  return { base: direct.origin, proxied: url.origin, root: process.pid, startMs: performance.now() - started, stop: () => mf.dispose() };
}

/** `wrangler dev`, offline, on a free port. */
async function startWranglerDev(): Promise<Server> {
  const port = await freePort();
  const inspectorPort = await freePort();
  const started = performance.now();
  const vars = Object.entries(VAR_OVERRIDES).flatMap(([name, value]) => ["--var", `${name}:${value}`]);
  const dev = spawn("npx", ["wrangler", "dev", "--env-file", LOCAL_ENV_FILE, "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspectorPort), ...vars], {
    env: QUIET_ENV,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let stopped = false;
  const stop = async () => {
    if (stopped || dev.pid === undefined) return;
    stopped = true;
    try {
      process.kill(-dev.pid, "SIGTERM");
    } catch {
      // already gone
    }
  };
  process.on("exit", () => void stop());
  let log = "";
  await new Promise<void>((resolveReady, reject) => {
    const timer = setTimeout(() => reject(new Error(`wrangler dev did not start:\n${log}`)), 180_000);
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      if (/Ready on/.test(log)) {
        clearTimeout(timer);
        resolveReady();
      }
    };
    dev.stdout?.on("data", onData);
    dev.stderr?.on("data", onData);
    dev.on("exit", (code) => reject(new Error(`wrangler dev exited (${code}):\n${log}`)));
  });
  return { base: `http://127.0.0.1:${port}`, root: dev.pid ?? -1, startMs: performance.now() - started, stop };
}

const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
const f = (v: number, digits = 2): string => v.toFixed(digits);
const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

function summary(label: string, values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  return `${label.padEnd(34)} p50 ${f(quantile(sorted, 0.5))}  p95 ${f(quantile(sorted, 0.95))}  p99 ${f(quantile(sorted, 0.99))}  mean ${f(mean(values))}  max ${f(sorted.at(-1) ?? NaN)} ms`;
}

interface Timings {
  decode: number;
  preprocess: number;
  student: number;
  total: number;
}

async function main(): Promise<void> {
  const dir = assetsDirectory();
  const { jpeg: body } = faceCropJpeg(dir);
  const loadBefore = loadavg()[0] ?? NaN;

  // the build that is benchmarked is the one whose sizes are printed
  execFileSync("npx", ["tsx", "scripts/bundle-check.ts", "--outdir", OUTDIR], { stdio: ["ignore", "pipe", "inherit"], env: QUIET_ENV });
  const bundleReport = execFileSync("npx", ["tsx", "scripts/bundle-check.ts", "--outdir", OUTDIR, "--no-build"], { encoding: "utf8", env: QUIET_ENV });

  const server = VIA_WRANGLER_DEV ? await startWranglerDev() : await startMiniflare();
  try {
    const rssBefore = workerdRssKiB(server.root);
    const liveness = async (base = server.base): Promise<{ ms: number; timings: Timings; score: number }> => {
      const t0 = performance.now();
      const response = await fetch(`${base}/v1/liveness`, { method: "POST", body, headers: { ...AUTH, "content-type": "image/jpeg" } });
      const json = (await response.json()) as { timingsMs: Timings; score: number };
      const ms = performance.now() - t0;
      if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${JSON.stringify(json)}`);
      return { ms, timings: json.timingsMs, score: json.score };
    };

    const cold = await liveness();
    const health = (await (await fetch(`${server.base}/healthz`)).json()) as {
      models: { id: string; publicId: string; loadMs?: number; createMs?: number }[];
      onnxruntimeMemoryBytes?: number;
    };
    const rssAfterLoad = workerdRssKiB(server.root);

    for (let i = 0; i < WARMUP; i++) await liveness();
    const client: number[] = [];
    const proxiedClient: number[] = [];
    const inWorker: Record<keyof Timings, number[]> = { decode: [], preprocess: [], student: [], total: [] };
    const scores = new Set<number>();
    for (let i = 0; i < REQUESTS; i++) {
      if (server.proxied) {
        const proxied = await liveness(server.proxied);
        proxiedClient.push(proxied.ms);
        scores.add(proxied.score);
      }
      const r = await liveness();
      client.push(r.ms);
      scores.add(r.score);
      for (const k of Object.keys(inWorker) as (keyof Timings)[]) inWorker[k].push(r.timings[k]);
    }
    // one request at a time on the timed path (the interleaved proxied requests are not counted)
    const seqSeconds = client.reduce((a, b) => a + b, 0) / 1000;

    let next = 0;
    const concStart = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next++ < REQUESTS) await liveness();
      }),
    );
    const concSeconds = (performance.now() - concStart) / 1000;

    // the transport's share: a tiny 404 problem, almost no work in the Worker
    const baseline: number[] = [];
    const proxiedBaseline: number[] = [];
    const tiny = async (base: string, into: number[]) => {
      const t0 = performance.now();
      await (await fetch(`${base}/bench-baseline`)).arrayBuffer();
      into.push(performance.now() - t0);
    };
    for (let i = 0; i < 200; i++) {
      if (server.proxied) await tiny(server.proxied, proxiedBaseline);
      await tiny(server.base, baseline);
    }
    const healthAfter = (await (await fetch(`${server.base}/healthz`)).json()) as { onnxruntimeMemoryBytes?: number };
    const rssAfter = workerdRssKiB(server.root);

    const mib = (kib: number) => f(kib / 1024, 1);
    const ortMiB = (bytes?: number) => (bytes === undefined ? "?" : mib(bytes / 1024));
    const student = health.models[0];
    console.log(`fas-edge bench: ${VIA_WRANGLER_DEV ? "wrangler dev" : "deploy bundle in Miniflare"} (workerd), ${process.platform}, ${cpus().length} CPUs`);
    console.log(`1-minute load average: ${f(loadBefore)} at the start, ${f(loadavg()[0] ?? NaN)} at the end (figures stretch when other work shares the cores)`);
    console.log(`payload: ${SIDE}x${SIDE} JPEG face crop (q90), ${body.length} bytes; student ${student?.publicId ?? "?"}`);
    console.log(`vars overridden: ${JSON.stringify(VAR_OVERRIDES)}${VIA_WRANGLER_DEV ? " (wrangler dev --var)" : " (where wrangler.toml declares them)"}`);
    console.log(`runtime start until ready: ${f(server.startMs, 0)} ms (workerd loads the script and compiles the 14 MB wasm)`);
    console.log(
      `cold start, first request: ${f(cold.ms, 1)} ms end to end; in Worker total ${f(cold.timings.total, 1)} ms ` +
        `(student load ${f(student?.loadMs ?? NaN, 1)} ms, of which onnxruntime start-up and session creation ${f(student?.createMs ?? NaN, 1)} ms)`,
    );
    console.log(
      server.proxied
        ? "client: HTTP straight to the Worker's socket in workerd; each request is followed by one through Miniflare's entry worker (wrangler dev's local proxy)"
        : "client: HTTP through wrangler dev's local proxy",
    );
    console.log(`warm, ${REQUESTS} sequential requests after ${WARMUP} warm-up:`);
    console.log(`  ${summary("end to end (client, HTTP)", client)}`);
    console.log(`  ${summary("HTTP baseline (GET, tiny 404)", baseline)}`);
    if (server.proxied) {
      console.log(`  ${summary("end to end via Miniflare's entry", proxiedClient)}`);
      console.log(`  ${summary("HTTP baseline via Miniflare's entry", proxiedBaseline)}`);
    }
    for (const k of ["decode", "preprocess", "student", "total"] as const) console.log(`  ${summary(`in Worker ${k}`, inWorker[k])}`);
    console.log(`  distinct scores: ${scores.size} (deterministic: ${scores.size === 1})`);
    console.log(
      `throughput, one isolate: sequential ${f(REQUESTS / seqSeconds, 0)} req/s, ${CONCURRENCY} in flight ${f(REQUESTS / concSeconds, 0)} req/s; ` +
        `Worker compute alone ${f(1000 / mean(inWorker.total), 0)} req/s (1000 / mean in-Worker total)`,
    );
    console.log(
      `memory: onnxruntime wasm linear memory ${ortMiB(health.onnxruntimeMemoryBytes)} MiB after the first request, ${ortMiB(healthAfter.onnxruntimeMemoryBytes)} MiB at the end; ` +
        `workerd RSS ${mib(rssBefore)} MiB before the first request, ${mib(rssAfterLoad)} MiB after the models loaded (+${mib(rssAfterLoad - rssBefore)}), ${mib(rssAfter)} MiB at the end`,
    );
    console.log("");
    process.stdout.write(bundleReport);
  } finally {
    await server.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
