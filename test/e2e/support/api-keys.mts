import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * Creates an API key in a local state folder with `npm run keys -- create`, as a developer would
 * for `wrangler dev --persist-to`; returns the plain key.
 */
export async function createLocalKey(persistTo: string, name: string, scopes: readonly string[]): Promise<string> {
  const { stdout } = await run("npx", ["tsx", "scripts/keys.ts", "create", "--name", name, "--scopes", scopes.join(","), "--persist-to", persistTo, "--json"], {
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });
  const created = JSON.parse(stdout.trim()) as { key?: unknown };
  if (typeof created.key !== "string") throw new Error("npm run keys -- create printed no key");
  return created.key;
}
