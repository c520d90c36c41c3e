import type { RgbImage } from "../image/rgb-image";
import type { Preprocess } from "../models/manifest-schema";
import { cropWindow, extractCrop, type CropWindow, type FaceBox } from "./crop";
import { resizeTriangle } from "./resize";

export interface ModelInput {
  /** float32, NCHW, batch 1: [1, 3, height, width]. */
  readonly tensor: Float32Array;
  readonly dims: readonly [1, 3, number, number];
  readonly crop: CropWindow;
}

/** models/README.md steps 1-3: crop, resize, normalise, for one model's `preprocess` block. */
export function preprocess(image: RgbImage, box: FaceBox | undefined, config: Preprocess): ModelInput {
  const [outH, outW] = config.size;
  const crop = cropWindow(image.width, image.height, box, config.cropScale);
  const resized = resizeTriangle(extractCrop(image, crop), crop.side, crop.side, outH, outW, 3);
  const plane = outH * outW;
  const tensor = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    const mean = config.mean[c] ?? 0;
    const std = config.std[c] ?? 1;
    for (let p = 0; p < plane; p++) {
      tensor[c * plane + p] = ((resized[p * 3 + c] ?? 0) * config.scale - mean) / std;
    }
  }
  return { tensor, dims: [1, 3, outH, outW], crop };
}
