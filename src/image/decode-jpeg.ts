import jpeg from "jpeg-js";
import type { ImageHeader } from "./image-header";
import type { RgbImage } from "./rgb-image";

/**
 * Decodes a JPEG to 8-bit RGB the way libjpeg(-turbo) does by default, which is what OpenCV's
 * `imread` (the training side) uses: jpeg-js does the entropy decoding and inverse DCT, and returns
 * the raw Y/Cb/Cr planes; chroma is then upsampled with libjpeg's "fancy" triangle filter (4:2:0
 * and 4:2:2) and converted with libjpeg's fixed-point YCbCr->RGB tables. Other sampling layouts
 * keep jpeg-js's nearest-neighbour chroma; Adobe-transformed files keep jpeg-js's own conversion.
 */
export function decodeJpeg(bytes: Uint8Array, header: ImageHeader, maxMemoryMiB: number): RgbImage {
  const components = header.components ?? [];
  if (components.length !== 1 && components.length !== 3) {
    throw new Error(`JPEG with ${components.length} colour components is not supported`);
  }
  const adobeTransform = header.adobeTransform;
  // Without an Adobe segment three components are YCbCr, and jpeg-js hands back the raw planes;
  // Adobe transform 0 means the planes already are RGB; transforms 1/2 are converted by jpeg-js.
  const rawPlanes = components.length === 3 && adobeTransform === undefined;
  const decoded = jpeg.decode(bytes, {
    useTArray: true,
    formatAsRGBA: false,
    tolerantDecoding: false,
    colorTransform: rawPlanes || adobeTransform === 0 ? false : undefined,
    maxResolutionInMP: Math.ceil((header.width * header.height) / 1e6) + 1,
    maxMemoryUsageInMB: maxMemoryMiB,
  });
  const { width, height } = decoded;
  if (width !== header.width || height !== header.height) throw new Error("JPEG size differs from its header");
  const data = decoded.data;

  if (components.length === 1) {
    const out = new Uint8Array(width * height * 3);
    for (let p = 0; p < width * height; p++) {
      const g = data[p] ?? 0;
      out[p * 3] = g;
      out[p * 3 + 1] = g;
      out[p * 3 + 2] = g;
    }
    return { width, height, data: out };
  }
  if (!rawPlanes) return { width, height, data: data.slice(0, width * height * 3) };

  const [luma, cb, cr] = components;
  if (!luma || !cb || !cr) throw new Error("JPEG components are missing");
  const maxH = Math.max(luma.h, cb.h, cr.h);
  const maxV = Math.max(luma.v, cb.v, cr.v);
  const sameChroma = cb.h === cr.h && cb.v === cr.v;
  const fx = maxH / cb.h;
  const fy = maxV / cb.v;
  const fullLuma = luma.h === maxH && luma.v === maxV;
  let cbFull: Uint8Array;
  let crFull: Uint8Array;
  if (sameChroma && fullLuma && fx === 2 && fy === 2) {
    cbFull = upsampleH2V2(extractPlane(data, width, height, 1, 2, 2), width, height);
    crFull = upsampleH2V2(extractPlane(data, width, height, 2, 2, 2), width, height);
  } else if (sameChroma && fullLuma && fx === 2 && fy === 1) {
    cbFull = upsampleH2V1(extractPlane(data, width, height, 1, 2, 1), width, height);
    crFull = upsampleH2V1(extractPlane(data, width, height, 2, 2, 1), width, height);
  } else {
    cbFull = extractPlane(data, width, height, 1, 1, 1).samples;
    crFull = extractPlane(data, width, height, 2, 1, 1).samples;
  }
  return { width, height, data: yccToRgb(data, cbFull, crFull, width, height) };
}

/** Recovers a chroma plane at its own resolution from jpeg-js's nearest-neighbour full-size output. */
function extractPlane(data: Uint8Array, width: number, height: number, channel: number, fx: number, fy: number): Plane {
  const w = Math.ceil(width / fx);
  const h = Math.ceil(height / fy);
  const samples = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const row = y * fy * width;
    for (let x = 0; x < w; x++) samples[y * w + x] = data[(row + x * fx) * 3 + channel] ?? 0;
  }
  return { samples, width: w, height: h };
}

interface Plane {
  readonly samples: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/** libjpeg's h2v2 "fancy" upsampling: a triangle filter, 3/4 nearer + 1/4 further, in both directions. */
function upsampleH2V2(plane: Plane, width: number, height: number): Uint8Array {
  const { samples, width: w, height: h } = plane;
  const out = new Uint8Array(width * height);
  const sums = new Int32Array(w);
  for (let oy = 0; oy < height; oy++) {
    const row = oy >> 1;
    const other = oy & 1 ? Math.min(row + 1, h - 1) : Math.max(row - 1, 0);
    for (let x = 0; x < w; x++) sums[x] = (samples[row * w + x] ?? 0) * 3 + (samples[other * w + x] ?? 0);
    const base = oy * width;
    for (let x = 0; x < w; x++) {
      const here = sums[x] ?? 0;
      const left = x === 0 ? here : (sums[x - 1] ?? 0);
      const right = x === w - 1 ? here : (sums[x + 1] ?? 0);
      const ox = 2 * x;
      out[base + ox] = (here * 3 + left + 8) >> 4;
      if (ox + 1 < width) out[base + ox + 1] = (here * 3 + right + 7) >> 4;
    }
  }
  return out;
}

/** libjpeg's h2v1 "fancy" upsampling: horizontal triangle filter. */
function upsampleH2V1(plane: Plane, width: number, height: number): Uint8Array {
  const { samples, width: w } = plane;
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const src = y * w;
    const base = y * width;
    for (let x = 0; x < w; x++) {
      const here = samples[src + x] ?? 0;
      const ox = 2 * x;
      const left = x === 0 ? here : (samples[src + x - 1] ?? 0);
      const right = x === w - 1 ? here : (samples[src + x + 1] ?? 0);
      out[base + ox] = x === 0 ? here : (here * 3 + left + 1) >> 2;
      if (ox + 1 < width) out[base + ox + 1] = x === w - 1 ? here : (here * 3 + right + 2) >> 2;
    }
  }
  return out;
}

const SCALE_BITS = 16;
const ONE_HALF = 1 << (SCALE_BITS - 1);
const fix = (x: number): number => Math.floor(x * (1 << SCALE_BITS) + 0.5);
const CR_R = new Int32Array(256);
const CB_B = new Int32Array(256);
const CR_G = new Int32Array(256);
const CB_G = new Int32Array(256);
for (let i = 0; i < 256; i++) {
  const x = i - 128;
  CR_R[i] = (fix(1.402) * x + ONE_HALF) >> SCALE_BITS;
  CB_B[i] = (fix(1.772) * x + ONE_HALF) >> SCALE_BITS;
  CR_G[i] = -fix(0.71414) * x;
  CB_G[i] = -fix(0.34414) * x + ONE_HALF;
}

const clamp = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : v);

/** libjpeg's fixed-point YCbCr -> RGB conversion (jdcolor.c tables). */
function yccToRgb(ycc: Uint8Array, cb: Uint8Array, cr: Uint8Array, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    const y = ycc[p * 3] ?? 0;
    const b = cb[p] ?? 0;
    const r = cr[p] ?? 0;
    out[p * 3] = clamp(y + (CR_R[r] ?? 0));
    out[p * 3 + 1] = clamp(y + (((CB_G[b] ?? 0) + (CR_G[r] ?? 0)) >> SCALE_BITS));
    out[p * 3 + 2] = clamp(y + (CB_B[b] ?? 0));
  }
  return out;
}
