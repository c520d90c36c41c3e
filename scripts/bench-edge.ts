/**
 * Edge benchmark: starts the Worker locally in workerd (`wrangler dev`, offline) and measures
 *   - start-up (until wrangler reports ready) and cold start (the first POST /v1/liveness, which
 *     initialises onnxruntime and loads the student),
 *   - warm end-to-end latency p50/p95/p99 over sequential requests with a 128x128 JPEG face crop
 *     (made from the golden frame), client-side and as reported by the Worker (timingsMs),
 *   - requests/s with one isolate (one core) sequentially and with a few requests in flight,
 *   - memory: onnxruntime's WebAssembly linear memory (from /healthz) and the workerd process's
 *     resident set before the first request and after the benchmark,
 *   - bundle sizes (wrangler deploy --dry-run, gzip).
 *
 *   npm run bench:edge
 *   npm run bench:edge -- --requests 2000 --concurrency 4 --no-bundle
 */
import { execFileSync, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import jpeg from "jpeg-js";
import { decodeImage } from "../src/image/decode-image";
import { ManifestSchema } from "../src/models/manifest-schema";
import { cropWindow, extractCrop } from "../src/preprocess/crop";
import { resizeTriangle } from "../src/preprocess/resize";

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const REQUESTS = Math.max(500, option("requests", 1000));
const WARMUP = option("warmup", 50);
const CONCURRENCY = option("concurrency", 4);
const SIDE = option("side", 128);

function assetsDirectory(): string {
  const config = readFileSync("wrangler.toml", "utf8");
  const dir = /\[assets\][^[]*?directory\s*=\s*"([^"]+)"/s.exec(config)?.[1];
  if (!dir) throw new Error("wrangler.toml has no [assets] directory");
  return dir;
}

/** The golden frame's face, cropped with the student's crop scale and resized to SIDE x SIDE, as JPEG q90. */
function faceCropJpeg(dir: string): Uint8Array {
  const golden = JSON.parse(readFileSync(join(dir, "golden", "golden.json"), "utf8"));
  const manifest = ManifestSchema.parse(JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")));
  const student = manifest.models[manifest.serving.student];
  if (!student) throw new Error("no serving student");
  const { image } = decodeImage(new Uint8Array(readFileSync(join(dir, "golden", golden.image))), { minSide: 1, maxPixels: 1 << 26 });
  const window = cropWindow(image.width, image.height, golden.box ?? undefined, student.preprocess.cropScale);
  const resized = resizeTriangle(extractCrop(image, window), window.side, window.side, SIDE, SIDE, 3);
  const rgba = new Uint8Array(SIDE * SIDE * 4);
  for (let p = 0; p < SIDE * SIDE; p++) {
    for (let c = 0; c < 3; c++) rgba[p * 4 + c] = Math.round(resized[p * 3 + c] ?? 0);
    rgba[p * 4 + 3] = 255;
  }
  return new Uint8Array(jpeg.encode({ width: SIDE, height: SIDE, data: rgba }, 90).data);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
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
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    total += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  }
  return total;
}

const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
const f = (v: number, digits = 2): string => v.toFixed(digits);

function summary(label: string, values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return `${label.padEnd(34)} p50 ${f(quantile(sorted, 0.5))}  p95 ${f(quantile(sorted, 0.95))}  p99 ${f(quantile(sorted, 0.99))}  mean ${f(mean)}  max ${f(sorted.at(-1) ?? NaN)} ms`;
}

interface Timings {
  decode: number;
  preprocess: number;
  student: number;
  total: number;
}

async function main(): Promise<void> {
  const dir = assetsDirectory();
  const body = faceCropJpeg(dir);
  const port = await freePort();
  const inspectorPort = await freePort();
  const base = `http://127.0.0.1:${port}`;

  const loadBefore = loadavg()[0] ?? NaN;
  const started = performance.now();
  const dev = spawn("npx", ["wrangler", "dev", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspectorPort)], {
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let log = "";
  let stopped = false;
  const stop = () => {
    if (stopped || dev.pid === undefined) return;
    stopped = true;
    try {
      process.kill(-dev.pid, "SIGTERM");
    } catch {
      // already gone
    }
  };
  process.on("exit", stop);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`wrangler dev did not start:\n${log}`)), 120_000);
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      if (/Ready on/.test(log)) {
        clearTimeout(timer);
        resolve();
      }
    };
    dev.stdout?.on("data", onData);
    dev.stderr?.on("data", onData);
    dev.on("exit", (code) => reject(new Error(`wrangler dev exited (${code}):\n${log}`)));
  });
  const readyMs = performance.now() - started;
  const rssBefore = workerdRssKiB(dev.pid ?? -1);

  const liveness = async (): Promise<{ ms: number; timings: Timings; score: number }> => {
    const t0 = performance.now();
    const response = await fetch(`${base}/v1/liveness`, { method: "POST", body, headers: { "content-type": "image/jpeg" } });
    const json = (await response.json()) as { timingsMs: Timings; score: number };
    const ms = performance.now() - t0;
    if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${JSON.stringify(json)}`);
    return { ms, timings: json.timingsMs, score: json.score };
  };

  const cold = await liveness();
  const health = (await (await fetch(`${base}/healthz`)).json()) as {
    models: { id: string; publicId: string; loadMs?: number; createMs?: number }[];
    onnxruntimeMemoryBytes?: number;
  };
  const rssAfterLoad = workerdRssKiB(dev.pid ?? -1);

  for (let i = 0; i < WARMUP; i++) await liveness();
  const client: number[] = [];
  const server: Record<keyof Timings, number[]> = { decode: [], preprocess: [], student: [], total: [] };
  const scores = new Set<number>();
  const seqStart = performance.now();
  for (let i = 0; i < REQUESTS; i++) {
    const r = await liveness();
    client.push(r.ms);
    scores.add(r.score);
    for (const k of Object.keys(server) as (keyof Timings)[]) server[k].push(r.timings[k]);
  }
  const seqSeconds = (performance.now() - seqStart) / 1000;

  let next = 0;
  const concStart = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < REQUESTS) await liveness();
    }),
  );
  const concSeconds = (performance.now() - concStart) / 1000;
  const rssAfter = workerdRssKiB(dev.pid ?? -1);

  // HTTP round trip through wrangler dev with almost no work in the Worker (a small 404 problem)
  const baseline: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now();
    await (await fetch(`${base}/bench-baseline`)).arrayBuffer();
    baseline.push(performance.now() - t0);
  }
  const healthAfter = (await (await fetch(`${base}/healthz`)).json()) as { onnxruntimeMemoryBytes?: number };
  stop();

  const mib = (kib: number) => f(kib / 1024, 1);
  const student = health.models[0];
  console.log(`fas-edge bench (wrangler dev, workerd, ${process.platform}, ${cpus().length} CPUs)`);
  console.log(`1-minute load average: ${f(loadBefore)} at the start, ${f(loadavg()[0] ?? NaN)} at the end (figures stretch when other work shares the cores)`);
  console.log(`payload: ${SIDE}x${SIDE} JPEG face crop (q90), ${body.length} bytes; student ${student?.publicId ?? "?"}`);
  console.log(`start-up until ready: ${f(readyMs, 0)} ms (includes bundling and compiling the 14 MB wasm)`);
  console.log(`cold start, first request: ${f(cold.ms, 1)} ms end to end; in Worker total ${f(cold.timings.total, 1)} ms (student session load ${f(student?.loadMs ?? NaN, 1)} ms, of which onnxruntime start-up and session creation ${f(student?.createMs ?? NaN, 1)} ms)`);
  console.log(`warm, ${REQUESTS} sequential requests after ${WARMUP} warm-up:`);
  console.log(`  ${summary("end to end (client, HTTP)", client)}`);
  console.log(`  ${summary("HTTP baseline (GET, tiny 404)", baseline)}`);
  for (const k of ["decode", "preprocess", "student", "total"] as const) console.log(`  ${summary(`in Worker ${k}`, server[k])}`);
  console.log(`  distinct scores: ${scores.size} (deterministic: ${scores.size === 1})`);
  console.log(`throughput, one isolate: sequential ${f(REQUESTS / seqSeconds, 0)} req/s; ${CONCURRENCY} in flight ${f(REQUESTS / concSeconds, 0)} req/s`);
  console.log(
    `memory: onnxruntime wasm linear memory ${health.onnxruntimeMemoryBytes === undefined ? "?" : mib(health.onnxruntimeMemoryBytes / 1024)} MiB after the first request, ` +
      `${healthAfter.onnxruntimeMemoryBytes === undefined ? "?" : mib(healthAfter.onnxruntimeMemoryBytes / 1024)} MiB at the end; ` +
      `workerd RSS ${mib(rssBefore)} MiB before the first request, ${mib(rssAfterLoad)} MiB after the models loaded (+${mib(rssAfterLoad - rssBefore)}), ${mib(rssAfter)} MiB at the end`,
  );

  if (!args.includes("--no-bundle")) {
    console.log("");
    execFileSync("npx", ["tsx", "scripts/bundle-check.ts", "--outdir", ".cache/bench-dist"], { stdio: "inherit" });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
