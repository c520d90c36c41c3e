import type { RgbImage } from "../image/rgb-image";

/** A face box in pixels of the decoded image: [x, y, width, height]. */
export type FaceBox = readonly [number, number, number, number];

export interface CropWindow {
  readonly x0: number;
  readonly y0: number;
  readonly side: number;
}

/** JavaScript's Math.round and Python's round disagree on halves; the contract uses floor(v + 0.5). */
const roundHalfUp = (v: number): number => Math.floor(v + 0.5);

/**
 * The square crop of models/README.md step 1: around the face box scaled by `cropScale`, clamped
 * into the image; without a box, the centred square of side min(W, H).
 */
export function cropWindow(width: number, height: number, box: FaceBox | undefined, cropScale: number): CropWindow {
  if (!box) {
    const side = Math.min(width, height);
    return { side, x0: Math.floor((width - side) / 2), y0: Math.floor((height - side) / 2) };
  }
  const [x, y, w, h] = box;
  let side = roundHalfUp(Math.max(w, h) * cropScale);
  side = Math.max(1, Math.min(side, width, height));
  const cx = x + w / 2;
  const cy = y + h / 2;
  const x0 = Math.min(Math.max(roundHalfUp(cx - side / 2), 0), width - side);
  const y0 = Math.min(Math.max(roundHalfUp(cy - side / 2), 0), height - side);
  return { x0, y0, side };
}

/** True when the box has a positive size and lies inside the image. */
export function boxInsideImage(box: FaceBox, width: number, height: number): boolean {
  const [x, y, w, h] = box;
  return w > 0 && h > 0 && x >= 0 && y >= 0 && x + w <= width && y + h <= height;
}

/** Copies the crop window out of the image as float64 RGB planes' source (interleaved, 0..255). */
export function extractCrop(image: RgbImage, window: CropWindow): Float64Array {
  const { x0, y0, side } = window;
  const out = new Float64Array(side * side * 3);
  for (let y = 0; y < side; y++) {
    const src = ((y0 + y) * image.width + x0) * 3;
    const dst = y * side * 3;
    for (let i = 0; i < side * 3; i++) out[dst + i] = image.data[src + i] ?? 0;
  }
  return out;
}
