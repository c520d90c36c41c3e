import { decode } from "fast-png";
import { concatBytes } from "../bytes";
import type { RgbImage } from "./rgb-image";

/**
 * Decodes a PNG to 8-bit RGB following models/README.md: alpha is dropped, grey is replicated to
 * three channels, 16-bit samples become floor(v / 257 + 0.5), palettes are expanded and grey
 * below 8 bits is scaled to 0..255. Only the chunks that make up the pixels are handed to the
 * decoder (see `pixelChunks`). Throws on a corrupt or truncated file (their CRCs are checked).
 */
export function decodePng(bytes: Uint8Array): RgbImage {
  const png = decode(pixelChunks(bytes), { checkCrc: true });
  const { width, height, depth } = png;
  const pixels = width * height;
  const out = new Uint8Array(pixels * 3);

  if (png.palette) {
    const palette = png.palette;
    const indices = unpackSamples(png.data as Uint8Array, width, height, depth);
    for (let p = 0; p < pixels; p++) {
      const colour = palette[indices[p] ?? 0];
      if (!colour) throw new Error("PNG palette index out of range");
      out[p * 3] = colour[0] ?? 0;
      out[p * 3 + 1] = colour[1] ?? 0;
      out[p * 3 + 2] = colour[2] ?? 0;
    }
    return { width, height, data: out };
  }

  const channels = png.channels;
  if (channels < 1 || channels > 4) throw new Error(`PNG with ${channels} channels`);
  const samples = depth < 8 ? scaleLowDepth(unpackSamples(png.data as Uint8Array, width, height, depth), depth) : png.data;
  if (samples.length < pixels * channels) throw new Error("PNG pixel data is truncated");
  const to8 = depth === 16 ? (v: number) => Math.floor(v / 257 + 0.5) : (v: number) => v;
  const grey = channels < 3;
  for (let p = 0; p < pixels; p++) {
    const base = p * channels;
    if (grey) {
      const g = to8(samples[base] ?? 0);
      out[p * 3] = g;
      out[p * 3 + 1] = g;
      out[p * 3 + 2] = g;
    } else {
      out[p * 3] = to8(samples[base] ?? 0);
      out[p * 3 + 1] = to8(samples[base + 1] ?? 0);
      out[p * 3 + 2] = to8(samples[base + 2] ?? 0);
    }
  }
  return { width, height, data: out };
}

/**
 * The chunks that make up the RGB pixels: IHDR, PLTE, IDAT and IEND. fast-png inflates an
 * embedded ICC profile (iCCP) with no size limit, so a small file could carry a zlib bomb there
 * that checkCompressedData (which bounds the IDAT stream) never sees. Ancillary chunks do not
 * change the RGB pixels here: colour profiles, gamma and chromaticities are not applied (nor by
 * OpenCV on the training side), and tRNS only adds an alpha channel, which is dropped. So they are
 * left out, as libpng treats them: a broken ancillary chunk is skipped, not fatal. Bytes after
 * IEND are ignored. Throws when the chunk structure itself is cut short.
 */
export function pixelChunks(bytes: Uint8Array): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const kept: Uint8Array[] = [bytes.subarray(0, 8)];
  for (let at = 8; ; ) {
    if (at + 12 > bytes.length) throw new Error("PNG data is truncated (no IEND chunk)");
    const type = String.fromCharCode(bytes[at + 4] ?? 0, bytes[at + 5] ?? 0, bytes[at + 6] ?? 0, bytes[at + 7] ?? 0);
    const end = at + 12 + view.getUint32(at);
    if (end > bytes.length) throw new Error(`PNG ${type} chunk is truncated`);
    if (PIXEL_CHUNKS.has(type)) kept.push(bytes.subarray(at, end));
    if (type === "IEND") break;
    at = end;
  }
  return concatBytes(kept);
}

const PIXEL_CHUNKS = new Set(["IHDR", "PLTE", "IDAT", "IEND"]);

/** Unpacks 1/2/4-bit samples (rows padded to whole bytes) to one byte per sample; 8-bit passes through. */
function unpackSamples(data: Uint8Array, width: number, height: number, depth: number): Uint8Array {
  if (depth === 8) return data;
  const rowBytes = Math.ceil((width * depth) / 8);
  if (data.length < rowBytes * height) throw new Error("PNG pixel data is truncated");
  const out = new Uint8Array(width * height);
  const mask = (1 << depth) - 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const bit = x * depth;
      const byte = data[y * rowBytes + (bit >> 3)] ?? 0;
      out[y * width + x] = (byte >> (8 - depth - (bit & 7))) & mask;
    }
  }
  return out;
}

function scaleLowDepth(samples: Uint8Array, depth: number): Uint8Array {
  const factor = 255 / ((1 << depth) - 1);
  return samples.map((v) => v * factor);
}
