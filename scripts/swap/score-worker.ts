// Child process of `npm run swap`: scores its share of the frames and sends the scores back.

import { readFileSync } from "node:fs";
import type { Sample } from "./dataset";
import { createSession } from "./ort-node";
import { scoreFrames, type ScoringModel } from "./score";

export interface WorkerModel {
  id: string;
  file: string;
  preprocess: ScoringModel["preprocess"];
  bonafideIndex: number;
  inputName: string;
  outputName: string;
  holdout?: string[] | undefined;
}

export interface WorkerRequest {
  models: WorkerModel[];
  frames: Array<{ sample: Sample; index: number }>;
}

process.once("message", (msg: unknown) => {
  void (async () => {
    const req = msg as WorkerRequest;
    const models: ScoringModel[] = [];
    for (const m of req.models) {
      const session = await createSession(new Uint8Array(readFileSync(m.file)));
      models.push({ ...m, run: (feeds) => session.run(feeds) });
    }
    const result = await scoreFrames(models, req.frames, (done) => {
      if (done % 100 === 0) process.send!({ progress: done });
    });
    process.send!({ result }, () => process.exit(0));
  })().catch((e: unknown) => {
    process.send!({ error: e instanceof Error ? (e.stack ?? e.message) : String(e) }, () => process.exit(1));
  });
});
