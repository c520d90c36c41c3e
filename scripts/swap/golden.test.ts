import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ManifestSchema } from "../../src/models/manifest-schema";
import { preprocess } from "../../src/preprocess/preprocess";
import type { FaceBox } from "../../src/preprocess/crop";
import { loadImage } from "./dataset";
import { createSession, ort } from "./ort-node";
import { scoreFrom } from "./score";

const GOLDEN = "models/golden/golden.json";
const ready = existsSync(GOLDEN) && existsSync("models/manifest.json");

interface Golden {
  image: string;
  box: FaceBox | null;
  models: Record<string, { logits: number[]; score: number }>;
}

describe.skipIf(!ready)("evaluation harness vs the golden fixture", () => {
  it(
    "reproduces each model's golden logits and score with the service's decode + preprocess and onnxruntime-web in Node",
    async () => {
      const golden = JSON.parse(readFileSync(GOLDEN, "utf8")) as Golden;
      const manifest = ManifestSchema.parse(JSON.parse(readFileSync("models/manifest.json", "utf8")));
      const image = loadImage(join("models/golden", golden.image));
      const ids = Object.keys(golden.models).filter((id) => manifest.models[id]);
      expect(ids.length).toBeGreaterThan(0);
      for (const id of ids) {
        const card = manifest.models[id]!;
        const x = preprocess(image, golden.box ?? undefined, card.preprocess);
        const session = await createSession(new Uint8Array(readFileSync(join("models", card.file))));
        const out = await session.run({ [card.input.name]: new ort.Tensor("float32", x.tensor, [...x.dims]) });
        const logits = Array.from(out[card.output.name]!.data as Float32Array);
        await session.release();
        const g = golden.models[id]!;
        logits.forEach((v, i) => expect(Math.abs(v - g.logits[i]!), `${id} logit ${i}`).toBeLessThan(1e-3));
        expect(Math.abs(scoreFrom(Float32Array.from(logits), card.output.bonafideIndex) - g.score), id).toBeLessThan(1e-4);
      }
    },
    120_000,
  );
});
