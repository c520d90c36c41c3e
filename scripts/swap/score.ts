// Scoring the evaluation frames: decode once (src/image), preprocess once per distinct preprocess
// block (src/preprocess), run every model that wants the frame. Used in-process and by
// score-worker.ts when the frames are split across processes.

import type { Preprocess } from "../../src/models/manifest-schema";
import { preprocess } from "../../src/preprocess/preprocess";
import type { Scored } from "./metrics";
import { loadImage, type Sample } from "./dataset";
import { crossFrame } from "./cross";
import { ort } from "./ort-node";

export interface ScoredSample extends Scored {
  instrument: string;
  split: string;
  /** position of the frame in the evaluated list, so results from several processes line up */
  index: number;
}

export interface ScoringModel {
  id: string;
  preprocess: Preprocess;
  bonafideIndex: number;
  inputName: string;
  outputName: string;
  /** cross-protocol models: scored only on crossFrame(sample, holdout) */
  holdout?: string[] | undefined;
  run(feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>>;
}

export interface ScoreResult {
  scores: Record<string, ScoredSample[]>;
  decodeMs: number[];
  preprocessMs: Record<string, number[]>;
}

export function scoreFrom(logits: Float32Array, bonafideIndex: number): number {
  let m = Number.NEGATIVE_INFINITY;
  for (const v of logits) m = Math.max(m, v);
  let sum = 0;
  for (const v of logits) sum += Math.exp(v - m);
  return Math.exp(logits[bonafideIndex]! - m) / sum;
}

export async function scoreFrames(
  models: ScoringModel[],
  frames: Array<{ sample: Sample; index: number }>,
  progress?: (done: number) => void,
): Promise<ScoreResult> {
  const scores: Record<string, ScoredSample[]> = Object.fromEntries(models.map((m) => [m.id, []]));
  const decodeMs: number[] = [];
  const preprocessMs: Record<string, number[]> = {};
  for (let i = 0; i < frames.length; i++) {
    const { sample: s, index } = frames[i]!;
    const d0 = performance.now();
    const image = loadImage(s.path);
    decodeMs.push(performance.now() - d0);
    const tensors = new Map<string, Float32Array>();
    for (const m of models) {
      if (m.holdout && !crossFrame(s, m.holdout)) continue;
      const key = JSON.stringify(m.preprocess);
      let t = tensors.get(key);
      if (!t) {
        const p0 = performance.now();
        t = preprocess(image, s.box, m.preprocess).tensor;
        const label = `${m.preprocess.size[0]}x${m.preprocess.size[1]} crop x${m.preprocess.cropScale}`;
        (preprocessMs[label] ??= []).push(performance.now() - p0);
        tensors.set(key, t);
      }
      const [h, w] = m.preprocess.size;
      const out = await m.run({ [m.inputName]: new ort.Tensor("float32", t, [1, 3, h, w]) });
      const logits = out[m.outputName]!.data as Float32Array;
      scores[m.id]!.push({ score: scoreFrom(logits, m.bonafideIndex), label: s.label, species: s.species, instrument: s.instrument, split: s.split, index });
    }
    progress?.(i + 1);
  }
  return { scores, decodeMs, preprocessMs };
}
