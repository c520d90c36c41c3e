/**
 * A decoder for sequential Huffman JPEGs (SOF0 baseline and SOF1 extended, 8-bit samples): what
 * phone cameras and browsers write. It returns each component's samples at the component's own
 * resolution, with the inverse DCT computed in libjpeg's default "islow" fixed-point arithmetic
 * (the Loeffler-Ligtenberg-Moschytz factorisation with 13-bit constants and 2 extra bits between
 * the passes), so that its samples equal libjpeg(-turbo)'s, which OpenCV uses on the training
 * side. Progressive, lossless, arithmetic-coded and 12-bit files are not handled here
 * (`decodeSequentialJpeg` returns undefined for them).
 *
 * Corrupt or truncated entropy-coded data throws; nothing is guessed.
 */

export interface JpegPlane {
  readonly id: number;
  /** Sampling factors from the frame header. */
  readonly h: number;
  readonly v: number;
  /** Samples that belong to the image: ceil(width * h / maxH) x ceil(height * v / maxV). */
  readonly width: number;
  readonly height: number;
  /** Row stride of `samples` (the plane is padded to whole blocks of whole MCUs). */
  readonly stride: number;
  readonly samples: Uint8Array;
}

export interface JpegPlanes {
  readonly width: number;
  readonly height: number;
  readonly planes: readonly JpegPlane[];
  /** Whether an APP0 JFIF segment was present. */
  readonly jfif: boolean;
  /** The transform flag of an Adobe APP14 segment, if any. */
  readonly adobeTransform?: number;
}

/** What the frame header (and the APP segments before it) say, for deciding whether to decode. */
export interface JpegFrameInfo {
  readonly width: number;
  readonly height: number;
  readonly components: readonly { readonly id: number; readonly h: number; readonly v: number }[];
  readonly jfif: boolean;
  readonly adobeTransform?: number;
}

export class JpegDataError extends Error {
  override readonly name = "JpegDataError";
}

/** Position k of the zig-zag sequence holds coefficient ZIGZAG[k] of the row-major 8x8 block. */
const ZIGZAG = Int32Array.from([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21,
  28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61,
  54, 47, 55, 62, 63,
]);

const LOOKAHEAD = 9;

interface HuffmanTable {
  /** Indexed by the next LOOKAHEAD bits: (code length << 8) | symbol, or 0 when the code is longer. */
  readonly fast: Int32Array;
  /** Largest code of each length (index 1..16), -1 where there is none; index 17 is a sentinel. */
  readonly maxCode: Int32Array;
  /** symbols[valOffset[l] + code] is the symbol of code `code` of length l. */
  readonly valOffset: Int32Array;
  readonly symbols: Uint8Array;
}

function buildHuffmanTable(counts: Uint8Array, symbols: Uint8Array): HuffmanTable {
  const fast = new Int32Array(1 << LOOKAHEAD);
  const maxCode = new Int32Array(18).fill(-1);
  const valOffset = new Int32Array(18);
  let code = 0;
  let k = 0;
  for (let length = 1; length <= 16; length++) {
    const n = counts[length - 1] ?? 0;
    valOffset[length] = k - code;
    for (let i = 0; i < n; i++, k++, code++) {
      if (code >= 1 << length) throw new JpegDataError("JPEG Huffman table is over-subscribed");
      if (length <= LOOKAHEAD) {
        const shift = LOOKAHEAD - length;
        const entry = (length << 8) | (symbols[k] ?? 0);
        for (let j = code << shift, end = (code + 1) << shift; j < end; j++) fast[j] = entry;
      }
    }
    if (n > 0) maxCode[length] = code - 1;
    code <<= 1;
  }
  maxCode[17] = 0x7fffffff;
  return { fast, maxCode, valOffset, symbols };
}

/** Reads entropy-coded bits, removing stuffed zero bytes; stops in front of any marker. */
class BitReader {
  acc = 0;
  bits = 0;
  /** Zero bits appended past the end of the data (or a marker); consuming any of them means the scan is cut short. */
  padding = 0;

  constructor(
    private readonly bytes: Uint8Array,
    public pos: number,
  ) {}

  /** Tops the buffer up to more than 24 bits. */
  fill(): void {
    const bytes = this.bytes;
    while (this.bits <= 24) {
      let byte = 0;
      if (this.padding === 0 && this.pos < bytes.length) {
        byte = bytes[this.pos]!;
        if (byte === 0xff) {
          const next = this.pos + 1 < bytes.length ? bytes[this.pos + 1]! : -1;
          if (next === 0) this.pos += 2;
          else {
            byte = 0;
            this.padding += 8;
          }
        } else this.pos++;
      } else this.padding += 8;
      this.acc = (this.acc << 8) | byte;
      this.bits += 8;
    }
  }

  decode(table: HuffmanTable): number {
    if (this.bits < 16) this.fill();
    const peek = (this.acc >>> (this.bits - 16)) & 0xffff;
    const entry = table.fast[peek >>> (16 - LOOKAHEAD)]!;
    if (entry !== 0) {
      this.bits -= entry >> 8;
      return entry & 0xff;
    }
    let length = LOOKAHEAD + 1;
    let code = peek >>> (16 - length);
    while (code > table.maxCode[length]!) {
      length++;
      code = peek >>> (16 - length);
    }
    if (length > 16) throw new JpegDataError("JPEG data holds an invalid Huffman code");
    this.bits -= length;
    return table.symbols[table.valOffset[length]! + code] ?? 0;
  }

  /** The next `n` bits (1..16) as a signed coefficient (JPEG's EXTEND). */
  receiveExtend(n: number): number {
    if (this.bits < n) this.fill();
    this.bits -= n;
    const value = (this.acc >>> this.bits) & ((1 << n) - 1);
    return value < 1 << (n - 1) ? value - (1 << n) + 1 : value;
  }

  /** Throws if bits past the end of the scan's data were consumed. */
  checkNotTruncated(): void {
    if (this.bits < this.padding) throw new JpegDataError("JPEG data is truncated");
  }

  /** Drops the buffered bits (at a restart marker or the end of a scan). */
  reset(): void {
    this.checkNotTruncated();
    this.acc = 0;
    this.bits = 0;
    this.padding = 0;
  }
}

// islow inverse DCT constants: round(x * 2^13)
const CONST_BITS = 13;
const PASS1_BITS = 2;
const FIX_0_298631336 = 2446;
const FIX_0_390180644 = 3196;
const FIX_0_541196100 = 4433;
const FIX_0_765366865 = 6270;
const FIX_0_899976223 = 7373;
const FIX_1_175875602 = 9633;
const FIX_1_501321110 = 12299;
const FIX_1_847759065 = 15137;
const FIX_1_961570560 = 16069;
const FIX_2_053119869 = 16819;
const FIX_2_562915447 = 20995;
const FIX_3_072711026 = 25172;

/** Maps the inverse DCT's output (offset by -128, taken mod 1024) to a sample: clamps what lies within +-512 of the range, wraps beyond (as libjpeg's range-limit table does). */
const RANGE_LIMIT = new Uint8Array(1024);
for (let i = 0; i < 1024; i++) {
  const v = (i < 512 ? i : i - 1024) + 128;
  RANGE_LIMIT[i] = v < 0 ? 0 : v > 255 ? 255 : v;
}

/**
 * One 8-point islow inverse DCT: reads src[at + k * step] for k = 0..7 and writes the eight outputs,
 * still scaled up by 2^CONST_BITS and not rounded, to out[0..7] (Int32Array arithmetic, as libjpeg's
 * 32-bit integers).
 */
function idct8(src: Int32Array, at: number, step: number, out: Int32Array): void {
  const d0 = src[at]!;
  const d1 = src[at + step]!;
  const d2 = src[at + 2 * step]!;
  const d3 = src[at + 3 * step]!;
  const d4 = src[at + 4 * step]!;
  const d5 = src[at + 5 * step]!;
  const d6 = src[at + 6 * step]!;
  const d7 = src[at + 7 * step]!;
  // even part: the rotator is sqrt(2) * c(-6)
  let z1 = (d2 + d6) * FIX_0_541196100;
  const e2 = z1 - d6 * FIX_1_847759065;
  const e3 = z1 + d2 * FIX_0_765366865;
  const e0 = (d0 + d4) * (1 << CONST_BITS);
  const e1 = (d0 - d4) * (1 << CONST_BITS);
  const t10 = e0 + e3;
  const t13 = e0 - e3;
  const t11 = e1 + e2;
  const t12 = e1 - e2;
  // odd part
  z1 = d7 + d1;
  let z2 = d5 + d3;
  let z3 = d7 + d3;
  let z4 = d5 + d1;
  const z5 = (z3 + z4) * FIX_1_175875602;
  z1 *= -FIX_0_899976223;
  z2 *= -FIX_2_562915447;
  z3 = z3 * -FIX_1_961570560 + z5;
  z4 = z4 * -FIX_0_390180644 + z5;
  const o0 = d7 * FIX_0_298631336 + z1 + z3;
  const o1 = d5 * FIX_2_053119869 + z2 + z4;
  const o2 = d3 * FIX_3_072711026 + z2 + z3;
  const o3 = d1 * FIX_1_501321110 + z1 + z4;
  out[0] = t10 + o3;
  out[7] = t10 - o3;
  out[1] = t11 + o2;
  out[6] = t11 - o2;
  out[2] = t12 + o1;
  out[5] = t12 - o1;
  out[3] = t13 + o0;
  out[4] = t13 - o0;
}

const row8 = new Int32Array(8);

/**
 * Inverse DCT of one dequantised block (row-major) into `out` at `at` with row stride `stride`:
 * columns first (kept PASS1_BITS more precise), then rows. `work` is scratch space of 64 entries.
 */
function inverseDct(block: Int32Array, work: Int32Array, out: Uint8Array, at: number, stride: number): void {
  const pass1Shift = CONST_BITS - PASS1_BITS;
  const pass1Round = 1 << (pass1Shift - 1);
  for (let c = 0; c < 8; c++) {
    if ((block[8 + c]! | block[16 + c]! | block[24 + c]! | block[32 + c]! | block[40 + c]! | block[48 + c]! | block[56 + c]!) === 0) {
      // only the DC term: the column is flat (the full computation gives the same values)
      const dc = block[c]! << PASS1_BITS;
      for (let r = 0; r < 64; r += 8) work[r + c] = dc;
      continue;
    }
    idct8(block, c, 8, row8);
    for (let k = 0; k < 8; k++) work[8 * k + c] = (row8[k]! + pass1Round) >> pass1Shift;
  }

  const pass2Shift = CONST_BITS + PASS1_BITS + 3;
  const pass2Round = 1 << (pass2Shift - 1);
  for (let r = 0; r < 64; r += 8) {
    const o = at + (r >> 3) * stride;
    if ((work[r + 1]! | work[r + 2]! | work[r + 3]! | work[r + 4]! | work[r + 5]! | work[r + 6]! | work[r + 7]!) === 0) {
      const v = RANGE_LIMIT[((work[r]! + (1 << (PASS1_BITS + 2))) >> (PASS1_BITS + 3)) & 1023]!;
      for (let x = 0; x < 8; x++) out[o + x] = v;
      continue;
    }
    idct8(work, r, 1, row8);
    for (let k = 0; k < 8; k++) out[o + k] = RANGE_LIMIT[((row8[k]! + pass2Round) >> pass2Shift) & 1023]!;
  }
}

interface FrameComponent {
  readonly id: number;
  readonly h: number;
  readonly v: number;
  readonly quantTable: number;
  width: number;
  height: number;
  /** Blocks per line and per column, padded to whole MCUs. */
  blocksPerLine: number;
  blocksPerColumn: number;
  samples: Uint8Array;
  dcPredictor: number;
  /** Whether a scan has carried this component (a sequential file codes each component once). */
  scanned: boolean;
}

function u16(bytes: Uint8Array, at: number): number {
  return ((bytes[at] ?? 0) << 8) | (bytes[at + 1] ?? 0);
}

/**
 * Decodes a sequential Huffman-coded 8-bit JPEG to per-component planes, or returns undefined when
 * the file uses a coding process this decoder does not implement (progressive, lossless,
 * arithmetic coding, 12-bit samples, a DNL-defined height) or when `accept` turns its frame down
 * (checked at the frame header, before any pixel data is decoded).
 */
export function decodeSequentialJpeg(bytes: Uint8Array, accept?: (frame: JpegFrameInfo) => boolean): JpegPlanes | undefined {
  if (bytes[0] !== 0xff || bytes[1] !== 0xd8) throw new JpegDataError("not a JPEG (no SOI marker)");
  const quant: (Int32Array | undefined)[] = [];
  const dcTables: (HuffmanTable | undefined)[] = [];
  const acTables: (HuffmanTable | undefined)[] = [];
  let frame: { width: number; height: number; components: FrameComponent[]; maxH: number; maxV: number; mcusPerLine: number; mcusPerColumn: number } | undefined;
  let restartInterval = 0;
  let jfif = false;
  let adobeTransform: number | undefined;
  let scans = 0;
  let at = 2;

  for (;;) {
    if (at >= bytes.length) throw new JpegDataError("JPEG data is truncated (no EOI marker)");
    if (bytes[at] !== 0xff) throw new JpegDataError(`JPEG marker expected at byte ${at}`);
    while (bytes[at] === 0xff) at++;
    const marker = bytes[at++];
    if (marker === undefined) throw new JpegDataError("JPEG data is truncated");
    if (marker === 0xd9) break;
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue;
    if (at + 2 > bytes.length) throw new JpegDataError("JPEG segment is truncated");
    const length = u16(bytes, at);
    const end = at + length;
    if (length < 2 || end > bytes.length) throw new JpegDataError("JPEG segment is truncated");
    const seg = at + 2;

    switch (marker) {
      case 0xc0:
      case 0xc1: {
        if (frame) throw new JpegDataError("JPEG has more than one frame header");
        if ((bytes[seg] ?? 0) !== 8) return undefined;
        const height = u16(bytes, seg + 1);
        const width = u16(bytes, seg + 3);
        const count = bytes[seg + 5] ?? 0;
        if (height === 0) return undefined;
        if (width === 0 || count === 0 || length < 8 + 3 * count) throw new JpegDataError("JPEG frame header is invalid");
        const components: FrameComponent[] = [];
        for (let i = 0; i < count; i++) {
          const base = seg + 6 + 3 * i;
          const sampling = bytes[base + 1] ?? 0;
          const h = sampling >> 4;
          const v = sampling & 15;
          if (h < 1 || h > 4 || v < 1 || v > 4) throw new JpegDataError("JPEG sampling factors are invalid");
          components.push({ id: bytes[base] ?? 0, h, v, quantTable: bytes[base + 2] ?? 0, width: 0, height: 0, blocksPerLine: 0, blocksPerColumn: 0, samples: new Uint8Array(0), dcPredictor: 0, scanned: false });
        }
        const info = { width, height, components, jfif, ...(adobeTransform === undefined ? {} : { adobeTransform }) };
        if (accept && !accept(info)) return undefined;
        const maxH = Math.max(...components.map((c) => c.h));
        const maxV = Math.max(...components.map((c) => c.v));
        const mcusPerLine = Math.ceil(width / (8 * maxH));
        const mcusPerColumn = Math.ceil(height / (8 * maxV));
        for (const c of components) {
          c.width = Math.ceil((width * c.h) / maxH);
          c.height = Math.ceil((height * c.v) / maxV);
          c.blocksPerLine = mcusPerLine * c.h;
          c.blocksPerColumn = mcusPerColumn * c.v;
          c.samples = new Uint8Array(c.blocksPerLine * c.blocksPerColumn * 64);
        }
        frame = { width, height, components, maxH, maxV, mcusPerLine, mcusPerColumn };
        break;
      }
      case 0xc2:
      case 0xc3:
      case 0xc5:
      case 0xc6:
      case 0xc7:
      case 0xc9:
      case 0xca:
      case 0xcb:
      case 0xcd:
      case 0xce:
      case 0xcf:
        return undefined;
      case 0xc4: {
        let p = seg;
        while (p < end) {
          const tc = (bytes[p] ?? 0) >> 4;
          const th = (bytes[p] ?? 0) & 15;
          if (p + 17 > end || tc > 1 || th > 3) throw new JpegDataError("JPEG Huffman table is invalid");
          const counts = bytes.slice(p + 1, p + 17);
          const total = counts.reduce((a, b) => a + b, 0);
          if (p + 17 + total > end) throw new JpegDataError("JPEG Huffman table is truncated");
          const table = buildHuffmanTable(counts, bytes.slice(p + 17, p + 17 + total));
          (tc === 0 ? dcTables : acTables)[th] = table;
          p += 17 + total;
        }
        break;
      }
      case 0xdb: {
        let p = seg;
        while (p < end) {
          const precision = (bytes[p] ?? 0) >> 4;
          const tq = (bytes[p] ?? 0) & 15;
          const size = precision === 0 ? 64 : 128;
          if (precision > 1 || tq > 3 || p + 1 + size > end) throw new JpegDataError("JPEG quantisation table is invalid");
          const table = new Int32Array(64);
          for (let k = 0; k < 64; k++) {
            table[ZIGZAG[k]!] = precision === 0 ? (bytes[p + 1 + k] ?? 0) : u16(bytes, p + 1 + 2 * k);
          }
          quant[tq] = table;
          p += 1 + size;
        }
        break;
      }
      case 0xdd:
        restartInterval = u16(bytes, seg);
        break;
      case 0xe0:
        if (length >= 7 && bytes[seg] === 0x4a && bytes[seg + 1] === 0x46 && bytes[seg + 2] === 0x49 && bytes[seg + 3] === 0x46 && bytes[seg + 4] === 0) jfif = true;
        break;
      case 0xee:
        if (length >= 14 && [0x41, 0x64, 0x6f, 0x62, 0x65].every((b, i) => bytes[seg + i] === b)) adobeTransform = bytes[seg + 11];
        break;
      case 0xda: {
        if (!frame) throw new JpegDataError("JPEG scan comes before the frame header");
        const count = bytes[seg] ?? 0;
        if (count < 1 || count > 4 || length < 6 + 2 * count) throw new JpegDataError("JPEG scan header is invalid");
        const scanComponents: { component: FrameComponent; dc: HuffmanTable; ac: HuffmanTable; quant: Int32Array }[] = [];
        for (let i = 0; i < count; i++) {
          const id = bytes[seg + 1 + 2 * i];
          const tables = bytes[seg + 2 + 2 * i] ?? 0;
          const component = frame.components.find((c) => c.id === id);
          const dc = dcTables[tables >> 4];
          const ac = acTables[tables & 15];
          const q = component ? quant[component.quantTable] : undefined;
          if (!component || !dc || !ac || !q) throw new JpegDataError("JPEG scan refers to a missing component or table");
          // one scan per component bounds the work a file can ask for
          if (component.scanned) throw new JpegDataError("JPEG codes a component in more than one sequential scan");
          component.scanned = true;
          scanComponents.push({ component, dc, ac, quant: q });
        }
        const ss = bytes[seg + 1 + 2 * count];
        const se = bytes[seg + 2 + 2 * count];
        const approximation = bytes[seg + 3 + 2 * count];
        if (ss !== 0 || se !== 63 || approximation !== 0) throw new JpegDataError("JPEG sequential scan has a spectral selection");
        at = decodeScan(bytes, end, frame, scanComponents, restartInterval);
        scans++;
        continue;
      }
      default:
        break;
    }
    at = end;
  }

  if (!frame || scans === 0) throw new JpegDataError("JPEG has no image data");
  if (frame.components.some((c) => !c.scanned)) throw new JpegDataError("JPEG has a component without image data");
  return {
    width: frame.width,
    height: frame.height,
    jfif,
    ...(adobeTransform === undefined ? {} : { adobeTransform }),
    planes: frame.components.map((c) => ({ id: c.id, h: c.h, v: c.v, width: c.width, height: c.height, stride: c.blocksPerLine * 8, samples: c.samples })),
  };
}

/** Decodes one scan's entropy-coded data starting at `start`; returns the offset of the marker that follows it. */
function decodeScan(
  bytes: Uint8Array,
  start: number,
  frame: { components: FrameComponent[]; mcusPerLine: number; mcusPerColumn: number },
  scan: readonly { component: FrameComponent; dc: HuffmanTable; ac: HuffmanTable; quant: Int32Array }[],
  restartInterval: number,
): number {
  const reader = new BitReader(bytes, start);
  const block = new Int32Array(64);
  const work = new Int32Array(64);
  for (const s of scan) s.component.dcPredictor = 0;

  const decodeBlock = (s: (typeof scan)[number], row: number, col: number): void => {
    const { component, dc, ac, quant } = s;
    block.fill(0);
    const t = reader.decode(dc);
    if (t > 11) throw new JpegDataError("JPEG DC coefficient is out of range");
    const diff = t === 0 ? 0 : reader.receiveExtend(t);
    component.dcPredictor += diff;
    block[0] = component.dcPredictor * quant[0]!;
    for (let k = 1; k < 64; ) {
      const rs = reader.decode(ac);
      const size = rs & 15;
      const run = rs >> 4;
      if (size === 0) {
        if (run !== 15) break;
        k += 16;
        continue;
      }
      k += run;
      if (k > 63) throw new JpegDataError("JPEG block has more than 64 coefficients");
      const z = ZIGZAG[k]!;
      block[z] = reader.receiveExtend(size) * quant[z]!;
      k++;
    }
    const stride = component.blocksPerLine * 8;
    inverseDct(block, work, component.samples, row * 8 * stride + col * 8, stride);
  };

  const single = scan.length === 1 ? scan[0] : undefined;
  // a scan of one component codes its own blocks (not padded to MCUs) one by one
  const mcusPerLine = single ? Math.ceil(single.component.width / 8) : frame.mcusPerLine;
  const mcusPerColumn = single ? Math.ceil(single.component.height / 8) : frame.mcusPerColumn;
  const total = mcusPerLine * mcusPerColumn;
  let expectedRestart = 0;
  for (let mcu = 0; mcu < total; mcu++) {
    if (restartInterval > 0 && mcu > 0 && mcu % restartInterval === 0) {
      reader.reset();
      let p = reader.pos;
      while (bytes[p] === 0xff && bytes[p + 1] === 0xff) p++; // fill bytes before a marker
      if (bytes[p] !== 0xff || bytes[p + 1] !== 0xd0 + expectedRestart) throw new JpegDataError("JPEG restart marker is missing or out of order");
      reader.pos = p + 2;
      expectedRestart = (expectedRestart + 1) & 7;
      for (const s of scan) s.component.dcPredictor = 0;
    }
    const mcuRow = Math.floor(mcu / mcusPerLine);
    const mcuCol = mcu - mcuRow * mcusPerLine;
    if (single) {
      decodeBlock(single, mcuRow, mcuCol);
    } else {
      for (const s of scan) {
        const { h, v } = s.component;
        for (let by = 0; by < v; by++) {
          for (let bx = 0; bx < h; bx++) decodeBlock(s, mcuRow * v + by, mcuCol * h + bx);
        }
      }
    }
    reader.checkNotTruncated();
  }
  reader.reset();
  // skip to the next marker (a restart marker after the last interval, or whatever follows the scan)
  let p = reader.pos;
  while (p + 1 < bytes.length && !(bytes[p] === 0xff && bytes[p + 1] !== 0 && !(bytes[p + 1]! >= 0xd0 && bytes[p + 1]! <= 0xd7))) p++;
  if (p + 1 >= bytes.length) throw new JpegDataError("JPEG data is truncated (no marker after the scan)");
  return p;
}
