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
