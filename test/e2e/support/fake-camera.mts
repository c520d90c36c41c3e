import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { FasEdgeClient, type LivenessResponse } from "../../../src/client/index";
import { faceGuide } from "../../../src/pages/face-guide";

const run = promisify(execFile);

export interface FrameSize {
  readonly width: number;
  readonly height: number;
}

/** Camera frames of the fake device (4:3, what the page asks for). */
export const FRAME: FrameSize = { width: 640, height: 480 };

export interface Candidate {
  readonly id: string;
  /** Size of the camera frame the candidate is placed in. */
  readonly frame: FrameSize;
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
 * demo page's oval in a `frame`-sized camera frame (test/e2e/make_fake_camera.py); with
 * `attacksPerInstrument` 0, bona fide faces only.
 */
export async function makeCandidates(dir: string, cropScale: number, frame: FrameSize = FRAME, { attacksPerInstrument = 4 } = {}): Promise<Candidate[]> {
  const guide = faceGuide(frame.width, frame.height).box;
  await run(
    "sh",
    [
      "training/py",
      "test/e2e/make_fake_camera.py",
      "--out", dir,
      "--guide", guide.join(","),
      "--width", String(frame.width),
      "--height", String(frame.height),
      "--crop-scale", String(cropScale),
      "--attacks-per-instrument", String(attacksPerInstrument),
    ],
    { maxBuffer: 1 << 24 },
  );
  const listed = JSON.parse(readFileSync(join(dir, "candidates.json"), "utf8")) as { candidates: Candidate[] };
  return listed.candidates.map((c) => ({ ...c, frame, png: join(dir, c.png), yuv: join(dir, c.yuv) }));
}

/** Asks the running service about every candidate, sending the frame and the oval's box as the page does. */
export async function scoreCandidates(client: FasEdgeClient, candidates: readonly Candidate[]): Promise<ScoredCandidate[]> {
  const scored: ScoredCandidate[] = [];
  for (const c of candidates) {
    const box = faceGuide(c.frame.width, c.frame.height).box;
    scored.push({ ...c, answer: await client.assess(new Uint8Array(readFileSync(c.png)), { box }) });
  }
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
  const { width, height } = candidate.frame;
  const expected = (width * height * 3) / 2;
  if (frame.length !== expected) throw new Error(`${candidate.yuv}: ${frame.length} bytes, expected ${expected}`);
  const header = Buffer.from(`YUV4MPEG2 W${width} H${height} F30:1 Ip A1:1 C420jpeg\n`);
  const marker = Buffer.from("FRAME\n");
  writeFileSync(path, Buffer.concat([header, ...Array.from({ length: frames }, () => [marker, frame]).flat()]));
}

export function summary(scored: readonly ScoredCandidate[]): string {
  return scored.map((c) => `${c.id} ${c.label}/${c.instrument}: ${c.answer.decision} ${c.answer.score.toFixed(3)} (${c.answer.decidedBy})`).join("\n");
}
