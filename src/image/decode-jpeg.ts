import jpeg from "jpeg-js";
import type { ImageHeader } from "./image-header";
import { decodeSequentialJpeg, type JpegFrameInfo, type JpegPlanes } from "./jpeg-sequential";
import type { RgbImage } from "./rgb-image";

/**
 * Decodes a JPEG to 8-bit RGB the way libjpeg(-turbo) does by default, which is what OpenCV's
 * `imread` (the training side) uses.
 *
 * Sequential Huffman JPEGs (baseline and extended, 8-bit: what cameras and browsers write) go
 * through `decodeSequentialJpeg`, whose inverse DCT is libjpeg's "islow" arithmetic; chroma is
 * then upsampled with libjpeg's "fancy" triangle filter (4:2:0 and 4:2:2) and converted with
 * libjpeg's fixed-point YCbCr->RGB tables, so the pixels equal OpenCV's. Other files (progressive
 * ones, unusual sampling layouts) are decoded by jpeg-js: its inverse DCT rounds differently (about
 * a level), and sampling layouts other than 4:4:4, 4:2:2 and 4:2:0 keep its nearest-neighbour
 * chroma; Adobe-transformed files there keep jpeg-js's own conversion.
 */
export function decodeJpeg(bytes: Uint8Array, header: ImageHeader, maxMemoryMiB: number): RgbImage {
  const components = header.components ?? [];
  if (components.length !== 1 && components.length !== 3) {
    throw new Error(`JPEG with ${components.length} colour components is not supported`);
  }
  if (header.sofMarker === 0xc0 || header.sofMarker === 0xc1) {
    let layout: Layout | undefined;
    const planes = decodeSequentialJpeg(bytes, (frame) => {
      // the size limits were enforced on `header`: nothing larger may be allocated
      if (frame.width !== header.width || frame.height !== header.height) throw new Error("JPEG size differs from its header");
      layout = layoutOf(frame);
      return layout !== undefined;
    });
    if (planes && layout) return planesToRgb(planes, layout);
  }
  return decodeWithJpegJs(bytes, header, maxMemoryMiB);
}

/** How the sequential path turns a frame's planes into RGB; undefined for frames left to jpeg-js. */
type Layout = { readonly kind: "grey" } | { readonly kind: "ycc" | "rgb"; readonly fx: number; readonly fy: number };

function layoutOf(frame: JpegFrameInfo): Layout | undefined {
  const { components } = frame;
  if (components.length === 1) return { kind: "grey" };
  const [first, second, third] = components;
  if (components.length !== 3 || !first || !second || !third) return undefined;
  // libjpeg's colour space for three components: Adobe's transform flag; else RGB when there is no
  // JFIF segment and the components are named R, G, B; else YCbCr
  const rgbIds = first.id === 0x52 && second.id === 0x47 && third.id === 0x42;
  const rgb = frame.adobeTransform === 0 || (frame.adobeTransform === undefined && !frame.jfif && rgbIds);
  const fullFirst = components.every((c) => c.h <= first.h && c.v <= first.v);
  if (!fullFirst || second.h !== third.h || second.v !== third.v) return undefined;
  const fx = first.h / second.h;
  const fy = first.v / second.v;
  const supported = (fx === 1 && fy === 1) || (!rgb && fx === 2 && (fy === 1 || fy === 2));
  return supported ? { kind: rgb ? "rgb" : "ycc", fx, fy } : undefined;
}

/** RGB from the sequential decoder's planes, in the layout `layoutOf` found for its frame. */
function planesToRgb(decoded: JpegPlanes, layout: Layout): RgbImage {
  const { width, height, planes } = decoded;
  const [first, second, third] = planes;
  if (!first) throw new Error("JPEG has no components");
  if (layout.kind === "grey") return { width, height, data: interleave(first, first, first, width, height) };
  if (!second || !third) throw new Error("JPEG components are missing");
  if (layout.kind === "rgb") return { width, height, data: interleave(first, second, third, width, height) };
  const full = (plane: Plane): Plane =>
    layout.fx === 1 ? plane : layout.fy === 2 ? upsampleH2V2(plane, width, height) : upsampleH2V1(plane, width, height);
  return { width, height, data: yccToRgb(first, full(second), full(third), width, height) };
}

/** Interleaves three planes into RGB (the same plane three times for grey). */
function interleave(r: Plane, g: Plane, b: Plane, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    let o = y * width * 3;
    for (let x = 0; x < width; x++, o += 3) {
      out[o] = r.samples[y * r.stride + x]!;
      out[o + 1] = g.samples[y * g.stride + x]!;
      out[o + 2] = b.samples[y * b.stride + x]!;
    }
  }
  return out;
}

/**
 * The jpeg-js path: progressive files and layouts the sequential decoder leaves alone. jpeg-js
 * runs every scan a file has, so inspectImage bounds their number first (MAX_JPEG_SCANS).
 */
function decodeWithJpegJs(bytes: Uint8Array, header: ImageHeader, maxMemoryMiB: number): RgbImage {
  const components = header.components ?? [];
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
    const grey: Plane = { samples: data, width, height, stride: width };
    return { width, height, data: interleave(grey, grey, grey, width, height) };
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
  let cbFull: Plane;
  let crFull: Plane;
  if (sameChroma && fullLuma && fx === 2 && fy === 2) {
    cbFull = upsampleH2V2(extractPlane(data, width, height, 1, 2, 2), width, height);
    crFull = upsampleH2V2(extractPlane(data, width, height, 2, 2, 2), width, height);
  } else if (sameChroma && fullLuma && fx === 2 && fy === 1) {
    cbFull = upsampleH2V1(extractPlane(data, width, height, 1, 2, 1), width, height);
    crFull = upsampleH2V1(extractPlane(data, width, height, 2, 2, 1), width, height);
  } else {
    cbFull = extractPlane(data, width, height, 1, 1, 1);
    crFull = extractPlane(data, width, height, 2, 1, 1);
  }
  return { width, height, data: yccToRgb(extractPlane(data, width, height, 0, 1, 1), cbFull, crFull, width, height) };
}

/** Recovers a plane at its own resolution from jpeg-js's nearest-neighbour full-size output. */
function extractPlane(data: Uint8Array, width: number, height: number, channel: number, fx: number, fy: number): Plane {
  const w = Math.ceil(width / fx);
  const h = Math.ceil(height / fy);
  const samples = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const row = y * fy * width;
    for (let x = 0; x < w; x++) samples[y * w + x] = data[(row + x * fx) * 3 + channel] ?? 0;
  }
  return { samples, width: w, height: h, stride: w };
}

interface Plane {
  readonly samples: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly stride: number;
}

/** libjpeg's h2v2 "fancy" upsampling: a triangle filter, 3/4 nearer + 1/4 further, in both directions. */
function upsampleH2V2(plane: Plane, width: number, height: number): Plane {
  const { samples, width: w, height: h, stride } = plane;
  const out = new Uint8Array(width * height);
  const sums = new Int32Array(w);
  for (let oy = 0; oy < height; oy++) {
    const row = (oy >> 1) * stride;
    const other = (oy & 1 ? Math.min((oy >> 1) + 1, h - 1) : Math.max((oy >> 1) - 1, 0)) * stride;
    for (let x = 0; x < w; x++) sums[x] = samples[row + x]! * 3 + samples[other + x]!;
    const base = oy * width;
    for (let x = 0; x < w; x++) {
      const here = sums[x]!;
      const left = x === 0 ? here : sums[x - 1]!;
      const right = x === w - 1 ? here : sums[x + 1]!;
      const ox = base + 2 * x;
      out[ox] = (here * 3 + left + 8) >> 4;
      if (2 * x + 1 < width) out[ox + 1] = (here * 3 + right + 7) >> 4;
    }
  }
  return { samples: out, width, height, stride: width };
}

/** libjpeg's h2v1 "fancy" upsampling: horizontal triangle filter. */
function upsampleH2V1(plane: Plane, width: number, height: number): Plane {
  const { samples, width: w, stride } = plane;
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const src = y * stride;
    const base = y * width;
    for (let x = 0; x < w; x++) {
      const here = samples[src + x]!;
      const ox = 2 * x;
      const left = x === 0 ? here : samples[src + x - 1]!;
      const right = x === w - 1 ? here : samples[src + x + 1]!;
      out[base + ox] = x === 0 ? here : (here * 3 + left + 1) >> 2;
      if (ox + 1 < width) out[base + ox + 1] = x === w - 1 ? here : (here * 3 + right + 2) >> 2;
    }
  }
  return { samples: out, width, height, stride: width };
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

/** Clamps -384..639 to 0..255. */
const CLAMP = new Uint8Array(1024);
for (let i = 0; i < 1024; i++) CLAMP[i] = Math.min(255, Math.max(0, i - 384));

/** libjpeg's fixed-point YCbCr -> RGB conversion (jdcolor.c tables); cb and cr are full size. */
function yccToRgb(luma: Plane, cb: Plane, cr: Plane, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height * 3);
  for (let yy = 0; yy < height; yy++) {
    const ly = yy * luma.stride;
    const by = yy * cb.stride;
    const ry = yy * cr.stride;
    let o = yy * width * 3;
    for (let x = 0; x < width; x++, o += 3) {
      const y = luma.samples[ly + x]! + 384;
      const b = cb.samples[by + x]!;
      const r = cr.samples[ry + x]!;
      out[o] = CLAMP[y + CR_R[r]!]!;
      out[o + 1] = CLAMP[y + ((CB_G[b]! + CR_G[r]!) >> SCALE_BITS)]!;
      out[o + 2] = CLAMP[y + CB_B[b]!]!;
    }
  }
  return out;
}
