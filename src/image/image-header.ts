/**
 * Reads an image's format and dimensions from its header alone, so that limits can be enforced
 * before any pixel buffer is allocated (decompression bombs).
 */

export type ImageFormat = "png" | "jpeg";

export interface ImageHeader {
  readonly format: ImageFormat;
  readonly width: number;
  readonly height: number;
  /** JPEG only: components with their sampling factors, in frame order. */
  readonly components?: readonly JpegComponent[];
  /** JPEG only: the SOF marker (0xc0 baseline, 0xc2 progressive, ...). */
  readonly sofMarker?: number;
  /** JPEG only: the transform flag of an Adobe APP14 segment, when there is one (0: none, 1: YCbCr, 2: YCCK). */
  readonly adobeTransform?: number;
  /** JPEG only: how many scans (SOS segments) a decoder can find in the file, at most (countJpegScans). */
  readonly scans?: number;
}

export interface JpegComponent {
  readonly id: number;
  readonly h: number;
  readonly v: number;
}

/** Raised when the bytes are not a PNG or JPEG, or their header is cut short or inconsistent. */
export class ImageHeaderError extends Error {
  override readonly name = "ImageHeaderError";
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] as const;

export function sniffFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return "png";
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "jpeg";
  return undefined;
}

export function readImageHeader(bytes: Uint8Array): ImageHeader {
  const format = sniffFormat(bytes);
  if (format === "png") return readPngHeader(bytes);
  if (format === "jpeg") return readJpegHeader(bytes);
  throw new ImageHeaderError("not a PNG or JPEG image");
}

function u16(bytes: Uint8Array, at: number): number {
  return ((bytes[at] ?? 0) << 8) | (bytes[at + 1] ?? 0);
}

function u32(bytes: Uint8Array, at: number): number {
  return u16(bytes, at) * 0x10000 + u16(bytes, at + 2);
}

function readPngHeader(bytes: Uint8Array): ImageHeader {
  // signature (8) + chunk length (4) + "IHDR" (4) + width (4) + height (4)
  if (bytes.length < 24) throw new ImageHeaderError("PNG header is truncated");
  const isIhdr = bytes[12] === 0x49 && bytes[13] === 0x48 && bytes[14] === 0x44 && bytes[15] === 0x52;
  if (!isIhdr || u32(bytes, 8) !== 13) throw new ImageHeaderError("PNG does not start with an IHDR chunk");
  return { format: "png", width: u32(bytes, 16), height: u32(bytes, 20) };
}

function isStartOfFrame(marker: number): boolean {
  // SOF0..SOF15 except DHT (c4), JPG (c8) and DAC (cc)
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

function isAdobe(bytes: Uint8Array, at: number): boolean {
  return [0x41, 0x64, 0x6f, 0x62, 0x65].every((b, i) => bytes[at + i] === b);
}

function readJpegHeader(bytes: Uint8Array): ImageHeader {
  let at = 2;
  let adobeTransform: number | undefined;
  while (at < bytes.length) {
    if (bytes[at] !== 0xff) throw new ImageHeaderError("JPEG marker expected");
    while (bytes[at] === 0xff) at++; // fill bytes
    const marker = bytes[at];
    at++;
    if (marker === undefined) break;
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue;
    if (marker === 0xd9 || marker === 0xda) throw new ImageHeaderError("JPEG has no frame header");
    if (at + 2 > bytes.length) break;
    const length = u16(bytes, at);
    if (length < 2) throw new ImageHeaderError("JPEG segment length is invalid");
    if (isStartOfFrame(marker)) {
      if (at + length > bytes.length || length < 8) break;
      const height = u16(bytes, at + 3);
      const width = u16(bytes, at + 5);
      const count = bytes[at + 7] ?? 0;
      if (length < 8 + 3 * count) throw new ImageHeaderError("JPEG frame header is inconsistent");
      const components: JpegComponent[] = [];
      for (let i = 0; i < count; i++) {
        const base = at + 8 + 3 * i;
        const sampling = bytes[base + 1] ?? 0;
        components.push({ id: bytes[base] ?? 0, h: sampling >> 4, v: sampling & 0x0f });
      }
      const header = { format: "jpeg", width, height, components, sofMarker: marker, scans: countJpegScans(bytes) } as const;
      return adobeTransform === undefined ? header : { ...header, adobeTransform };
    }
    if (marker === 0xee && length >= 14 && at + length <= bytes.length && isAdobe(bytes, at + 2)) {
      adobeTransform = bytes[at + 13];
    }
    at += length;
  }
  throw new ImageHeaderError("JPEG header is truncated");
}

const isRestart = (marker: number | undefined): boolean => marker !== undefined && marker >= 0xd0 && marker <= 0xd7;

/**
 * Counts the scans (SOS segments) of a JPEG from SOI to EOI, walking its marker segments and
 * skipping each scan's entropy-coded data up to the next marker that is neither a stuffed 0xff00
 * nor a restart marker. Decoders read frame, table, restart-interval and scan headers by their
 * contents, not by their length field, so those must agree (libjpeg refuses files where they do
 * not); other segments are skipped by length, fill bytes and stray 0xff00 pairs are passed over.
 * Where the walk and a decoder may part ways (a length that disagrees with the contents, no marker
 * where one must be, a restart marker, after which jpeg-js may take what follows for markers),
 * every 0xffda byte pair from there to the end of the bytes is counted: a decoder that
 * resynchronises may find a scan at any of them and never anywhere else. So the count is exact for
 * well-formed files without restart markers, and for every file an upper bound on the scans the
 * decoders here (jpeg-sequential and jpeg-js) run.
 */
export function countJpegScans(bytes: Uint8Array): number {
  let scans = 0;
  let at = 2;
  while (at + 1 < bytes.length) {
    const start = at;
    if (bytes[at] !== 0xff) return scans + countScanMarkers(bytes, start);
    while (bytes[at] === 0xff) at++; // fill bytes
    const marker = bytes[at++];
    if (marker === undefined || marker === 0xd9) break;
    if (marker === 0x00 || marker === 0x01 || marker === 0xd8 || isRestart(marker)) continue;
    if (at + 2 > bytes.length) break;
    const length = u16(bytes, at);
    if (length < 2 || !segmentLengthAgrees(bytes, marker, at, length)) return scans + countScanMarkers(bytes, start);
    at += length;
    if (marker === 0xda) {
      scans++;
      const { end, restart } = entropyCodedData(bytes, at);
      // jpeg-js ends a scan at a restart marker that follows its last block and reads what comes
      // next as markers, with recoveries of its own: from a scan's first restart marker on, every
      // 0xffda pair counts
      if (restart !== undefined) return scans + countScanMarkers(bytes, restart);
      at = end;
    }
  }
  return scans;
}

/**
 * Where the entropy-coded data from `at` ends: at the first marker that is neither a stuffed
 * 0xff00 nor a restart marker (or the end of the bytes); and where its first restart marker is.
 */
function entropyCodedData(bytes: Uint8Array, at: number): { end: number; restart?: number } {
  let restart: number | undefined;
  for (;;) {
    at = bytes.indexOf(0xff, at);
    if (at < 0 || at + 1 >= bytes.length) return { end: bytes.length, ...(restart === undefined ? {} : { restart }) };
    const next = bytes[at + 1];
    if (isRestart(next)) restart ??= at;
    else if (next !== 0) return { end: at, ...(restart === undefined ? {} : { restart }) };
    at += 2;
  }
}

/** Whether a segment whose decoders read it by its contents is exactly `length` bytes long (`at`: its length field). */
function segmentLengthAgrees(bytes: Uint8Array, marker: number, at: number, length: number): boolean {
  const end = at + length;
  if (isStartOfFrame(marker)) return length === 8 + 3 * (bytes[at + 7] ?? 0);
  if (marker === 0xda) return length === 6 + 2 * (bytes[at + 2] ?? 0);
  if (marker === 0xdd || marker === 0xdc) return length === 4;
  if (marker === 0xc4) {
    let p = at + 2;
    while (p < end) p += 17 + bytes.subarray(p + 1, p + 17).reduce((sum, n) => sum + n, 0);
    return p === end;
  }
  if (marker === 0xdb) {
    let p = at + 2;
    while (p < end) p += (bytes[p] ?? 0) >> 4 === 0 ? 65 : 129;
    return p === end;
  }
  return true;
}

/** Every 0xff 0xda byte pair from just before `at` (a decoder may back up a byte to resynchronise) to the end. */
function countScanMarkers(bytes: Uint8Array, at: number): number {
  let n = 0;
  for (let i = bytes.indexOf(0xff, Math.max(0, at - 1)); i >= 0 && i + 1 < bytes.length; i = bytes.indexOf(0xff, i + 1)) {
    if (bytes[i + 1] === 0xda) n++;
  }
  return n;
}
