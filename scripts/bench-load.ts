/**
 * Load test on loopback: starts the Worker in `wrangler dev` (offline, 127.0.0.1, a fresh KV
 * store, from snapshots of its bundle and of models/ so edits made meanwhile do not reload it), drives POST /v1/liveness with autocannon using a mix of confident, uncertain (in the
 * student's uncertainty band, so they go to the teacher) and malformed frames for a bounded time,
 * then asks GET /v1/swap how many of those requests the SWAP telemetry counted.
 *
 * The run is bounded in time and count: a short calibration run with the same mix measures the
 * request rate, and the measured run sends batches of rate x remaining time requests until
 * --duration is used up (at most --max-requests in all), each batch ending once all its answers
 * are in, so `sent` is exact; a hard stop at 3 x --duration ends it in any case (reported, since
 * requests cut off in flight may be counted by the Worker or not).
 *
 * Uncertain frames are found by scoring variations of the golden face crop. When the manifest's
 * band holds none of them (a trained manifest may set a band of zero width, i.e. no fallback), the
 * Worker is restarted on a copy of models/ whose only change is a band around one frame's student
 * score, and the output says so.
 *
 * The last line printed is one JSON object:
 *   {"sent", "ok", "clientErrors", "serverErrors", "rps", "p50", "p95", "p99", "counted"}
 * with latencies in ms measured by the client and `counted` = requests /v1/swap reports for the
 * run (its total after minus before). `counted` must equal `sent`; `serverErrors` must be 0.
 *
 *   npm run bench:load
 *   npm run bench:load -- --duration 60 --connections 16 --mix 6:2:2 --shadow 0.05
 */
import { execFileSync, spawn } from "node:child_process";
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { LivenessResponseSchema, type LivenessResponse } from "../src/schemas/liveness";
import { SwapResponseSchema, type SwapResponse } from "../src/schemas/swap";
import { bandAround, searchBand, type BandSide } from "../test/helpers/band-search";
import { pngHeaderOnly } from "../test/helpers/images";
import { goldenFaceCrop } from "./golden-face";
import { LOCAL_ENV_FILE, localDevVars } from "./local-env";

/** The local development key: the benchmark's server is on a loopback address, where it is honoured. */
const AUTH = { authorization: `Bearer ${localDevVars().DEV_API_KEY}` };

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const i = args.indexOf(`--${name}`);
  const v = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isFinite(v)) throw new Error(`--${name} needs a number`);
  return v;
};
const textOption = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? (args[i + 1] ?? fallback) : fallback;
};
/** Seconds the measured run should last. */
const DURATION_S = Math.max(2, option("duration", 20));
/** Requests in flight at once. */
const CONNECTIONS = Math.max(1, Math.round(option("connections", 8)));
/** Upper bound on the measured run's requests. */
const MAX_REQUESTS = Math.max(CONNECTIONS, Math.round(option("max-requests", 50_000)));
/** confident:uncertain:malformed, as parts of a cycle. */
const MIX = textOption("mix", "6:2:2").split(":").map(Number) as [number, number, number];
/** SHADOW_SAMPLE_RATE for the Worker under test. */
const SHADOW = option("shadow", 0.05);
/** Seconds to wait for the telemetry to settle after the run. */
const SETTLE_S = option("settle", 30);

if (MIX.length !== 3 || MIX.some((v) => !Number.isInteger(v) || v < 0) || MIX.every((v) => v === 0)) {
  throw new Error("--mix must be three non-negative integers confident:uncertain:malformed, e.g. 6:2:2");
}

interface AutocannonRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}
interface AutocannonResult {
  requests: { sent: number };
  duration: number;
  errors: number;
  timeouts: number;
  "2xx": number;
  "4xx": number;
  "5xx": number;
  non2xx: number;
}
interface AutocannonInstance {
  on(event: "response", listener: (client: unknown, status: number, bytes: number, ms: number) => void): void;
  stop(): void;
}
type Autocannon = (
  options: {
    url: string;
    connections: number;
    amount: number;
    timeout: number;
    requests: AutocannonRequest[];
  },
  done: (error: Error | null, result: AutocannonResult) => void,
) => AutocannonInstance;

function assetsDirectory(): string {
  const dir = /\[assets\][^[]*?directory\s*=\s*"([^"]+)"/s.exec(readFileSync("wrangler.toml", "utf8"))?.[1];
  if (!dir) throw new Error("wrangler.toml has no [assets] directory");
  return dir;
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
}

const round = (v: number, digits = 2): number => Math.round(v * 10 ** digits) / 10 ** digits;

async function main(): Promise<void> {
  const dir = assetsDirectory();
  let base = "";
  /** The latest output of wrangler dev, shown when the run fails. */
  let devLog = "";
  const work = mkdtempSync(join(tmpdir(), "fas-edge-bench-load-"));
  const bundle = join(work, "bundle");

  const startDev = async (assets: string, kv: string): Promise<() => Promise<void>> => {
    const port = await freePort();
    const inspectorPort = await freePort();
    base = `http://127.0.0.1:${port}`;
    const dev = spawn(
      "npx",
      [
        "wrangler", "dev", join(bundle, "index.js"),
        "--config", "wrangler.toml",
        "--no-bundle",
        "--ip", "127.0.0.1",
        "--port", String(port),
        "--inspector-port", String(inspectorPort),
        "--persist-to", kv,
        "--env-file", LOCAL_ENV_FILE,
        "--var", `SHADOW_SAMPLE_RATE:${SHADOW}`,
        "--log-level", process.env.BENCH_LOAD_LOG_LEVEL ?? "warn",
        "--assets", assets,
      ],
      {
        env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      },
    );
    let log = "";
    const keep = (chunk: Buffer) => {
      log = devLog = (log + chunk.toString()).slice(-20_000);
      if (process.env.BENCH_LOAD_DEV_LOG) appendFileSync(process.env.BENCH_LOAD_DEV_LOG, chunk);
    };
    dev.stdout?.on("data", keep);
    dev.stderr?.on("data", keep);
    let stopped = false;
    const stopDev = () => {
      if (stopped || dev.pid === undefined) return;
      stopped = true;
      try {
        process.kill(-dev.pid, "SIGTERM");
      } catch {
        // already gone
      }
    };
    stops.push(stopDev);
    const started = Date.now();
    for (;;) {
      if (dev.exitCode !== null) throw new Error(`wrangler dev exited (${dev.exitCode}):\n${log}`);
      if (Date.now() - started > 180_000) throw new Error(`wrangler dev did not become ready:\n${log}`);
      try {
        const health = await fetch(`${base}/healthz`);
        if (health.status === 200) break;
      } catch {
        // not listening yet
      }
      await sleep(500);
    }
    console.log(`wrangler dev ready on ${base} in ${round((Date.now() - started) / 1000, 1)} s (fresh KV in ${kv}, models from ${assets})`);
    return async () => {
      stopDev();
      for (let i = 0; i < 40 && dev.exitCode === null && dev.signalCode === null; i++) await sleep(250);
    };
  };
  const stops: (() => void)[] = [];
  const stop = () => {
    for (const s of stops) s();
    rmSync(work, { recursive: true, force: true });
  };
  process.on("exit", stop);
  process.on("SIGINT", () => process.exit(130));

  try {
    // Snapshots of the Worker's bundle and of models/: wrangler dev reloads the Worker whenever its
    // sources or assets change on disk, and a reload drops requests in flight and unflushed counts.
    const assets = join(work, "models");
    cpSync(dir, assets, { recursive: true });
    execFileSync("npx", ["wrangler", "deploy", "--dry-run", "--outdir", bundle], {
      env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
      stdio: ["ignore", "ignore", "inherit"],
    });
    let stopDev = await startDev(assets, join(work, "kv"));

    let setupRequests = 0;
    const classify = async (png: Uint8Array) => {
      // set-up requests are retried: on a busy machine wrangler's dev proxy now and then drops one
      // ("Your worker restarted mid-request"); the run's requests never are
      let body: LivenessResponse | undefined;
      for (let attempt = 1; !body; attempt++) {
        setupRequests++;
        try {
          const response = await fetch(`${base}/v1/liveness`, { method: "POST", body: Buffer.from(png), headers: { ...AUTH, "content-type": "image/png" } });
          const text = await response.text();
          if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${text.slice(0, 200)}`);
          body = LivenessResponseSchema.parse(JSON.parse(text));
        } catch (error) {
          if (attempt >= 3) throw error;
          console.log(`set-up request failed (${String(error)}), retrying`);
          await sleep(1000);
        }
      }
      const [lo, hi] = body.uncertaintyBand;
      const inBand = body.decidedBy === "teacher" || body.decision === "uncertain";
      const side: BandSide = inBand ? "inside" : body.score < lo ? "below" : body.score > hi ? "above" : "inside";
      return { png, side, body };
    };
    const { face } = goldenFaceCrop(assets);
    let search = await searchBand(face, classify);
    let bandNote = "the manifest's band";
    if (!search.inBand) {
      // The manifest's band holds none of the test frames (a trained manifest can set a band of
      // zero width: no fallback). Serve the same models with a band around one frame's student
      // score, so the run still has uncertain frames that go to the teacher.
      const manifestBand = search.variants[0]?.body.uncertaintyBand ?? [0, 0];
      const { band: testBand } = bandAround(search.variants.map((v) => v.body.score));
      const manifest = JSON.parse(readFileSync(join(assets, "manifest.json"), "utf8"));
      manifest.serving.uncertaintyBand = testBand;
      writeFileSync(join(assets, "manifest.json"), JSON.stringify(manifest, null, 2));
      bandNote = `a band set for this run (the manifest's [${manifestBand.join(", ")}] holds none of the test frames)`;
      console.log(`the manifest's uncertainty band [${manifestBand.join(", ")}] holds none of the test frames: restarting with the same models and the band [${testBand.map((v) => round(v, 4)).join(", ")}]`);
      await stopDev();
      stopDev = await startDev(assets, join(work, "kv2"));
      setupRequests = 0;
      search = await searchBand(face, classify);
    }
    const { inBand } = search;
    if (!inBand) throw new Error("no frame lands in the uncertainty band");
    const frames = { inBand, confident: search.confident };
    const band = frames.inBand.body.uncertaintyBand;
    console.log(
      `frames: ${frames.confident.length} confident (student scores ${frames.confident.map((f) => round(f.body.score, 3)).join(", ")}), ` +
        `1 in the band [${band.map((v) => round(v, 4)).join(", ")}], ${bandNote} (answered by ${frames.inBand.body.decidedBy}), found with ${setupRequests} requests`,
    );

    const png = (body: Uint8Array): AutocannonRequest => ({
      method: "POST",
      path: "/v1/liveness",
      headers: { ...AUTH, "content-type": "image/png" },
      body: Buffer.from(body),
    });
    // malformed frames: bytes that are no image, a JPEG without a frame, a PNG header claiming a
    // huge image, a multipart body without its frame (all read in full before they are refused)
    const boundary = "fas-edge-bench";
    const malformed: AutocannonRequest[] = [
      { method: "POST", path: "/v1/liveness", headers: { ...AUTH, "content-type": "image/png" }, body: Buffer.from("not an image") },
      { method: "POST", path: "/v1/liveness", headers: { ...AUTH, "content-type": "image/jpeg" }, body: Buffer.from([0xff, 0xd8, 0xff, 0xd9]) },
      { method: "POST", path: "/v1/liveness", headers: { ...AUTH, "content-type": "image/png" }, body: Buffer.from(pngHeaderOnly(60_000, 60_000)) },
      {
        method: "POST",
        path: "/v1/liveness",
        headers: { ...AUTH, "content-type": `multipart/form-data; boundary=${boundary}` },
        body: Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="meta"\r\n\r\n{}\r\n--${boundary}--\r\n`),
      },
    ];
    const cycle: AutocannonRequest[] = [];
    const [nConfident, nUncertain, nMalformed] = MIX;
    for (let i = 0; i < Math.max(nConfident, nUncertain, nMalformed); i++) {
      if (i < nConfident) cycle.push(png(frames.confident[i % frames.confident.length]?.png ?? frames.inBand.png));
      if (i < nUncertain) cycle.push(png(frames.inBand.png));
      if (i < nMalformed) cycle.push(malformed[i % malformed.length] ?? png(new Uint8Array()));
    }

    const autocannonModule: string = "autocannon"; // ships no type declarations; typed by Autocannon above
    const autocannon = ((await import(autocannonModule)) as { default: Autocannon }).default;
    const drive = (amount: number, hardStopS: number) =>
      new Promise<{ result: AutocannonResult; latencies: number[]; cutOff: boolean }>((resolve, reject) => {
        const latencies: number[] = [];
        let cutOff = false;
        const instance = autocannon(
          { url: base, connections: CONNECTIONS, amount, timeout: 60, requests: cycle },
          (error, result) => {
            clearTimeout(timer);
            if (error) reject(error);
            else resolve({ result, latencies, cutOff });
          },
        );
        instance.on("response", (_client, _status, _bytes, ms) => latencies.push(ms));
        const timer = setTimeout(() => {
          cutOff = true;
          instance.stop();
        }, hardStopS * 1000);
      });

    const readSwap = async (): Promise<SwapResponse> => SwapResponseSchema.parse(await (await fetch(`${base}/v1/swap`, { headers: AUTH })).json());
    /** /v1/swap once it has counted at least `expected` requests and stopped changing (the last rollup flush has landed). */
    const settled = async (expected: number): Promise<SwapResponse> => {
      const deadline = Date.now() + SETTLE_S * 1000;
      let last = await readSwap();
      let stableSince = Date.now();
      while (Date.now() < deadline) {
        await sleep(250);
        const next = await readSwap();
        if (next.totals.requests !== last.totals.requests) stableSince = Date.now();
        last = next;
        if (last.totals.requests >= expected && Date.now() - stableSince >= 2500) break;
      }
      return last;
    };

    // calibration and warm-up with the same mix: the teacher is loaded, and the rate sizes the measured run
    const calibration = await drive(Math.max(CONNECTIONS * 10, cycle.length * 4), DURATION_S * 3);
    setupRequests += calibration.result.requests.sent;
    const calibrationRps = calibration.result.requests.sent / Math.max(0.001, calibration.result.duration);
    const before = await settled(setupRequests);
    if (before.totals.requests !== setupRequests) {
      console.log(`note: /v1/swap counted ${before.totals.requests} of the ${setupRequests} set-up requests`);
    }

    console.log(
      `load: ~${DURATION_S} s (calibrated at ${round(calibrationRps, 1)} req/s), ${CONNECTIONS} connections, ` +
        `mix confident:uncertain:malformed = ${MIX.join(":")}, shadow sample rate ${SHADOW}, load average ${loadavg().map((v) => round(v)).join(" ")}`,
    );
    // batches sized from the measured rate until the duration is used up; each batch ends when all its answers are in
    const run = { sent: 0, ok: 0, clientErrors: 0, serverErrors: 0, errors: 0, timeouts: 0, seconds: 0, latencies: [] as number[], cutOff: false, batches: 0 };
    let rps = calibrationRps;
    const hardStop = Date.now() + DURATION_S * 3 * 1000;
    while (run.seconds < DURATION_S * 0.95 && run.sent < MAX_REQUESTS && run.batches < 8 && !run.cutOff) {
      const amount = Math.min(MAX_REQUESTS - run.sent, Math.max(CONNECTIONS, Math.round(rps * (DURATION_S - run.seconds))));
      const batch = await drive(amount, Math.max(1, (hardStop - Date.now()) / 1000));
      run.batches++;
      run.sent += batch.result.requests.sent;
      run.ok += batch.result["2xx"];
      run.clientErrors += batch.result["4xx"];
      run.serverErrors += batch.result["5xx"];
      run.errors += batch.result.errors;
      run.timeouts += batch.result.timeouts;
      run.seconds += batch.result.duration;
      run.latencies.push(...batch.latencies);
      run.cutOff ||= batch.cutOff;
      rps = batch.latencies.length / Math.max(0.001, batch.result.duration);
    }
    const after = await settled(before.totals.requests + run.sent);

    const sent = run.sent;
    const sorted = [...run.latencies].sort((a, b) => a - b);
    const counted = after.totals.requests - before.totals.requests;
    const delta = (pick: (t: SwapResponse["totals"]) => number) => pick(after.totals) - pick(before.totals);
    const scored = delta((t) => t.scored);
    const asked = delta((t) => t.fallback.asked);
    const sampled = delta((t) => t.agreement.sampled);
    const agreed = delta((t) => t.agreement.agreed);
    if (run.cutOff) console.log(`note: hard stop after ${DURATION_S * 3} s; requests in flight were cut off`);
    console.log(
      `run: ${sent} sent in ${round(run.seconds)} s (${run.batches} batches), ${run.ok} 2xx, ${run.clientErrors} 4xx, ${run.serverErrors} 5xx, ` +
        `${run.errors} socket errors, ${run.timeouts} timeouts`,
    );
    console.log(
      `telemetry for the run: ${counted} counted of ${sent} sent (${sent - counted} lost), ${scored} scored, ` +
        `${delta((t) => t.rejected)} rejected, ${delta((t) => t.failed)} failed; ` +
        `fallback rate ${scored ? round(asked / scored, 4) : "n/a"} (${asked} to the teacher, ${delta((t) => t.teacherFailures)} teacher failures); ` +
        `shadow agreement ${sampled ? `${agreed}/${sampled}` : "n/a"}; isolates ${after.sources.isolates}, ` +
        `telemetry errors ${JSON.stringify(after.sources.telemetryErrors)}`,
    );
    console.log(
      `all-time /v1/swap: latency p50 ${after.totals.latencyMs.p50} ms, p95 ${after.totals.latencyMs.p95} ms (Worker timers), ` +
        `energy ${after.totals.energyMjPerRequest} mJ/request (estimate), models ${after.totals.models.join(", ")}`,
    );
    console.log(
      JSON.stringify({
        sent,
        ok: run.ok,
        clientErrors: run.clientErrors,
        serverErrors: run.serverErrors,
        rps: round(run.latencies.length / Math.max(0.001, run.seconds), 1),
        p50: round(quantile(sorted, 0.5)),
        p95: round(quantile(sorted, 0.95)),
        p99: round(quantile(sorted, 0.99)),
        counted,
      }),
    );
    if (counted !== sent || run.serverErrors !== 0) process.exitCode = 1;
  } catch (error) {
    console.error(`wrangler dev output (last lines):\n${devLog.split("\n").slice(-40).join("\n")}`);
    throw error;
  } finally {
    stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? `${error.stack ?? error.message}${error.cause ? `\ncause: ${String(error.cause)}` : ""}` : String(error));
  process.exit(1);
});
