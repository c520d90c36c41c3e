/**
 * API keys of the service: create, list and revoke them in the API_KEYS KV namespace. Only the
 * SHA-256 of a key is stored; the key itself is printed once, at creation.
 *
 *   npm run keys -- create --name "ios app" --scopes liveness[,teacher,metrics]
 *   npm run keys -- list
 *   npm run keys -- revoke <id>
 *
 * Options: --remote (the deployed namespace; default: the local one that `npm run dev` uses),
 * --persist-to DIR (local state folder, as for wrangler dev), --json (machine-readable output).
 */
import { spawnSync } from "node:child_process";
import { ApiKeyRecordSchema, KV_KEY_PREFIX, SCOPES, ScopeSchema, generateApiKey, keyIdOf, kvKeyOf, sha256Hex, type ApiKeyRecord } from "../src/auth/api-key";

interface Options {
  readonly remote: boolean;
  readonly persistTo?: string;
  readonly json: boolean;
}

function wrangler(args: string[], options: Options): string {
  const where = options.remote ? ["--remote"] : ["--local", ...(options.persistTo ? ["--persist-to", options.persistTo] : [])];
  const result = spawnSync("npx", ["wrangler", "kv", "key", ...args, "--binding", "API_KEYS", ...where], {
    encoding: "utf8",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });
  if (result.status !== 0) throw new Error(`wrangler kv key ${args[0]} failed:\n${result.stderr || result.stdout}`);
  return result.stdout;
}

function put(record: ApiKeyRecord, hash: string, options: Options): void {
  const value = JSON.stringify(record);
  wrangler(["put", kvKeyOf(hash), value, "--metadata", value], options);
}

function list(options: Options, prefix = KV_KEY_PREFIX): { hash: string; record: ApiKeyRecord }[] {
  const out = wrangler(["list", "--prefix", prefix], options);
  const entries = JSON.parse(out.slice(out.indexOf("["))) as { name: string; metadata?: unknown }[];
  return entries.flatMap(({ name, metadata }) => {
    const parsed = ApiKeyRecordSchema.safeParse(metadata);
    return parsed.success ? [{ hash: name.slice(KV_KEY_PREFIX.length), record: parsed.data }] : [];
  });
}

function parseArgs(argv: string[]): { command: string | undefined; positional: string[]; flags: Map<string, string | true> } {
  const flags = new Map<string, string | true>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (arg.startsWith("--")) {
      const next = argv[i + 1];
      if (["--name", "--scopes", "--persist-to"].includes(arg) && next !== undefined) {
        flags.set(arg, next);
        i++;
      } else flags.set(arg, true);
    } else positional.push(arg);
  }
  return { command: positional.shift(), positional, flags };
}

async function main(argv: string[]): Promise<number> {
  const { command, positional, flags } = parseArgs(argv);
  const persistTo = flags.get("--persist-to");
  const options: Options = { remote: flags.has("--remote"), json: flags.has("--json"), ...(typeof persistTo === "string" ? { persistTo } : {}) };
  const print = (human: string, data: unknown) => console.log(options.json ? JSON.stringify(data) : human);

  if (command === "create") {
    const name = flags.get("--name");
    const scopes = String(flags.get("--scopes") ?? "liveness").split(",").map((s) => s.trim());
    const bad = scopes.filter((s) => !ScopeSchema.safeParse(s).success);
    if (typeof name !== "string" || !name.trim() || bad.length > 0) {
      console.error(`usage: keys create --name NAME [--scopes ${SCOPES.join(",")}]${bad.length ? ` (unknown scope ${bad.join(", ")})` : ""}`);
      return 2;
    }
    const key = generateApiKey();
    const hash = await sha256Hex(key);
    const record: ApiKeyRecord = { id: keyIdOf(hash), name: name.trim(), scopes: ScopeSchema.array().parse(scopes), createdAt: new Date().toISOString() };
    put(record, hash, options);
    print(`created ${record.id} "${record.name}" (${record.scopes.join(", ")})\nAPI key, shown only now: ${key}`, { ...record, key });
    return 0;
  }
  if (command === "list") {
    const keys = list(options).map(({ record }) => record);
    print(
      keys.length === 0
        ? "no keys"
        : keys.map((k) => `${k.id}  ${k.revokedAt ? `revoked ${k.revokedAt}` : "active"}  ${k.scopes.join(",")}  ${k.name}  (created ${k.createdAt})`).join("\n"),
      keys,
    );
    return 0;
  }
  if (command === "revoke") {
    const id = positional[0] ?? "";
    if (!/^[0-9a-f]{12}$/.test(id)) {
      console.error("usage: keys revoke ID (the 12 hex digits that `keys list` shows)");
      return 2;
    }
    const found = list(options, `${KV_KEY_PREFIX}${id}`);
    const entry = found[0];
    if (!entry || found.length > 1) {
      console.error(found.length > 1 ? `id ${id} is ambiguous` : `no key with id ${id}`);
      return 1;
    }
    const record: ApiKeyRecord = { ...entry.record, revokedAt: entry.record.revokedAt ?? new Date().toISOString() };
    put(record, entry.hash, options);
    print(`revoked ${record.id} "${record.name}" at ${record.revokedAt}`, record);
    return 0;
  }
  console.error("usage: keys create --name NAME [--scopes liveness,teacher,metrics] | keys list | keys revoke ID  [--remote | --persist-to DIR] [--json]");
  return 2;
}

process.exitCode = await main(process.argv.slice(2));
