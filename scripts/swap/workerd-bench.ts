// Times models inside workerd: starts `wrangler dev` on scripts/swap/workerd/bench-worker.ts with
// the models folder as static assets, asks it for an interleaved benchmark and stops it again.

import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join, relative, resolve } from "node:path";
import { quantile } from "./metrics";

export interface WorkerdTiming {
  runtime: string;
  method: string;
  models: Record<string, { p50: number; p95: number; runs: number; loadMs: number; memoryAfterLoadBytes: number | null }>;
  memoryNote: string;
  memoryAfterWarmupBytes: number | null;
}

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const a = server.address();
      server.close(() => (typeof a === "object" && a ? ok(a.port) : fail(new Error("no port"))));
    });
  });
}

export async function benchWorkerd(
  modelsDir: string,
  ids: string[],
  opts: { runs: number; warmup: number; burst: number; log: (s: string) => void; workDir?: string },
): Promise<WorkerdTiming> {
  const dir = resolve(opts.workDir ?? ".cache/swap-workerd");
  mkdirSync(dir, { recursive: true });
  const compat = existsSync("wrangler.toml") ? /compatibility_date\s*=\s*"([^"]+)"/.exec(readFileSync("wrangler.toml", "utf8"))?.[1] : undefined;
  const config = join(dir, "wrangler.toml");
  writeFileSync(
    config,
    [
      `name = "fas-edge-swap-bench"`,
      `main = "${relative(dir, resolve("scripts/swap/workerd/bench-worker.ts"))}"`,
      `compatibility_date = "${compat ?? "2026-04-20"}"`,
      `[assets]`,
      `directory = "${relative(dir, resolve(modelsDir))}"`,
      `binding = "ASSETS"`,
      `run_worker_first = true`,
      `[[rules]]`,
      `type = "CompiledWasm"`,
      `globs = ["**/*.wasm"]`,
      `fallthrough = false`,
      "",
    ].join("\n"),
  );
  const port = await freePort();
  const inspector = await freePort();
  const dev = spawn("npx", ["wrangler", "dev", "--config", config, "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspector)], {
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let log = "";
  const stop = (): void => {
    try {
      if (dev.pid !== undefined) process.kill(-dev.pid, "SIGTERM");
    } catch {
      // already gone
    }
  };
  try {
    await new Promise<void>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`wrangler dev did not start:\n${log}`)), 180_000);
      const onData = (chunk: Buffer): void => {
        log += chunk.toString();
        if (/Ready on/.test(log)) {
          clearTimeout(timer);
          ok();
        }
      };
      dev.stdout.on("data", onData);
      dev.stderr.on("data", onData);
      dev.on("exit", (code) => fail(new Error(`wrangler dev exited (${String(code)}):\n${log}`)));
    });
    opts.log(`workerd up; timing ${ids.join(", ")} (${opts.runs} runs each in bursts of ${opts.burst})`);
    const q = new URLSearchParams({ models: ids.join(","), runs: String(opts.runs), warmup: String(opts.warmup), burst: String(opts.burst) });
    const res = await fetch(`http://127.0.0.1:${port}/bench?${q}`, { signal: AbortSignal.timeout(900_000) });
    const j = (await res.json()) as {
      error?: string;
      runtime: string;
      runs: number;
      burst: number;
      models: Record<string, { loadMs: number; memoryAfterLoad?: number; samples: number[] }>;
      memoryNote?: string;
      memoryAfterWarmup?: number;
    };
    if (!res.ok || j.error) throw new Error(`workerd bench: ${j.error ?? res.status}`);
    const models: WorkerdTiming["models"] = {};
    for (const [id, m] of Object.entries(j.models)) {
      const s = [...m.samples].sort((a, b) => a - b);
      models[id] = { p50: quantile(s, 0.5), p95: quantile(s, 0.95), runs: j.runs, loadMs: m.loadMs, memoryAfterLoadBytes: m.memoryAfterLoad ?? null };
    }
    return {
      runtime: j.runtime,
      method: `${j.runs} runs per model after ${opts.warmup} warm-up, interleaved in bursts of ${j.burst} back-to-back runs (local workerd timers tick in ~1 ms steps); p50/p95 over the burst means`,
      models,
      memoryNote: j.memoryNote ?? "",
      memoryAfterWarmupBytes: j.memoryAfterWarmup ?? null,
    };
  } finally {
    stop();
  }
}
