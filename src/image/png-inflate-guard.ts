/**
 * A PNG's header bounds its pixels, not its compressed stream: a small image can carry IDAT data
 * that inflates to gigabytes (a zlib bomb within the body limit). Before the decoder inflates
 * anything into memory, this streams the IDAT data through the platform's DecompressionStream,
 * counting bytes and stopping as soon as they pass what the header allows. IDAT is the only
 * compressed data the decoder gets: decodePng hands it the pixel chunks alone, so compressed
 * ancillary chunks (an iCCP profile, zTXt, iTXt) are never inflated.
 */

import { concatBytes } from "../bytes";

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/** Most bytes the IDAT stream of this PNG may inflate to (filter bytes and Adam7 passes included). */
export function maxInflatedBytes(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  const depth = bytes[24] ?? 8;
  const channels = CHANNELS[bytes[25] ?? 2] ?? 4;
  const rowBytes = Math.ceil((width * channels * depth) / 8);
  // non-interlaced: one filter byte per row; Adam7 adds at most 7 passes' worth of filter bytes
  // and row padding on top
  return height * (rowBytes + 1) + 7 * 2 * (height + 1);
}

/** The concatenated data of all IDAT chunks (chunk structure only; CRCs are the decoder's job). */
function idatData(bytes: Uint8Array): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const parts: Uint8Array[] = [];
  for (let at = 8; at + 8 <= bytes.length; ) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(bytes[at + 4] ?? 0, bytes[at + 5] ?? 0, bytes[at + 6] ?? 0, bytes[at + 7] ?? 0);
    const end = Math.min(bytes.length, at + 8 + length);
    if (type === "IDAT") parts.push(bytes.subarray(at + 8, end));
    if (type === "IEND") break;
    at += 12 + length;
  }
  return concatBytes(parts);
}

/**
 * Resolves true when the IDAT stream inflates to at most `limit` bytes. A stream that is not
 * valid zlib also resolves true: the decoder then reports it as undecodable.
 */
export async function inflatesWithin(bytes: Uint8Array, limit: number): Promise<boolean> {
  const reader = new Blob([idatData(bytes)]).stream().pipeThrough(new DecompressionStream("deflate")).getReader();
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return true;
      total += value.byteLength;
      if (total > limit) {
        await reader.cancel();
        return false;
      }
    }
  } catch {
    return true;
  }
}
