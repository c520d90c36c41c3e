import { decodeJpeg } from "./decode-jpeg";
import { decodePng } from "./decode-png";
import { ImageHeaderError, readImageHeader, type ImageHeader } from "./image-header";
import { inflatesWithin, maxInflatedBytes } from "./png-inflate-guard";
import type { RgbImage } from "./rgb-image";

export interface ImageLimits {
  /** Smallest accepted width and height, in pixels. */
  readonly minSide: number;
  /** Largest accepted width x height, in pixels. */
  readonly maxPixels: number;
}

export type ImageRejection =
  | { readonly kind: "unrecognised"; readonly detail: string }
  | { readonly kind: "too-small"; readonly detail: string; readonly width: number; readonly height: number }
  | { readonly kind: "too-large"; readonly detail: string; readonly width: number; readonly height: number }
  | { readonly kind: "undecodable"; readonly detail: string };

/** Raised for every image the service refuses; `rejection.kind` says why. */
export class ImageRejectedError extends Error {
  override readonly name = "ImageRejectedError";
  constructor(readonly rejection: ImageRejection) {
    super(rejection.detail);
  }
}

/**
 * Reads the image's header and enforces the size limits. Nothing is decoded yet, so an image that
 * is refused here (a decompression bomb, say) never gets a pixel buffer.
 */
export function inspectImage(bytes: Uint8Array, limits: ImageLimits): ImageHeader {
  let header: ImageHeader;
  try {
    header = readImageHeader(bytes);
  } catch (error) {
    if (error instanceof ImageHeaderError) throw new ImageRejectedError({ kind: "unrecognised", detail: error.message });
    throw error;
  }
  const { width, height } = header;
  if (width < limits.minSide || height < limits.minSide) {
    throw new ImageRejectedError({
      kind: "too-small",
      detail: `image is ${width}x${height}; both sides must be at least ${limits.minSide} px`,
      width,
      height,
    });
  }
  if (width * height > limits.maxPixels) {
    throw new ImageRejectedError({
      kind: "too-large",
      detail: `image is ${width}x${height} (${width * height} px); at most ${limits.maxPixels} px are accepted`,
      width,
      height,
    });
  }
  if (header.scans !== undefined && header.scans > MAX_JPEG_SCANS) {
    throw new ImageRejectedError({
      kind: "too-large",
      detail: `JPEG has ${header.scans} scans; at most ${MAX_JPEG_SCANS} are accepted`,
      width,
      height,
    });
  }
  return header;
}

/**
 * Most scans a JPEG may have. Every scan makes the decoder visit every block of the components it
 * codes, however few bytes it takes (a progressive AC scan can pass over all of them with one
 * 12-byte end-of-band run), so decoding work grows with scans x blocks, not with the file's size:
 * a thousand such scans of a 1024x1024 frame keep jpeg-js busy for seconds. Sequential files have
 * one scan per component at most, libjpeg's progressive files 10 (YCbCr) or 6 (grey); 32 leaves
 * room for other encoders' scan scripts and bounds the work to a few times that of a real file.
 */
export const MAX_JPEG_SCANS = 32;

/**
 * For a PNG, checks that its compressed pixel data inflates to no more than its header allows
 * (zlib bombs), without keeping the inflated bytes. JPEGs need no such step: both JPEG decoders
 * allocate by the frame header's dimensions (checked by inspectImage), and jpeg-js is also given a
 * memory ceiling.
 */
export async function checkCompressedData(bytes: Uint8Array, header: ImageHeader): Promise<void> {
  if (header.format !== "png") return;
  const limit = maxInflatedBytes(bytes);
  if (!(await inflatesWithin(bytes, limit))) {
    throw new ImageRejectedError({
      kind: "too-large",
      detail: `PNG pixel data inflates past the ${limit} bytes its ${header.width}x${header.height} header allows`,
      width: header.width,
      height: header.height,
    });
  }
}

/** Decodes an image whose header `inspectImage` (and, for untrusted PNGs, `checkCompressedData`) accepted, to 8-bit RGB. */
export function decodeInspected(bytes: Uint8Array, header: ImageHeader): RgbImage {
  const { width, height } = header;
  try {
    const image =
      header.format === "png" ? decodePng(bytes) : decodeJpeg(bytes, header, memoryBudgetMiB(width * height));
    if (image.width !== width || image.height !== height || image.data.length !== width * height * 3) {
      throw new Error("decoded size differs from the header");
    }
    return image;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ImageRejectedError({ kind: "undecodable", detail: `${header.format.toUpperCase()} could not be decoded: ${reason}` });
  }
}

/** inspectImage, then decodeInspected: for images the caller trusts (fixtures, benchmarks). */
export function decodeImage(bytes: Uint8Array, limits: ImageLimits): { image: RgbImage; header: ImageHeader } {
  const header = inspectImage(bytes, limits);
  return { image: decodeInspected(bytes, header), header };
}

/**
 * Memory jpeg-js may allocate for an image of `pixels`: 4 bytes per DCT coefficient and 1 per
 * plane sample for up to three full-resolution components (4:4:4), 3 for the output, plus tables.
 */
function memoryBudgetMiB(pixels: number): number {
  return Math.ceil((pixels * 18) / (1024 * 1024)) + 8;
}
