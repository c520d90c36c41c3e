import { describe, expect, it } from "vitest";
import { asset, golden, goldenImage, goldenTensor } from "../../test/helpers/golden";
import { decodeImage } from "../image/decode-image";
import { ManifestSchema } from "../models/manifest-schema";
import { preprocess } from "./preprocess";

const limits = { minSide: 1, maxPixels: 1 << 26 };

async function setup() {
  const manifest = ManifestSchema.parse(JSON.parse(new TextDecoder().decode(await asset("manifest.json"))));
  const g = await golden();
  const ids = Object.keys(g.models).filter((id) => manifest.models[id]);
  expect(ids.length).toBeGreaterThan(0);
  return { manifest, g, ids };
}

function stats(t: Float32Array, channels: number) {
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of t) {
    sum += v;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const mean = sum / t.length;
  let sq = 0;
  for (const v of t) sq += (v - mean) ** 2;
  const plane = t.length / channels;
  const channelMean = Array.from({ length: channels }, (_, c) => t.subarray(c * plane, (c + 1) * plane).reduce((a, b) => a + b, 0) / plane);
  return { mean, std: Math.sqrt(sq / t.length), min, max, channelMean };
}

describe("preprocess against the Python golden fixture", () => {
  it("reproduces the training side's input tensor from the golden PNG within 1e-4, for every model", async () => {
    const { manifest, g, ids } = await setup();
    const { image } = decodeImage(await goldenImage("png"), limits);
    for (const id of ids) {
      const card = manifest.models[id]!;
      const expected = g.models[id]!;
      const { tensor, dims } = preprocess(image, g.box ?? undefined, card.preprocess);
      expect(dims).toEqual(card.input.shape);
      const reference = await goldenTensor(expected.input);
      expect(tensor.length).toBe(reference.length);
      let maxDiff = 0;
      for (let i = 0; i < tensor.length; i++) maxDiff = Math.max(maxDiff, Math.abs((tensor[i] ?? 0) - (reference[i] ?? 0)));
      console.log(`golden PNG, ${id}: max |TS - Python| = ${maxDiff.toExponential(2)}`);
      expect(maxDiff).toBeLessThanOrEqual(1e-4);

      const s = stats(tensor, 3);
      expect(s.mean).toBeCloseTo(expected.stats.mean, 4);
      expect(s.std).toBeCloseTo(expected.stats.std, 4);
      expect(s.min).toBeCloseTo(expected.stats.min, 4);
      expect(s.max).toBeCloseTo(expected.stats.max, 4);
      s.channelMean.forEach((m, c) => expect(m).toBeCloseTo(expected.stats.channelMean[c] ?? NaN, 4));
    }
  });

  it("gives the golden JPEG the input tensor the training side gets from OpenCV (libjpeg-turbo)", async () => {
    const { manifest, g, ids } = await setup();
    const { image } = decodeImage(await goldenImage("jpeg"), limits);
    for (const id of ids) {
      const card = manifest.models[id]!;
      const { tensor } = preprocess(image, g.box ?? undefined, card.preprocess);
      const reference = await goldenTensor(g.models[id]!.jpegInput);
      expect(tensor.length).toBe(reference.length);
      let maxDiff = 0;
      for (let i = 0; i < tensor.length; i++) maxDiff = Math.max(maxDiff, Math.abs((tensor[i] ?? 0) - (reference[i] ?? 0)));
      console.log(`golden JPEG, ${id}: max |TS - Python (OpenCV)| = ${maxDiff.toExponential(2)}`);
      // a baseline 4:2:0 JPEG: the sequential decoder's pixels equal libjpeg's, so the tensors agree
      // as closely as the PNG's do
      expect(maxDiff).toBeLessThanOrEqual(1e-4);
    }
  });
});
