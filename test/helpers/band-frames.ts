import type { RgbImage } from "../../src/image/rgb-image";
import { decodeImage } from "../../src/image/decode-image";
import { bonafideScore } from "../../src/liveness/score";
import type { ModelRegistry } from "../../src/models/model-registry";
import { cropWindow, extractCrop } from "../../src/preprocess/crop";
import { preprocess } from "../../src/preprocess/preprocess";
import { golden, goldenImage } from "./golden";
import { searchBand, type BandSide } from "./band-search";

/** A PNG face crop and the serving student's score for it. */
export interface ScoredFrame {
  readonly png: Uint8Array;
  readonly studentScore: number;
}

export interface BandFrames {
  readonly band: readonly [number, number];
  /** A frame whose student score lies inside the manifest's uncertainty band (it goes to the teacher). */
  readonly inBand: ScoredFrame;
  /** Frames the student decides on its own (score outside the band). */
  readonly confident: readonly ScoredFrame[];
}

/**
 * Frames inside and outside the uncertainty band for whatever models are deployed, found by
 * scoring variations of the golden face crop with the serving student (see searchBand).
 */
export async function findBandFrames(registry: ModelRegistry): Promise<BandFrames> {
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
  return { band, inBand: found.inBand, confident: found.confident };
}
