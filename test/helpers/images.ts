import { encode as encodePng } from "fast-png";
import jpeg from "jpeg-js";

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

/** A valid-looking width x height RGB PNG whose IDAT stream inflates to `inflated` zero bytes. */
export async function pngZlibBomb(width: number, height: number, inflated: number): Promise<Uint8Array> {
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
  const zeros = source.pipeThrough(new CompressionStream("deflate"));
  const idat = new Uint8Array(await new Response(zeros).arrayBuffer());
  const head = pngHeaderOnly(width, height);
  const ihdrEnd = 8 + 25;
  const u32 = (v: number) => [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
  const iend = [...u32(0), 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82];
  return Uint8Array.from([...head.subarray(0, ihdrEnd), ...u32(idat.length), 0x49, 0x44, 0x41, 0x54, ...idat, 0, 0, 0, 0, ...iend]);
}
