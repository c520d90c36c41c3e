import { readFileSync } from "node:fs";

/** The local development file that `npm run dev` hands to wrangler (`--env-file`). */
export const LOCAL_ENV_FILE = "dev/local.env";

/**
 * The local development secrets (DEV_API_KEY, SIGNING_SECRET) from dev/local.env, for the tests,
 * benchmarks and scripts that start the Worker themselves. Never used by a deployment.
 */
export function localDevVars(file: string | URL = new URL("../dev/local.env", import.meta.url)): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const raw of readFileSync(file, "utf8").split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) throw new Error(`${String(file)}: expected NAME=value, got "${line}"`);
    vars[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return vars;
}

/**
 * The teacher deadline (TEACHER_TIMEOUT_MS) of the Worker that the tests start. wrangler.toml's 2 s is
 * a latency bound for production; on a busy 2-core machine, concurrent fallbacks queued behind one
 * another have taken longer, and a timeout changes the answer (`uncertain`), so a test that expects
 * the teacher's answer would depend on the machine's load. Timeouts themselves are tested with
 * explicit short deadlines.
 */
export const TEST_TEACHER_TIMEOUT_MS = "120000";
