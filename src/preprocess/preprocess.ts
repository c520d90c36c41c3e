import type { RgbImage } from "../image/rgb-image";
import type { Preprocess } from "../models/manifest-schema";
import { cropWindow, type CropWindow, type FaceBox } from "./crop";
import { resizeNormaliseCrop } from "./resize";

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
  const tensor = resizeNormaliseCrop(image.data, image.width, crop, outH, outW, config);
  return { tensor, dims: [1, 3, outH, outW], crop };
}
