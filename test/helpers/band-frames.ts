import type { RgbImage } from "../../src/image/rgb-image";
import { decodeImage } from "../../src/image/decode-image";
import { bonafideScore } from "../../src/liveness/score";
import type { ModelStore } from "../../src/models/asset-model-store";
import type { Manifest, ModelCard } from "../../src/models/manifest-schema";
import { ModelRegistry } from "../../src/models/model-registry";
import { cropWindow, extractCrop } from "../../src/preprocess/crop";
import { preprocess } from "../../src/preprocess/preprocess";
import { bandAround, searchBand, type BandSide } from "./band-search";
import { golden, goldenImage } from "./golden";

/** A PNG face crop and the serving student's score for it. */
export interface ScoredFrame {
  readonly png: Uint8Array;
  readonly studentScore: number;
}

export interface BandFrames {
  /** The registry to serve with: the manifest's models, with the band the frames were chosen for. */
  readonly registry: ModelRegistry;
  readonly band: readonly [number, number];
  /** "manifest": the manifest's own band; "test": a band set around a test frame (see findBandFrames). */
  readonly bandSource: "manifest" | "test";
  /** A frame whose student score lies inside the band (it goes to the teacher). */
  readonly inBand: ScoredFrame;
  /** Frames the student decides on its own (score outside the band). */
  readonly confident: readonly ScoredFrame[];
}

/** The same models and files, with serving.uncertaintyBand replaced. */
class BandOverrideStore implements ModelStore {
  constructor(
    private readonly inner: ModelStore,
    private readonly band: readonly [number, number],
  ) {}
  async manifest(): Promise<Manifest> {
    const manifest = await this.inner.manifest();
    return { ...manifest, serving: { ...manifest.serving, uncertaintyBand: [this.band[0], this.band[1]] } };
  }
  modelBytes(card: ModelCard): Promise<Uint8Array> {
    return this.inner.modelBytes(card);
  }
}

/**
 * Frames inside and outside the uncertainty band for whatever models are deployed, found by
 * scoring variations of the golden face crop with the serving student (see searchBand). When no
 * frame lands in the manifest's band (a trained manifest can hold a band of zero width: no
 * fallback), the band is set around one test frame's score, with the same models and files.
 */
export async function findBandFrames(store: ModelStore): Promise<BandFrames> {
  const registry = new ModelRegistry(store);
  const manifest = await registry.manifest();
  const band = manifest.serving.uncertaintyBand;
  const student = await registry.student();
  const score = async (png: Uint8Array): Promise<number> => {
    const { image: decoded } = decodeImage(png, { minSide: 1, maxPixels: 1 << 24 });
    const { tensor } = preprocess(decoded, undefined, student.card.preprocess);
    return bonafideScore(await student.run(tensor), student.card.output.bonafideIndex);
  };

  const g = await golden();
  const { image: frame } = decodeImage(await goldenImage("png"), { minSide: 1, maxPixels: 1 << 24 });
  const window = cropWindow(frame.width, frame.height, g.box ?? undefined, student.card.preprocess.cropScale);
  const face: RgbImage = { width: window.side, height: window.side, data: Uint8Array.from(extractCrop(frame, window), (v) => Math.round(v)) };
  const found = await searchBand(face, async (png) => {
    const studentScore = await score(png);
    const side: BandSide = studentScore < band[0] ? "below" : studentScore > band[1] ? "above" : "inside";
    return { png, side, studentScore };
  });
  if (found.inBand) return { registry, band, bandSource: "manifest", inBand: found.inBand, confident: found.confident };

  const { index, band: testBand } = bandAround(found.variants.map((v) => v.studentScore));
  const inBand = found.variants[index];
  if (!inBand) throw new Error("no test frame");
  return {
    registry: new ModelRegistry(new BandOverrideStore(store, testBand)),
    band: testBand,
    bandSource: "test",
    inBand,
    confident: found.variants.filter((_, i) => i !== index),
  };
}
