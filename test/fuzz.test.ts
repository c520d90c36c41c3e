import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readConfig } from "../src/config";
import { LivenessResponseSchema } from "../src/schemas/liveness";
import { PROBLEM_MEDIA_TYPE, ProblemSchema } from "../src/schemas/problem";
import { TeacherResponseSchema } from "../src/schemas/teacher";
import { corpusImage, fuzzCase, TEACHER_PATH, type CorpusImage, type FuzzCase, type FuzzLimits } from "./helpers/fuzz";
import { goldenImage } from "./helpers/golden";
import { jpegOf, png, pngIccpBomb } from "./helpers/images";
import { post, send } from "./helpers/worker";

/**
 * Seeded fuzzing of POST /v1/liveness (and the teacher route, which reads input the same way)
 * through the real Worker, onnxruntime-web and models. The run comes from FUZZ_* bindings
 * (vitest.config.ts passes the FUZZ_* environment variables; `npm run fuzz` makes a long run of
 * it): FUZZ_SEED, FUZZ_CASES cases from index FUZZ_FROM, FUZZ_CASE (that case index alone) and
 * FUZZ_CASE_MS (time bound per case). Case k of a seed is the same whatever else runs.
 */

const vars = env as unknown as Record<string, unknown>;

function setting(name: string, fallback: number): number {
  const raw = vars[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${String(raw)}"`);
  return n;
}

const SEED = setting("FUZZ_SEED", 20_261_129);
const FROM = setting("FUZZ_FROM", 0);
const CASES = setting("FUZZ_CASES", 320);
const ONLY = vars.FUZZ_CASE === undefined || vars.FUZZ_CASE === "" ? undefined : setting("FUZZ_CASE", 0);
const CASE_MS = setting("FUZZ_CASE_MS", 10_000);
const BATCH = 80;

/** The statuses README's table gives POST /v1/liveness for a POST (503 aside: a fuzz case must never cause one). */
const DOCUMENTED = new Set([200, 400, 401, 403, 409, 413, 415, 422, 429]);

const config = readConfig(env);
const limits: FuzzLimits = { maxBodyBytes: config.maxBodyBytes, maxImagePixels: config.maxImagePixels, minImageSide: config.minImageSide };
let corpus: CorpusImage[] = [];

/** What a case got (its request, bodies of up to MAX_BODY_BYTES, is not kept). */
interface Result {
  readonly class: FuzzCase["class"];
  readonly label: string;
  readonly status: number | "timeout" | "error";
  readonly ms: number;
}
const results: Result[] = [];
/** performance.now() once the Worker is warm: the cases' own run time is reported from here. */
let started = 0;

const label = (c: FuzzCase) => `seed ${c.seed} case ${c.index} [${c.class}: ${c.variant}] ${c.path}`;
const reproduce = (c: FuzzCase) => `FUZZ_SEED=${c.seed} FUZZ_CASE=${c.index} npx vitest run --project workers test/fuzz.test.ts`;

/** Sends one case and returns what is wrong with the answer (empty: nothing). */
async function check(c: FuzzCase): Promise<string[]> {
  const t0 = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), CASE_MS);
  });
  let answer: { response: Response; text: string } | "timeout";
  try {
    answer = await Promise.race([
      (async () => {
        const response = await send(c.path, c.init);
        return { response, text: await response.text() };
      })(),
      deadline,
    ]);
  } catch (error) {
    results.push({ class: c.class, label: label(c), status: "error", ms: performance.now() - t0 });
    return [`the request failed: ${error instanceof Error ? error.message : String(error)}`];
  } finally {
    clearTimeout(timer);
  }
  const ms = performance.now() - t0;
  if (answer === "timeout") {
    results.push({ class: c.class, label: label(c), status: "timeout", ms });
    return [`no answer within ${CASE_MS} ms`];
  }
  const { response, text } = answer;
  const status = response.status;
  results.push({ class: c.class, label: label(c), status, ms });
  const problems: string[] = [];
  const type = response.headers.get("content-type") ?? "";
  if (status >= 500) problems.push(`status ${status}`);
  else if (!DOCUMENTED.has(status)) problems.push(`status ${status} is not in README's table`);
  if (c.garbage && !(status >= 400 && status < 500)) problems.push(`status ${status} for input that is garbage by construction (4xx expected)`);
  if (c.status !== undefined && status !== c.status) problems.push(`status ${status}, README's table says ${c.status}`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    problems.push(`body is not JSON: ${text.slice(0, 120)}`);
    return problems;
  }
  if (status === 200) {
    if (!type.startsWith("application/json")) problems.push(`200 with content-type ${type}`);
    const schema = c.path === TEACHER_PATH ? TeacherResponseSchema : LivenessResponseSchema;
    const parsed = schema.safeParse(json);
    if (!parsed.success) problems.push(`200 body does not match the response schema: ${parsed.error.message}`);
  } else {
    if (type !== PROBLEM_MEDIA_TYPE) problems.push(`${status} with content-type ${type}`);
    const parsed = ProblemSchema.safeParse(json);
    if (!parsed.success) problems.push(`${status} body is not problem details: ${parsed.error.message}`);
    else if (parsed.data.status !== status) problems.push(`problem status ${parsed.data.status} differs from HTTP ${status}`);
    for (const key of ["decision", "score"]) if (json && typeof json === "object" && key in json) problems.push(`${status} body carries "${key}"`);
  }
  return problems;
}

function indices(): number[][] {
  if (ONLY !== undefined) return [[ONLY]];
  const batches: number[][] = [];
  for (let from = FROM; from < FROM + CASES; from += BATCH) {
    batches.push(Array.from({ length: Math.min(BATCH, FROM + CASES - from) }, (_, i) => from + i));
  }
  return batches;
}

beforeAll(async () => {
  corpus = [
    corpusImage("golden.png", await goldenImage("png")),
    corpusImage("golden.jpg", await goldenImage("jpeg")),
    corpusImage("pattern-96x80.png", png(96, 80)),
    corpusImage("pattern-33x40.png", png(33, 40)),
    corpusImage("pattern-128x96.jpg", jpegOf(128, 96)),
    corpusImage("pattern-64x64-q50.jpg", jpegOf(64, 64, 50)),
    // ordinary pixels behind an ICC profile that inflates to 16 MiB: a frame, never a cost
    corpusImage("iccp-bomb-64x64.png", await pngIccpBomb(64, 64, 16 * 1024 * 1024)),
  ];
  console.log(
    `fuzz: seed ${SEED}, ${ONLY === undefined ? `cases ${FROM}..${FROM + CASES - 1}` : `case ${ONLY} only`}, ${CASE_MS} ms per case, ` +
      `MAX_BODY_BYTES ${limits.maxBodyBytes}, corpus ${corpus.map((c) => c.name).join(", ")}`,
  );
  // the first request loads onnxruntime and the student: keep that out of the per-case bound
  const warm = await post(await goldenImage("png"), "image/png");
  expect(warm.status, await warm.text()).toBe(200);
  started = performance.now();
}, 180_000);

afterAll(() => {
  if (results.length === 0) return;
  const byClass = new Map<string, Map<string, number>>();
  for (const r of results) {
    const counts = byClass.get(r.class) ?? new Map<string, number>();
    counts.set(String(r.status), (counts.get(String(r.status)) ?? 0) + 1);
    byClass.set(r.class, counts);
  }
  const slowest = results.reduce((a, b) => (b.ms > a.ms ? b : a));
  const lines = [...byClass].map(([cls, counts]) => `  ${cls}: ${[...counts].sort().map(([s, n]) => `${s} x${n}`).join(", ")}`);
  console.log(
    `fuzz: seed ${SEED}, ${results.length} cases in ${((performance.now() - started) / 1000).toFixed(1)} s (after warm-up)\n${lines.join("\n")}\n` +
      `  slowest: ${slowest.ms.toFixed(0)} ms, ${slowest.label}`,
  );
});

describe(`POST /v1/liveness fuzz (seed ${SEED})`, () => {
  for (const batch of indices()) {
    const name = batch.length === 1 ? `case ${batch[0]}` : `cases ${batch[0]}..${batch[batch.length - 1]}`;
    it(`${name}: no 5xx, no hang, problem details or a valid decision, never a decision on garbage`, async () => {
      const failures: string[] = [];
      for (const index of batch) {
        const c = fuzzCase(SEED, index, corpus, limits);
        const problems = await check(c);
        if (problems.length) failures.push(`${label(c)}: ${problems.join("; ")}\n    reproduce: ${reproduce(c)}`);
      }
      expect(failures, failures.join("\n")).toEqual([]);
    }, batch.length * CASE_MS + 60_000);
  }
});
