import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { FasEdgeClient, type LivenessResponse } from "../../../src/client/index";
import { faceGuide } from "../../../src/pages/face-guide";

const run = promisify(execFile);

/** Camera frames of the fake device (4:3, what the page asks for). */
export const FRAME = { width: 640, height: 480 } as const;

export interface Candidate {
  readonly id: string;
  readonly label: "bonafide" | "attack";
  readonly species: string;
  readonly instrument: string;
  /** PNG of the frame as the browser will decode it from the .y4m. */
  readonly png: string;
  /** The same frame as raw I420. */
  readonly yuv: string;
}

export interface ScoredCandidate extends Candidate {
  readonly answer: LivenessResponse;
}

/**
 * Candidate frames from the project's synthetic generator, each placed so that its face fills the
 * demo page's oval (test/e2e/make_fake_camera.py).
 */
export async function makeCandidates(dir: string, cropScale: number): Promise<Candidate[]> {
  const guide = faceGuide(FRAME.width, FRAME.height).box;
  await run(
    "sh",
    [
      "training/py",
      "test/e2e/make_fake_camera.py",
      "--out", dir,
      "--guide", guide.join(","),
      "--width", String(FRAME.width),
      "--height", String(FRAME.height),
      "--crop-scale", String(cropScale),
    ],
    { maxBuffer: 1 << 24 },
  );
  const listed = JSON.parse(readFileSync(join(dir, "candidates.json"), "utf8")) as { candidates: Candidate[] };
  return listed.candidates.map((c) => ({ ...c, png: join(dir, c.png), yuv: join(dir, c.yuv) }));
}

/** Asks the running service about every candidate, sending the frame and the oval's box as the page does. */
export async function scoreCandidates(client: FasEdgeClient, candidates: readonly Candidate[]): Promise<ScoredCandidate[]> {
  const box = faceGuide(FRAME.width, FRAME.height).box;
  const scored: ScoredCandidate[] = [];
  for (const c of candidates) scored.push({ ...c, answer: await client.assess(new Uint8Array(readFileSync(c.png)), { box }) });
  return scored;
}

/**
 * The candidate of a class that the served cascade decides most confidently for that class
 * (bona fide: `live` with the highest score; attack: `spoof` with the lowest), or undefined.
 */
export function mostConfident(scored: readonly ScoredCandidate[], label: Candidate["label"]): ScoredCandidate | undefined {
  const want = label === "bonafide" ? "live" : "spoof";
  const fitting = scored.filter((c) => c.label === label && c.answer.decision === want);
  fitting.sort((a, b) => (label === "bonafide" ? b.answer.score - a.answer.score : a.answer.score - b.answer.score));
  return fitting[0];
}

/** A .y4m (I420) file that repeats one candidate frame; chromium's fake camera plays it in a loop. */
export function writeY4m(path: string, candidate: Candidate, frames = 4): void {
  const frame = readFileSync(candidate.yuv);
  const expected = (FRAME.width * FRAME.height * 3) / 2;
  if (frame.length !== expected) throw new Error(`${candidate.yuv}: ${frame.length} bytes, expected ${expected}`);
  const header = Buffer.from(`YUV4MPEG2 W${FRAME.width} H${FRAME.height} F30:1 Ip A1:1 C420jpeg\n`);
  const marker = Buffer.from("FRAME\n");
  writeFileSync(path, Buffer.concat([header, ...Array.from({ length: frames }, () => [marker, frame]).flat()]));
}

export function summary(scored: readonly ScoredCandidate[]): string {
  return scored.map((c) => `${c.id} ${c.label}/${c.instrument}: ${c.answer.decision} ${c.answer.score.toFixed(3)} (${c.answer.decidedBy})`).join("\n");
}
