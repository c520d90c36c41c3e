import { encode as encodePng } from "fast-png";
import type { RgbImage } from "../../src/image/rgb-image";
import { decodeImage } from "../../src/image/decode-image";
import { bonafideScore } from "../../src/liveness/score";
import type { ModelRegistry } from "../../src/models/model-registry";
import { cropWindow, extractCrop } from "../../src/preprocess/crop";
import { preprocess } from "../../src/preprocess/preprocess";
import { golden, goldenImage } from "./golden";
import { pattern } from "./images";

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

const toPng = (image: RgbImage): Uint8Array =>
  encodePng({ width: image.width, height: image.height, data: image.data, channels: 3, depth: 8 });

function blend(a: RgbImage, b: RgbImage, t: number): RgbImage {
  const data = new Uint8Array(a.data.length);
  for (let i = 0; i < data.length; i++) data[i] = Math.round((1 - t) * (a.data[i] ?? 0) + t * (b.data[i] ?? 0));
  return { width: a.width, height: a.height, data };
}

function mapped(a: RgbImage, f: (v: number, i: number) => number): RgbImage {
  return { width: a.width, height: a.height, data: a.data.map(f) };
}

/**
 * Finds, for whatever models are deployed, frames inside and outside the uncertainty band by
 * scoring them with the serving student: the golden face crop and variations of it, and, when
 * none of those lands in the band, blends between a frame below the band and one above it
 * (bisection on the blend weight: the score moves continuously enough to land inside).
 */
export async function findBandFrames(registry: ModelRegistry): Promise<BandFrames> {
  const manifest = await registry.manifest();
  const band = manifest.serving.uncertaintyBand;
  const student = await registry.student();
  const score = async (image: RgbImage): Promise<ScoredFrame> => {
    const png = toPng(image);
    const { image: decoded } = decodeImage(png, { minSide: 1, maxPixels: 1 << 24 });
    const { tensor } = preprocess(decoded, undefined, student.card.preprocess);
    const studentScore = bonafideScore(await student.run(tensor), student.card.output.bonafideIndex);
    return { png, studentScore };
  };
  const inside = (s: number) => s >= band[0] && s <= band[1];

  const g = await golden();
  const { image: frame } = decodeImage(await goldenImage("png"), { minSide: 1, maxPixels: 1 << 24 });
  const window = cropWindow(frame.width, frame.height, g.box ?? undefined, student.card.preprocess.cropScale);
  const face: RgbImage = { width: window.side, height: window.side, data: Uint8Array.from(extractCrop(frame, window), (v) => Math.round(v)) };
  const candidates: RgbImage[] = [
    face,
    mapped(face, (v) => 255 - v),
    mapped(face, (_, i) => face.data[i - (i % 3)] ?? 0),
    mapped(face, () => 128),
    { width: face.width, height: face.height, data: pattern(face.width, face.height) },
    mapped(face, (v, i) => (i % 3 === 0 ? 255 - v : v)),
    mapped(face, (v) => Math.min(255, v * 2)),
    mapped(face, (v) => v >> 2),
  ];
  const scored = await Promise.all(candidates.map(async (image) => ({ image, ...(await score(image)) })));
  const confident = scored.filter((s) => !inside(s.studentScore)).map(({ png, studentScore }) => ({ png, studentScore }));
  const direct = scored.find((s) => inside(s.studentScore));
  if (direct) return { band, inBand: { png: direct.png, studentScore: direct.studentScore }, confident };

  const below = scored.filter((s) => s.studentScore < band[0]);
  const above = scored.filter((s) => s.studentScore > band[1]);
  for (const lo of below) {
    for (const hi of above) {
      let [t0, t1] = [0, 1];
      for (let step = 0; step < 30; step++) {
        const t = (t0 + t1) / 2;
        const mid = await score(blend(lo.image, hi.image, t));
        if (inside(mid.studentScore)) return { band, inBand: mid, confident };
        if (mid.studentScore < band[0]) t0 = t;
        else t1 = t;
      }
    }
  }
  throw new Error(
    `no test frame lands in the uncertainty band [${band.join(", ")}]: student scores ${scored.map((s) => s.studentScore.toFixed(4)).join(", ")}`,
  );
}
