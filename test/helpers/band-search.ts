import { encode as encodePng } from "fast-png";
import type { RgbImage } from "../../src/image/rgb-image";
import { pattern } from "./images";

/** Where a frame's student score lies relative to the uncertainty band. */
export type BandSide = "below" | "inside" | "above";

export interface Classified {
  readonly png: Uint8Array;
  readonly side: BandSide;
}

export const toPng = (image: RgbImage): Uint8Array =>
  encodePng({ width: image.width, height: image.height, data: image.data, channels: 3, depth: 8 });

function blend(a: RgbImage, b: RgbImage, t: number): RgbImage {
  const data = new Uint8Array(a.data.length);
  for (let i = 0; i < data.length; i++) data[i] = Math.round((1 - t) * (a.data[i] ?? 0) + t * (b.data[i] ?? 0));
  return { width: a.width, height: a.height, data };
}

const mapped = (a: RgbImage, f: (v: number, i: number) => number): RgbImage => ({ width: a.width, height: a.height, data: a.data.map(f) });

/** The face crop and variations of it (inverted, grey, flat, a test pattern, channel and level changes). */
export function faceVariants(face: RgbImage): RgbImage[] {
  return [
    face,
    mapped(face, (v) => 255 - v),
    mapped(face, (_, i) => face.data[i - (i % 3)] ?? 0),
    mapped(face, () => 128),
    { width: face.width, height: face.height, data: pattern(face.width, face.height) },
    mapped(face, (v, i) => (i % 3 === 0 ? 255 - v : v)),
    mapped(face, (v) => Math.min(255, v * 2)),
    mapped(face, (v) => v >> 2),
  ];
}

/**
 * Finds frames inside and outside the uncertainty band for whatever models are deployed: the
 * variants first, then, when none lands inside, blends between a variant below the band and one
 * above it (bisection on the blend weight: the score moves continuously enough to land inside a
 * band of some width). `inBand` is absent when nothing lands inside (for example a band of zero
 * width); `variants` are the variants' results either way.
 */
export async function searchBand<T extends Classified>(
  face: RgbImage,
  classify: (png: Uint8Array) => Promise<T>,
): Promise<{ inBand?: T; confident: T[]; variants: T[] }> {
  const scored = [];
  for (const image of faceVariants(face)) scored.push({ image, result: await classify(toPng(image)) });
  const variants = scored.map((s) => s.result);
  const confident = variants.filter((r) => r.side !== "inside");
  const direct = variants.find((r) => r.side === "inside");
  if (direct) return { inBand: direct, confident, variants };
  const lo = scored.find((s) => s.result.side === "below");
  const hi = scored.find((s) => s.result.side === "above");
  if (lo && hi) {
    let [t0, t1] = [0, 1];
    for (let step = 0; step < 24; step++) {
      const t = (t0 + t1) / 2;
      const mid = await classify(toPng(blend(lo.image, hi.image, t)));
      if (mid.side === "inside") return { inBand: mid, confident, variants };
      if (mid.side === "below") t0 = t;
      else t1 = t;
    }
  }
  return { confident, variants };
}

/**
 * A band around one of `scores` that holds none of the others: for models whose manifest band
 * no test frame can land in. Picks the score farthest from its neighbours.
 */
export function bandAround(scores: readonly number[], maxHalfWidth = 0.02): { index: number; band: [number, number] } {
  let best = { index: -1, gap: -1 };
  scores.forEach((s, i) => {
    const gap = Math.min(...scores.filter((_, j) => j !== i).map((o) => Math.abs(o - s)), 1);
    if (gap > best.gap) best = { index: i, gap };
  });
  const s = scores[best.index];
  if (s === undefined || !(best.gap > 0)) throw new Error(`no score stands apart from the others: ${scores.join(", ")}`);
  const half = Math.min(best.gap / 2, maxHalfWidth);
  return { index: best.index, band: [Math.max(0, s - half), Math.min(1, s + half)] };
}
