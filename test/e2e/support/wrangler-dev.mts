import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LOCAL_ENV_FILE, localDevVars, TEST_TEACHER_TIMEOUT_MS } from "../../../scripts/local-env";

export interface DevServer {
  /** http://127.0.0.1:<port>: a loopback origin, where the development key is honoured. */
  readonly base: string;
  readonly port: number;
  /** The local development key (DEV_API_KEY of dev/local.env). */
  readonly devKey: string;
  stop(): Promise<void>;
}

export interface DevServerOptions {
  readonly readyWithinMs?: number;
  /** Runs before wrangler dev starts, with its local state folder (`--persist-to`): to store API keys there, for example. */
  readonly prepare?: (persistTo: string) => Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/**
 * Starts the Worker in `wrangler dev` as `npm run dev` does (with dev/local.env), on a free
 * loopback port, offline, with a fresh local state folder and the tests' teacher deadline
 * (TEST_TEACHER_TIMEOUT_MS), and resolves once GET /healthz answers 200 (the student is loaded).
 */
export async function startWranglerDev({ readyWithinMs = 240_000, prepare }: DevServerOptions = {}): Promise<DevServer> {
  const devKey = localDevVars()["DEV_API_KEY"];
  if (!devKey) throw new Error(`${LOCAL_ENV_FILE} has no DEV_API_KEY`);
  const port = await freePort();
  const inspectorPort = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const persist = mkdtempSync(join(tmpdir(), "fas-edge-e2e-"));
  try {
    await prepare?.(persist);
  } catch (error) {
    rmSync(persist, { recursive: true, force: true });
    throw error;
  }
  const dev: ChildProcess = spawn(
    "npx",
    [
      "wrangler", "dev",
      "--env-file", LOCAL_ENV_FILE,
      "--ip", "127.0.0.1",
      "--port", String(port),
      "--inspector-port", String(inspectorPort),
      "--persist-to", persist,
      "--log-level", "warn",
      "--var", `TEACHER_TIMEOUT_MS:${TEST_TEACHER_TIMEOUT_MS}`,
    ],
    {
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", CI: "true" },
    },
  );
  let log = "";
  dev.stdout?.on("data", (d: Buffer) => (log = (log + d.toString()).slice(-8000)));
  dev.stderr?.on("data", (d: Buffer) => (log = (log + d.toString()).slice(-8000)));
  const exited = new Promise<void>((resolve) => dev.once("exit", () => resolve()));

  const stop = async () => {
    if (dev.exitCode === null && dev.pid !== undefined) {
      try {
        process.kill(-dev.pid, "SIGTERM");
      } catch {
        // already gone
      }
      const killer = setTimeout(() => {
        try {
          if (dev.pid !== undefined) process.kill(-dev.pid, "SIGKILL");
        } catch {
          // already gone
        }
      }, 10_000);
      await exited;
      clearTimeout(killer);
    }
    rmSync(persist, { recursive: true, force: true });
  };

  const started = Date.now();
  try {
    for (;;) {
      if (dev.exitCode !== null) throw new Error(`wrangler dev exited (${dev.exitCode}):\n${log}`);
      if (Date.now() - started > readyWithinMs) throw new Error(`wrangler dev was not ready within ${readyWithinMs} ms:\n${log}`);
      try {
        const health = await fetch(`${base}/healthz`);
        if (health.status === 200) break;
        await health.body?.cancel();
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { base, port, devKey, stop };
}
