import { readFileSync } from "node:fs";
import { join } from "node:path";
import { decodeImage } from "../src/image/decode-image";
import type { RgbImage } from "../src/image/rgb-image";
import { ManifestSchema } from "../src/models/manifest-schema";
import { cropWindow, extractCrop } from "../src/preprocess/crop";

/**
 * The golden frame's face (models/golden/), cropped with the serving student's crop scale: the
 * face crop a well-behaved client sends. `dir` is the folder holding manifest.json and golden/.
 */
export function goldenFaceCrop(dir: string): { face: RgbImage; student: string } {
  const golden = JSON.parse(readFileSync(join(dir, "golden", "golden.json"), "utf8"));
  const manifest = ManifestSchema.parse(JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")));
  const student = manifest.models[manifest.serving.student];
  if (!student) throw new Error("no serving student");
  const { image } = decodeImage(new Uint8Array(readFileSync(join(dir, "golden", golden.image))), { minSide: 1, maxPixels: 1 << 26 });
  const window = cropWindow(image.width, image.height, golden.box ?? undefined, student.preprocess.cropScale);
  const face = { width: window.side, height: window.side, data: Uint8Array.from(extractCrop(image, window), (v) => Math.round(v)) };
  return { face, student: student.id };
}
