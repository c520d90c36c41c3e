import { encode as encodePng } from "fast-png";
import jpeg from "jpeg-js";
import { concat, crc32 } from "./fuzz";

/** Test images made on the spot: sizes and formats the golden fixture does not cover. */

/** A smooth RGB test pattern. */
export function pattern(width: number, height: number): Uint8Array {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * 3;
      data[p] = (x * 255) / Math.max(1, width - 1);
      data[p + 1] = (y * 255) / Math.max(1, height - 1);
      data[p + 2] = ((x + y) * 127) / Math.max(1, width + height - 2);
    }
  }
  return data;
}

export function png(width: number, height: number): Uint8Array {
  return encodePng({ width, height, data: pattern(width, height), channels: 3, depth: 8 });
}

export function jpegOf(width: number, height: number, quality = 90): Uint8Array {
  const rgb = pattern(width, height);
  const rgba = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    rgba[p * 4] = rgb[p * 3] ?? 0;
    rgba[p * 4 + 1] = rgb[p * 3 + 1] ?? 0;
    rgba[p * 4 + 2] = rgb[p * 3 + 2] ?? 0;
    rgba[p * 4 + 3] = 255;
  }
  return new Uint8Array(jpeg.encode({ width, height, data: rgba }, quality).data);
}

/** A PNG signature and IHDR claiming width x height, followed by one tiny IDAT and IEND. */
export function pngHeaderOnly(width: number, height: number): Uint8Array {
  const out: number[] = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  const u32 = (v: number) => [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
  out.push(...u32(13), 0x49, 0x48, 0x44, 0x52, ...u32(width), ...u32(height), 8, 2, 0, 0, 0, 0, 0, 0, 0);
  out.push(...u32(2), 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0, 0, 0, 0);
  out.push(...u32(0), 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82);
  return Uint8Array.from(out);
}

/** SOI, optional extra bytes, and a baseline 4:2:0 frame header claiming width x height; no scan data. */
export function jpegHeaderOnly(width: number, height: number, options: { prefix?: number[] } = {}): Uint8Array {
  return Uint8Array.from([
    0xff, 0xd8,
    ...(options.prefix ?? []),
    0xff, 0xc0, 0x00, 0x11, 0x08,
    (height >> 8) & 255, height & 255, (width >> 8) & 255, width & 255,
    3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1,
    0xff, 0xd9,
  ]);
}

/** A zlib stream of `inflated` zero bytes: about a thousandth of that size (a zlib bomb when large). */
export async function zlibZeros(inflated: number): Promise<Uint8Array> {
  const chunk = new Uint8Array(1 << 20);
  let left = inflated;
  const source = new ReadableStream<Uint8Array>({
    pull(controller) {
      const n = Math.min(left, chunk.length);
      left -= n;
      controller.enqueue(chunk.subarray(0, n));
      if (left === 0) controller.close();
    },
  });
  return new Uint8Array(await new Response(source.pipeThrough(new CompressionStream("deflate"))).arrayBuffer());
}

/** A valid-looking width x height RGB PNG whose IDAT stream inflates to `inflated` zero bytes. */
export async function pngZlibBomb(width: number, height: number, inflated: number): Promise<Uint8Array> {
  const idat = await zlibZeros(inflated);
  const head = pngHeaderOnly(width, height);
  const ihdrEnd = 8 + 25;
  const u32 = (v: number) => [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
  const iend = [...u32(0), 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82];
  return Uint8Array.from([...head.subarray(0, ihdrEnd), ...u32(idat.length), 0x49, 0x44, 0x41, 0x54, ...idat, 0, 0, 0, 0, ...iend]);
}

/** `png` with one more chunk (`type`, `data`, its CRC) right after IHDR, where iCCP and the like go. */
export function pngWithChunk(png: Uint8Array, type: string, data: Uint8Array): Uint8Array {
  const ihdrEnd = 8 + 25;
  const typed = concat(new TextEncoder().encode(type), data);
  const u32 = (v: number) => Uint8Array.of((v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
  return concat(png.subarray(0, ihdrEnd), u32(data.length), typed, u32(crc32(typed)), png.subarray(ihdrEnd));
}

/**
 * The pattern PNG of width x height with an embedded ICC profile (iCCP) whose compressed data
 * inflates to `inflated` zero bytes: the pixels are ordinary, the profile is a zlib bomb.
 */
export async function pngIccpBomb(width: number, height: number, inflated: number): Promise<Uint8Array> {
  // profile name, its NUL terminator, compression method 0 (zlib), the compressed profile
  const data = concat(new TextEncoder().encode("ICC Profile\0\0"), await zlibZeros(inflated));
  return pngWithChunk(png(width, height), "iCCP", data);
}

/**
 * A progressive greyscale JPEG of width x height whose pixels are all 128: one DC scan, then
 * `acScans` AC scans that each skip every block with a single end-of-band run (at most 12 bytes a
 * scan, however large the image). At most 32,767 blocks of 8x8 (1024x1024 has 16,384).
 */
export function progressiveJpeg(width: number, height: number, acScans: number): Uint8Array {
  const blocks = Math.ceil(width / 8) * Math.ceil(height / 8);
  // EOBr covers 2^r + extra blocks (extra: r bits): one run for all of them
  const r = Math.floor(Math.log2(blocks));
  const extra = blocks - 2 ** r;
  const u16 = (v: number) => [(v >> 8) & 255, v & 255];
  const oneCode = (tableClass: number, symbol: number) => [tableClass << 4, 1, ...new Array<number>(15).fill(0), symbol];
  const head = [
    0xff, 0xd8,
    0xff, 0xdb, 0x00, 0x43, 0x00, ...new Array<number>(64).fill(1),
    0xff, 0xc2, 0x00, 0x0b, 0x08, ...u16(height), ...u16(width), 0x01, 0x01, 0x11, 0x00,
    // one code each, "0": DC difference category 0, and end-of-band run EOBr
    0xff, 0xc4, 0x00, 0x26, ...oneCode(0, 0), ...oneCode(1, r << 4),
  ];
  // DC scan: one 0 bit per block, padded with 1 bits
  const dcBits = "0".repeat(blocks);
  const acBits = `0${extra.toString(2).padStart(r, "0")}`;
  const entropy = (bits: string) => {
    const padded = bits + "1".repeat((8 - (bits.length % 8)) % 8);
    const out: number[] = [];
    for (let i = 0; i < padded.length; i += 8) {
      const byte = parseInt(padded.slice(i, i + 8), 2);
      out.push(byte);
      if (byte === 0xff) out.push(0x00);
    }
    return out;
  };
  const dcScan = [0xff, 0xda, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, ...entropy(dcBits)];
  const acScan = [0xff, 0xda, 0x00, 0x08, 0x01, 0x01, 0x00, 0x01, 0x3f, 0x00, ...entropy(acBits)];
  const out = new Uint8Array(head.length + dcScan.length + acScan.length * acScans + 2);
  out.set(head);
  out.set(dcScan, head.length);
  for (let i = 0; i < acScans; i++) out.set(acScan, head.length + dcScan.length + i * acScan.length);
  out.set([0xff, 0xd9], out.length - 2);
  return out;
}
