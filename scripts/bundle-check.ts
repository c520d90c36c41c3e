/**
 * Bundle size check: builds the Worker exactly as `wrangler deploy` would (`--dry-run`), then
 * prints raw and gzip sizes per uploaded module and in total, against the Workers plan limits
 * (Free 3 MiB, Paid 10 MiB compressed). Static assets (the models) are listed separately: they
 * do not count towards the script size. Exits 1 when the script is over the Paid limit.
 *
 *   npm run bundle:check            (writes to dist/)
 *   npm run bundle:check -- --outdir /tmp/out
 *   npm run bundle:check -- --outdir /tmp/out --no-build   (sizes of an existing build)
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";

const MIB = 1024 * 1024;
const FREE_LIMIT = 3 * MIB;
const PAID_LIMIT = 10 * MIB;
const TARGET = 5 * MIB;

const args = process.argv.slice(2);
const outdirFlag = args.indexOf("--outdir");
const outdir = resolve(outdirFlag >= 0 ? (args[outdirFlag + 1] ?? "dist") : "dist");
const build = !args.includes("--no-build");
// dist/ and .cache/ are build output: start them empty so that no stale module is counted
const ownFolder = outdir === resolve("dist") || outdir.startsWith(resolve(".cache") + "/");
if (build && ownFolder) rmSync(outdir, { recursive: true, force: true });

const wranglerOutput = build
  ? execFileSync("npx", ["wrangler", "deploy", "--dry-run", "--outdir", outdir], {
      encoding: "utf8",
      env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
      stdio: ["ignore", "pipe", "inherit"],
    })
  : "";
const wranglerTotal = /Total Upload: .*/.exec(wranglerOutput)?.[0];

const fmt = (bytes: number): string => `${(bytes / MIB).toFixed(2)} MiB`.padStart(10);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

const modules = files(outdir).filter((f) => !f.endsWith(".map") && !f.endsWith("README.md"));
let raw = 0;
let gzip = 0;
console.log(`Worker script modules (${outdir}):`);
for (const file of modules.sort()) {
  const bytes = readFileSync(file);
  const gz = gzipSync(bytes, { level: 9 }).length;
  raw += bytes.length;
  gzip += gz;
  console.log(`  ${fmt(bytes.length)} raw ${fmt(gz)} gzip  ${file.slice(outdir.length + 1)}`);
}
console.log(`  ${fmt(raw)} raw ${fmt(gzip)} gzip  TOTAL`);
if (wranglerTotal) console.log(`  wrangler: ${wranglerTotal}`);

const config = readFileSync("wrangler.toml", "utf8");
const assetsDir = /\[assets\][^[]*?directory\s*=\s*"([^"]+)"/s.exec(config)?.[1];
if (assetsDir) {
  console.log(`\nStatic assets (${assetsDir}; not counted in the script size, 25 MiB per file):`);
  for (const file of files(assetsDir).sort()) {
    const size = statSync(file).size;
    if (size > 64 * 1024) console.log(`  ${fmt(size)} raw  ${file.slice(assetsDir.length + 1)}`);
  }
}

const verdict = (limit: number) => (gzip <= limit ? "fits" : `over by ${fmt(gzip - limit).trim()}`);
console.log(`\nScript gzip ${fmt(gzip).trim()}: Free plan (3 MiB) ${verdict(FREE_LIMIT)}; Paid plan (10 MiB) ${verdict(PAID_LIMIT)}; target 5 MiB ${verdict(TARGET)}.`);
if (gzip > PAID_LIMIT) process.exit(1);
