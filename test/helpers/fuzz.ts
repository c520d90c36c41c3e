import { readImageHeader } from "../../src/image/image-header";
import { concatBytes } from "../../src/bytes";

/**
 * Seeded generators for the POST /v1/liveness fuzz test. Every case is a pure function of
 * (seed, index, corpus): case k of a run can be rebuilt alone, without generating cases 0..k-1.
 */

/** mulberry32: a 32-bit state PRNG; returns uint32 values. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** The seed of case `index` of a run seeded with `seed` (a murmur3 finaliser over both). */
export function caseSeed(seed: number, index: number): number {
  let h = (seed ^ Math.imul(index + 1, 0x9e3779b9)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export class Rng {
  readonly #next: () => number;
  constructor(seed: number) {
    this.#next = mulberry32(seed);
  }
  /** Uniform in [0, 1). */
  float(): number {
    return this.#next() / 2 ** 32;
  }
  /** Integer in [lo, hi], both included. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.float() < p;
  }
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("pick from an empty list");
    return items[this.int(0, items.length - 1)] as T;
  }
  /** Picks by weight: `[[weight, value], ...]`. */
  weighted<T>(items: readonly (readonly [number, T])[]): T {
    let r = this.float() * items.reduce((sum, [w]) => sum + w, 0);
    for (const [w, value] of items) {
      r -= w;
      if (r < 0) return value;
    }
    const last = items[items.length - 1];
    if (!last) throw new Error("weighted pick from an empty list");
    return last[1];
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 4) {
      const v = this.#next();
      out[i] = v & 255;
      if (i + 1 < n) out[i + 1] = (v >>> 8) & 255;
      if (i + 2 < n) out[i + 2] = (v >>> 16) & 255;
      if (i + 3 < n) out[i + 3] = v >>> 24;
    }
    return out;
  }
  /** A length from a spread of scales: mostly small, sometimes tens of kilobytes. */
  length(max = 64 * 1024): number {
    return Math.min(max, this.weighted([[1, this.int(1, 16)], [4, this.int(17, 1024)], [2, this.int(1025, 16 * 1024)], [1, this.int(16 * 1024, 64 * 1024)]]));
  }
  ascii(n: number, alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"): string {
    let s = "";
    for (let i = 0; i < n; i++) s += alphabet[this.int(0, alphabet.length - 1)];
    return s;
  }
}

/** A valid image the mutating classes start from. */
export interface CorpusImage {
  readonly name: string;
  readonly format: "png" | "jpeg";
  readonly bytes: Uint8Array;
  readonly width: number;
  readonly height: number;
}

export function corpusImage(name: string, bytes: Uint8Array): CorpusImage {
  const { format, width, height } = readImageHeader(bytes);
  return { name, format, bytes, width, height };
}

export interface FuzzLimits {
  /** The Worker's MAX_BODY_BYTES. */
  readonly maxBodyBytes: number;
  /** MAX_IMAGE_PIXELS and MIN_IMAGE_SIDE. */
  readonly maxImagePixels: number;
  readonly minImageSide: number;
}

export const FUZZ_CLASSES = [
  "random-bytes",
  "truncated-image",
  "mutated-image",
  "declared-dimensions",
  "multipart-structure",
  "multipart-meta",
  "size-limit",
] as const;
export type FuzzClass = (typeof FUZZ_CLASSES)[number];

/** One generated request and what the API contract says about its answer. */
export interface FuzzCase {
  readonly index: number;
  readonly seed: number;
  readonly class: FuzzClass;
  /** What was done inside the class (for example "bit-flips", "wrong-boundary"). */
  readonly variant: string;
  readonly path: string;
  readonly init: RequestInit;
  readonly bodyBytes: number;
  /**
   * True when the input cannot be a readable frame (random bytes, cut-short files, headers without
   * pixels, broken multipart, malformed meta): the answer must be a 4xx, never a decision.
   */
  readonly garbage: boolean;
  /** The status README.md's table gives this input, where it is certain. */
  readonly status?: number;
}

export const LIVENESS_PATH = "/v1/liveness";
export const TEACHER_PATH = "/v1/liveness/teacher";

type Draft = Omit<FuzzCase, "index" | "seed" | "class" | "path" | "bodyBytes"> & { readonly bodyBytes?: number };

/** Builds case `index` of the run seeded with `seed`. */
export function fuzzCase(seed: number, index: number, corpus: readonly CorpusImage[], limits: FuzzLimits): FuzzCase {
  const s = caseSeed(seed, index);
  const rng = new Rng(s);
  const cls = rng.weighted<FuzzClass>([
    [3, "random-bytes"],
    [3, "truncated-image"],
    [5, "mutated-image"],
    [3, "declared-dimensions"],
    [4, "multipart-structure"],
    [4, "multipart-meta"],
    [1, "size-limit"],
  ]);
  const draft = GENERATORS[cls](rng, corpus, limits);
  // the teacher route reads and checks its input with the same code: a share of cases goes there
  const path = rng.chance(0.1) ? TEACHER_PATH : LIVENESS_PATH;
  const bodyBytes = draft.bodyBytes ?? (draft.init.body instanceof Uint8Array ? draft.init.body.byteLength : 0);
  return { ...draft, index, seed, class: cls, path, bodyBytes };
}

const GENERATORS: Record<FuzzClass, (rng: Rng, corpus: readonly CorpusImage[], limits: FuzzLimits) => Draft> = {
  "random-bytes": randomBytes,
  "truncated-image": truncatedImage,
  "mutated-image": mutatedImage,
  "declared-dimensions": declaredDimensions,
  "multipart-structure": multipartStructure,
  "multipart-meta": multipartMeta,
  "size-limit": sizeLimit,
};

const SUPPORTED = ["image/jpeg", "image/png", "multipart/form-data"];

/** The media type the service will see (README: type/subtype, parameters dropped, case-insensitive). */
function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
}

function request(body: Uint8Array | ReadableStream<Uint8Array>, contentType: string | undefined): RequestInit {
  const headers: Record<string, string> = contentType === undefined ? {} : { "content-type": contentType };
  return body instanceof Uint8Array
    ? { method: "POST", body, headers }
    : ({ method: "POST", body, headers, duplex: "half" } as RequestInit);
}

/** The same bytes as a stream of random-sized chunks, sent without Content-Length. */
function chunked(rng: Rng, bytes: Uint8Array): ReadableStream<Uint8Array> {
  const cuts: number[] = [];
  for (let at = 0; at < bytes.length; ) {
    at = Math.min(bytes.length, at + rng.int(1, Math.max(1, Math.ceil(bytes.length / rng.int(1, 8)))));
    cuts.push(at);
  }
  let i = 0;
  let from = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const to = cuts[i++];
      if (to === undefined) {
        controller.close();
        return;
      }
      controller.enqueue(bytes.slice(from, to));
      from = to;
    },
  });
}

/** A status where README's table makes it certain for bytes that are no image of any kind. */
function statusForJunk(contentType: string | undefined, length: number): number | undefined {
  const media = mediaTypeOf(contentType);
  if (!SUPPORTED.includes(media)) return 415;
  if (length === 0) return 413;
  return media === "multipart/form-data" ? 400 : 422;
}

const JUNK_CONTENT_TYPES: readonly (string | undefined)[] = [
  "image/jpeg",
  "image/png",
  "IMAGE/PNG",
  " image/jpeg ; q=1",
  "image/png; charset=utf-8",
  "multipart/form-data",
  "multipart/form-data; boundary=fuzz",
  "multipart/form-data; boundary=",
  "multipart/mixed; boundary=fuzz",
  "image/gif",
  "image/webp",
  "image/jpg",
  "application/octet-stream",
  "text/plain",
  "application/json",
  "",
  ";",
  undefined,
];

const PREFIXES: readonly number[][] = [
  [],
  [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
  [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52],
  [0xff, 0xd8, 0xff],
  [0xff, 0xd8, 0xff, 0xc0, 0x00, 0x11, 0x08],
  [...new TextEncoder().encode("--fuzz\r\nContent-Disposition: form-data; name=\"frame\"; filename=\"f\"\r\n\r\n")],
  [...new TextEncoder().encode("GIF89a")],
];

function randomBytes(rng: Rng): Draft {
  const contentType = rng.pick(JUNK_CONTENT_TYPES);
  const prefix = rng.pick(PREFIXES);
  const length = rng.chance(0.05) ? 0 : rng.length();
  const bytes = new Uint8Array(length === 0 ? 0 : prefix.length + length);
  if (length > 0) {
    bytes.set(prefix);
    bytes.set(rng.bytes(length), prefix.length);
  }
  const streamed = bytes.length > 0 && rng.chance(0.15);
  const status = statusForJunk(contentType, bytes.length);
  return {
    variant: `${prefix.length ? "magic+" : ""}random${streamed ? "/streamed" : ""}`,
    init: request(streamed ? chunked(rng, bytes) : bytes, contentType),
    bodyBytes: bytes.length,
    garbage: true,
    ...(status === undefined ? {} : { status }),
  };
}

function contentTypeOf(image: CorpusImage): string {
  return image.format === "png" ? "image/png" : "image/jpeg";
}

/** Where an image's header ends: a PNG's first IDAT data, a JPEG's first scan data. */
export function headerEnd(image: Uint8Array): number {
  if (image[0] === 0x89) {
    const idat = pngChunks(image).find((c) => c.type === "IDAT");
    return idat ? idat.start + 8 : image.length;
  }
  for (let at = 2; at + 4 <= image.length; ) {
    const marker = image[at + 1] ?? 0;
    const length = ((image[at + 2] ?? 0) << 8) | (image[at + 3] ?? 0);
    if (marker === 0xda) return at + 2 + length;
    at += 2 + length;
  }
  return image.length;
}

function truncatedImage(rng: Rng, corpus: readonly CorpusImage[]): Draft {
  const image = rng.pick(corpus);
  const end = headerEnd(image.bytes);
  const where = rng.weighted<"header" | "data" | "tail">([
    [2, "header"],
    [3, "data"],
    [1, "tail"],
  ]);
  const cut =
    where === "header"
      ? rng.int(0, end - 1)
      : where === "data"
        ? rng.int(end, image.bytes.length - 1)
        : rng.int(Math.max(end, image.bytes.length - 16), image.bytes.length - 1);
  const bytes = image.bytes.slice(0, cut);
  // a file cut anywhere before its last byte has lost at least its end marker or the CRC of IEND,
  // and usually pixel data: README promises 422 for truncated images
  return { variant: `${image.name}/${where}@${cut}`, init: request(bytes, contentTypeOf(image)), garbage: true, status: cut === 0 ? 413 : 422 };
}

type Mutation = (rng: Rng, bytes: Uint8Array) => Uint8Array;

const MUTATIONS: Record<string, Mutation> = {
  "bit-flips": (rng, bytes) => {
    const out = bytes.slice();
    for (let n = rng.int(1, 8); n > 0; n--) {
      const i = rng.int(0, out.length - 1);
      out[i] = (out[i] ?? 0) ^ (1 << rng.int(0, 7));
    }
    return out;
  },
  "byte-sets": (rng, bytes) => {
    const out = bytes.slice();
    const interesting = [0x00, 0xff, 0x7f, 0x80, 0x01, 0xd8, 0xd9, 0xda, 0xc0, 0xc4];
    for (let n = rng.int(1, 8); n > 0; n--) out[rng.int(0, out.length - 1)] = rng.chance(0.5) ? rng.pick(interesting) : rng.int(0, 255);
    return out;
  },
  "chunk-deletion": (rng, bytes) => {
    const from = rng.int(0, bytes.length - 1);
    const to = Math.min(bytes.length, from + rng.int(1, Math.max(1, bytes.length >> 3)));
    return concat(bytes.subarray(0, from), bytes.subarray(to));
  },
  "chunk-duplication": (rng, bytes) => {
    const from = rng.int(0, bytes.length - 1);
    const to = Math.min(bytes.length, from + rng.int(1, Math.max(1, bytes.length >> 3)));
    const at = rng.int(0, bytes.length);
    return concat(bytes.subarray(0, at), bytes.subarray(from, to), bytes.subarray(at));
  },
  "random-overwrite": (rng, bytes) => {
    const out = bytes.slice();
    const at = rng.int(0, out.length - 1);
    const n = Math.min(out.length - at, rng.int(1, 256));
    out.set(rng.bytes(n), at);
    return out;
  },
  "random-insertion": (rng, bytes) => {
    const at = rng.int(0, bytes.length);
    return concat(bytes.subarray(0, at), rng.bytes(rng.int(1, 256)), bytes.subarray(at));
  },
  "segment-shuffle": (rng, bytes) => {
    const segments = bytes[0] === 0x89 ? pngChunks(bytes).map((c) => [c.start, c.end] as const) : jpegSegments(bytes);
    if (segments.length < 2) return bytes;
    const a = rng.int(0, segments.length - 1);
    const op = rng.pick(["drop", "repeat", "swap"] as const);
    const parts = segments.map(([s, e]) => bytes.subarray(s, e));
    const head = bytes.subarray(0, segments[0]?.[0] ?? 0);
    const tail = bytes.subarray(segments[segments.length - 1]?.[1] ?? bytes.length);
    if (op === "drop") parts.splice(a, 1);
    else if (op === "repeat") parts.splice(a, 0, parts[a] ?? new Uint8Array());
    else {
      const b = rng.int(0, parts.length - 1);
      [parts[a], parts[b]] = [parts[b] ?? new Uint8Array(), parts[a] ?? new Uint8Array()];
    }
    return concat(head, ...parts, tail);
  },
};

function mutatedImage(rng: Rng, corpus: readonly CorpusImage[]): Draft {
  const image = rng.pick(corpus);
  const names = Object.keys(MUTATIONS);
  let bytes = image.bytes;
  const applied: string[] = [];
  for (let n = rng.weighted([[6, 1], [2, 2], [1, 3]]); n > 0; n--) {
    const name = rng.pick(names);
    bytes = MUTATIONS[name]?.(rng, bytes) ?? bytes;
    applied.push(name);
  }
  // the declared type is sometimes the other format's: the service goes by the bytes
  const contentType = rng.chance(0.15) ? rng.pick(["image/png", "image/jpeg"]) : contentTypeOf(image);
  return { variant: `${image.name}/${applied.join("+")}`, init: request(bytes, contentType), garbage: false };
}

function declaredDimensions(rng: Rng, corpus: readonly CorpusImage[], limits: FuzzLimits): Draft {
  const kind = rng.pick(["oversized", "zero", "odd"] as const);
  const side = (): number => {
    if (kind === "zero") return 0;
    if (kind === "oversized") return rng.pick([limits.maxImagePixels + 1, 2 ** 16 - 1, 2 ** 31 - 1, 2 ** 32 - 1, rng.int(1025, 70_000)]);
    return rng.pick([1, 2, 7, limits.minImageSide - 1, limits.minImageSide, limits.minImageSide + 1, 33, 97, 255, 257, 4097, rng.int(1, 4096)]);
  };
  let [w, h] = [side(), side()];
  if (kind === "zero" && rng.chance(0.66)) {
    const other = rng.int(1, 1024);
    if (rng.chance(0.5)) w = other;
    else h = other;
  }
  if (kind === "oversized" && w * h <= limits.maxImagePixels) w = Math.ceil(limits.maxImagePixels / Math.max(1, h)) + 1;
  const format = rng.pick(["png", "jpeg"] as const);
  const jpegMax = 0xffff;
  if (format === "jpeg") [w, h] = [Math.min(w, jpegMax), Math.min(h, jpegMax)];
  const pixels = w * h;
  const oversized = pixels > limits.maxImagePixels;
  const tooSmall = w < limits.minImageSide || h < limits.minImageSide;

  const real = corpus.filter((c) => c.format === format);
  const source = rng.chance(0.5) ? rng.pick(real) : undefined;
  let bytes: Uint8Array;
  let variant: string;
  if (source) {
    bytes = format === "png" ? withPngSize(source.bytes, w, h, rng.chance(0.8)) : withJpegSize(source.bytes, w, h);
    variant = `${kind} ${w}x${h} in ${source.name}`;
  } else {
    bytes = format === "png" ? pngHeader(w, h, rng) : jpegHeader(w, h, rng);
    variant = `${kind} ${w}x${h} header only`;
  }
  const certain = oversized || tooSmall;
  return {
    variant,
    init: request(bytes, format === "png" ? "image/png" : "image/jpeg"),
    // a header with no pixel data behind it, or a size outside the limits, is never a frame
    garbage: certain || !source,
    ...(certain || !source ? { status: 422 } : {}),
  };
}

/** A PNG whose IHDR declares width x height (odd bit depths and colour types too), with a tiny IDAT. */
function pngHeader(width: number, height: number, rng: Rng): Uint8Array {
  const depth = rng.pick([8, 8, 8, 1, 2, 4, 16, 3, 0]);
  const colour = rng.pick([2, 2, 0, 3, 4, 6, 1, 5, 7]);
  const ihdr = concat(u32(width), u32(height), Uint8Array.of(depth, colour, 0, 0, rng.chance(0.8) ? 0 : 1));
  const idat = rng.chance(0.5) ? Uint8Array.of(0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01) : rng.bytes(rng.int(0, 64));
  return concat(PNG_SIGNATURE, pngChunk("IHDR", ihdr), pngChunk("IDAT", idat), pngChunk("IEND", new Uint8Array()));
}

/** A JPEG frame header declaring width x height (odd component counts and sampling factors too), no scan. */
function jpegHeader(width: number, height: number, rng: Rng): Uint8Array {
  const count = rng.pick([3, 3, 1, 0, 2, 4]);
  const sampling = (): number => rng.pick([0x11, 0x22, 0x21, 0x12, 0x00, 0x44, 0xff, rng.int(0, 255)]);
  const components: number[] = [];
  for (let i = 0; i < count; i++) components.push(i + 1, sampling(), rng.int(0, 3));
  const marker = rng.pick([0xc0, 0xc0, 0xc1, 0xc2, 0xc3]);
  const sof = [0xff, marker, 0, 8 + 3 * count, 8, (height >> 8) & 255, height & 255, (width >> 8) & 255, width & 255, count, ...components];
  const scan = rng.chance(0.5) ? [0xff, 0xda, 0, 8, 1, 1, 0, 0, 0x3f, 0, ...rng.bytes(rng.int(0, 64))] : [];
  return Uint8Array.from([0xff, 0xd8, ...sof, ...scan, 0xff, 0xd9]);
}

/** `png` with its IHDR width and height replaced; the IHDR CRC is fixed when `fixCrc`. */
function withPngSize(png: Uint8Array, width: number, height: number, fixCrc: boolean): Uint8Array {
  const out = png.slice();
  out.set(u32(width), 16);
  out.set(u32(height), 20);
  if (fixCrc) out.set(u32(crc32(out.subarray(12, 29))), 29);
  return out;
}

/** `jpeg` with its frame header's width and height replaced. */
function withJpegSize(jpeg: Uint8Array, width: number, height: number): Uint8Array {
  const out = jpeg.slice();
  for (const [start] of jpegSegments(out)) {
    const marker = out[start + 1] ?? 0;
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      out.set([(height >> 8) & 255, height & 255, (width >> 8) & 255, width & 255], start + 5);
      break;
    }
  }
  return out;
}

/** One part of a hand-built multipart body. */
export interface Part {
  readonly name?: string;
  readonly filename?: string;
  readonly type?: string;
  readonly body: Uint8Array | string;
  /** Raw header lines used instead of the generated Content-Disposition and Content-Type. */
  readonly headers?: readonly string[];
}

const encoder = new TextEncoder();

/** A multipart/form-data body, byte for byte: `close: false` leaves out the closing delimiter. */
export function multipartBody(boundary: string, parts: readonly Part[], options: { close?: boolean; eol?: string } = {}): Uint8Array {
  const eol = options.eol ?? "\r\n";
  const chunks: Uint8Array[] = [];
  for (const part of parts) {
    const headers = part.headers ?? [
      `Content-Disposition: form-data${part.name === undefined ? "" : `; name="${part.name}"`}${part.filename === undefined ? "" : `; filename="${part.filename}"`}`,
      ...(part.type ? [`Content-Type: ${part.type}`] : []),
    ];
    chunks.push(encoder.encode(`--${boundary}${eol}${headers.join(eol)}${eol}${eol}`));
    chunks.push(typeof part.body === "string" ? encoder.encode(part.body) : part.body);
    chunks.push(encoder.encode(eol));
  }
  if (options.close ?? true) chunks.push(encoder.encode(`--${boundary}--${eol}`));
  return concat(...chunks);
}

const BOUNDARY_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'()+_,-./:=?";

function boundaryOf(rng: Rng): string {
  const b = rng.ascii(rng.int(1, 70), BOUNDARY_CHARS);
  // a boundary ending in a space is not allowed, and one that needs no quotes keeps the header simple
  return /^[A-Za-z0-9'+_\-.]+$/.test(b) ? b : rng.ascii(rng.int(1, 70));
}

function framePart(image: CorpusImage): Part {
  return { name: "frame", filename: `frame.${image.format === "png" ? "png" : "jpg"}`, type: contentTypeOf(image), body: image.bytes };
}

function multipartStructure(rng: Rng, corpus: readonly CorpusImage[], limits: FuzzLimits): Draft {
  const image = rng.pick(corpus);
  const boundary = boundaryOf(rng);
  const meta = rng.chance(0.5) ? [{ name: "meta", body: "{}" }] : [];
  const valid = [framePart(image), ...meta];
  const variant = rng.pick([
    "no-boundary-param",
    "wrong-boundary",
    "no-closing-delimiter",
    "truncated",
    "no-frame",
    "frame-without-filename",
    "empty-frame",
    "frame-misnamed",
    "no-disposition",
    "lf-line-ends",
    "garbage-frame",
    "oversized-part",
    "duplicate-frame",
    "large-extra-part",
    "empty-extra-part",
    "preamble-epilogue",
  ] as const);
  const ct = `multipart/form-data; boundary=${boundary}`;
  const draft = (body: Uint8Array, garbage: boolean, status?: number, contentType = ct): Draft => ({
    variant: `${variant} (${image.name})`,
    init: request(body, contentType),
    garbage,
    ...(status === undefined ? {} : { status }),
  });
  switch (variant) {
    case "no-boundary-param":
      return draft(multipartBody(boundary, valid), true, 400, rng.pick(["multipart/form-data", "multipart/form-data; charset=utf-8", "multipart/form-data; boundary="]));
    case "wrong-boundary":
      return draft(multipartBody(boundary, valid), true, 400, `multipart/form-data; boundary=${boundary}x`);
    case "no-closing-delimiter":
      return draft(multipartBody(boundary, valid, { close: false }), true, 400);
    case "truncated": {
      const whole = multipartBody(boundary, valid);
      // cut before the closing delimiter is complete
      const closeAt = whole.length - `--${boundary}--\r\n`.length;
      return draft(whole.slice(0, rng.int(1, closeAt + boundary.length + 3)), true);
    }
    case "no-frame":
      return draft(multipartBody(boundary, meta.length ? meta : [{ name: "note", body: "hello" }]), true, 400);
    case "frame-without-filename":
      return draft(multipartBody(boundary, [{ name: "frame", body: rng.ascii(rng.int(1, 200)) }, ...meta]), true, 400);
    case "empty-frame":
      return draft(multipartBody(boundary, [{ ...framePart(image), body: new Uint8Array() }, ...meta]), true, 400);
    case "frame-misnamed":
      return draft(multipartBody(boundary, [{ ...framePart(image), name: rng.pick(["Frame", "frames", "image", "frame ", "", "frame[]"]) }, ...meta]), true, 400);
    case "no-disposition":
      return draft(multipartBody(boundary, [{ body: image.bytes, headers: [`Content-Type: ${contentTypeOf(image)}`] }, ...meta]), true, 400);
    case "lf-line-ends":
      // bare LF is not a multipart line end; a lenient parser may still read the frame
      return draft(multipartBody(boundary, valid, { eol: "\n" }), false);
    case "garbage-frame":
      return draft(multipartBody(boundary, [{ ...framePart(image), body: rng.bytes(rng.length()) }, ...meta]), true, 422);
    case "oversized-part": {
      const body = multipartBody(boundary, [{ ...framePart(image), body: concat(image.bytes, new Uint8Array(limits.maxBodyBytes)) }, ...meta]);
      return draft(body, true, 413);
    }
    case "duplicate-frame": {
      const second = rng.pick(corpus);
      return draft(multipartBody(boundary, [framePart(image), framePart(second), ...meta]), false);
    }
    case "large-extra-part": {
      const size = rng.int(1, limits.maxBodyBytes - image.bytes.length - 1024);
      return draft(multipartBody(boundary, [{ name: "padding", filename: "pad.bin", body: new Uint8Array(size).fill(0x2d) }, ...valid]), false);
    }
    case "empty-extra-part":
      return draft(multipartBody(boundary, [...valid, { name: rng.pick(["x", "meta2", ""]), body: "" }]), false);
    case "preamble-epilogue": {
      const body = concat(encoder.encode(`${rng.ascii(rng.int(0, 100))}\r\n`), multipartBody(boundary, valid), encoder.encode(rng.ascii(rng.int(0, 100))));
      return draft(body, false);
    }
  }
}

/** A `meta` field value and whether the contract makes it invalid. */
interface MetaDraft {
  readonly variant: string;
  readonly text: string;
  readonly invalid: boolean;
  /** The status the contract gives an invalid meta (400 unless said otherwise). */
  readonly status?: number;
}

function nested(depth: number, open: string, close: string, inner = ""): string {
  return open.repeat(depth) + inner + close.repeat(depth);
}

function metaDraft(rng: Rng, image: CorpusImage): MetaDraft {
  const { width: W, height: H } = image;
  const num = () => rng.int(0, Math.min(W, H) - 1);
  const inside = (): [number, number, number, number] => {
    const x = rng.int(0, W - 2);
    const y = rng.int(0, H - 2);
    return [x, y, rng.int(1, W - x), rng.int(1, H - y)];
  };
  const box = (b: unknown[]) => JSON.stringify({ box: b });
  const kind = rng.pick([
    "invalid-json",
    "wrong-type",
    "wrong-arity",
    "non-finite",
    "negative",
    "zero-size",
    "huge",
    "outside",
    "deep-box",
    "deep-top-level",
    "long-box",
    "long-string",
    "bad-boxes",
    "bad-nonce-type",
    "forged-nonce",
    "valid",
    "valid-extra-keys",
    "valid-deep-extra",
  ] as const);
  switch (kind) {
    case "invalid-json":
      return {
        variant: kind,
        text: rng.pick(["", " ", "{", "{box:[1,2,3,4]}", "{'box':[1,2,3,4]}", "NaN", "{\"box\":[NaN,1,2,3]}", "{\"box\":[Infinity,0,1,1]}", "{\"box\":[1,2,3,4],}", "{\"box\":[1,2,3,4]}}", "[1,2,3,4", "\u0000", rng.ascii(rng.int(1, 300), "{}[]:,\"0123456789.eE+-abc ")]),
        invalid: true,
      };
    case "wrong-type":
      return {
        variant: kind,
        text: rng.pick(["null", "0", "true", "\"box\"", "[60,43,95,119]", box(["1", "2", "3", "4"]), box([null, 1, 2, 3]), box([true, 1, 2, 3]), JSON.stringify({ box: "1,2,3,4" }), JSON.stringify({ box: { x: 1, y: 2, w: 3, h: 4 } }), JSON.stringify({ box: null }), JSON.stringify({ box: 5 })]),
        invalid: true,
      };
    case "wrong-arity":
      return { variant: kind, text: box(Array.from({ length: rng.pick([0, 1, 2, 3, 5, 6]) }, num)), invalid: true };
    case "non-finite": {
      const b: unknown[] = inside();
      const i = rng.int(0, 3);
      const value = rng.pick(["1e999", "-1e999", "1e400"]);
      return { variant: kind, text: `{"box":[${b.map((v, j) => (j === i ? value : String(v))).join(",")}]}`, invalid: true };
    }
    case "negative": {
      const b = inside();
      b[rng.int(0, 3)] = -rng.pick([1, 0.5, 1e-9, 1e300, rng.int(1, 1000)]);
      return { variant: kind, text: box(b), invalid: true };
    }
    case "zero-size": {
      const b = inside();
      b[rng.int(2, 3)] = 0;
      return { variant: kind, text: box(b), invalid: true };
    }
    case "huge": {
      const b = inside();
      b[rng.int(0, 3)] = rng.pick([1e300, Number.MAX_VALUE, 2 ** 53, 2 ** 31, 1e20]);
      return { variant: kind, text: box(b), invalid: true };
    }
    case "outside": {
      const b = inside();
      const side = rng.int(0, 3);
      if (side === 0) b[0] = W - b[2] + rng.int(1, 50);
      else if (side === 1) b[1] = H - b[3] + rng.int(1, 50);
      else if (side === 2) b[2] = W - b[0] + rng.pick([1e-6, 0.5, 1, rng.int(2, 500)]);
      else b[3] = H - b[1] + rng.pick([1e-6, 0.5, 1, rng.int(2, 500)]);
      return { variant: kind, text: box(b), invalid: true };
    }
    case "deep-box":
      return { variant: kind, text: `{"box":${nested(rng.pick([2, 100, 10_000, 100_000]), "[", "]", "1")}}`, invalid: true };
    case "deep-top-level":
      return { variant: kind, text: rng.chance(0.5) ? nested(rng.pick([100, 10_000, 100_000]), "[", "]") : nested(rng.pick([100, 10_000, 50_000]), '{"box":', "}", "null"), invalid: true };
    case "long-box":
      return { variant: kind, text: `{"box":[${inside().join(",")}${",0".repeat(rng.pick([1, 1000, 200_000]))}]}`, invalid: true };
    case "long-string":
      return { variant: kind, text: JSON.stringify({ box: "x".repeat(rng.pick([100, 100_000, 1_000_000])) }), invalid: true };
    case "bad-boxes":
      return {
        variant: kind,
        text: rng.pick([
          JSON.stringify({ boxes: inside() }),
          JSON.stringify({ boxes: [] }),
          JSON.stringify({ boxes: [inside(), inside()] }),
          JSON.stringify({ boxes: [[-1, 0, 10, 10]] }),
          JSON.stringify({ boxes: ["1,2,3,4"] }),
          JSON.stringify({ box: inside(), boxes: [inside()] }),
          JSON.stringify({ boxes: Array.from({ length: 65 }, () => null) }),
        ]),
        invalid: true,
      };
    case "bad-nonce-type":
      return {
        variant: kind,
        text: rng.pick([JSON.stringify({ nonce: 5 }), JSON.stringify({ nonce: "" }), JSON.stringify({ nonce: null }), JSON.stringify({ nonce: ["v1"] }), JSON.stringify({ nonce: "v1.".repeat(200) })]),
        invalid: true,
      };
    case "forged-nonce": {
      const b64 = () => rng.ascii(rng.int(0, 80), "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");
      const nonce = rng.pick([`v1.${b64()}.${b64()}`, `v1.e30.${b64()}`, `v2.${b64()}.${b64()}`, b64(), `v1..`, `v1.${b64()}.${b64()}.${b64()}`, rng.ascii(rng.int(1, 300))]);
      return { variant: kind, text: JSON.stringify({ nonce, ...(rng.chance(0.5) ? { box: inside() } : {}) }), invalid: true, status: 401 };
    }
    case "valid":
      return { variant: kind, text: rng.chance(0.2) ? "{}" : box(inside()), invalid: false };
    case "valid-extra-keys":
      return { variant: kind, text: JSON.stringify({ box: inside(), note: "x".repeat(rng.int(0, 100_000)), n: rng.int(0, 9) }), invalid: false };
    case "valid-deep-extra":
      return { variant: kind, text: `{"box":${JSON.stringify(inside())},"extra":${nested(rng.pick([100, 10_000, 50_000]), "[", "]")}}`, invalid: false };
  }
}

function multipartMeta(rng: Rng, corpus: readonly CorpusImage[]): Draft {
  const image = rng.pick(corpus);
  const meta = metaDraft(rng, image);
  const asFile = rng.chance(0.2);
  const metaPart: Part = asFile ? { name: "meta", filename: "meta.json", type: "application/json", body: meta.text } : { name: "meta", body: meta.text };
  const parts = rng.chance(0.5) ? [framePart(image), metaPart] : [metaPart, framePart(image)];
  const boundary = boundaryOf(rng);
  const body = multipartBody(boundary, parts);
  return {
    variant: `${meta.variant}${asFile ? " as file" : ""} (${image.name}, ${meta.text.length} chars)`,
    init: request(body, `multipart/form-data; boundary=${boundary}`),
    garbage: meta.invalid,
    ...(meta.invalid ? { status: meta.status ?? 400 } : {}),
  };
}

function sizeLimit(rng: Rng, corpus: readonly CorpusImage[], limits: FuzzLimits): Draft {
  const limit = limits.maxBodyBytes;
  const size = limit + rng.pick([-2, -1, 0, 1, 2, rng.int(3, 4096)]);
  const over = size > limit;
  const image = rng.pick(corpus);
  const content = rng.pick(["zeros", "random", "padded-image", "multipart"] as const);
  let bytes: Uint8Array;
  let contentType = rng.pick(["image/png", "image/jpeg"]);
  if (content === "multipart") {
    // a valid frame behind a padding part that brings the body to exactly `size` bytes
    const boundary = boundaryOf(rng);
    const parts = (pad: number): Part[] => [{ name: "padding", body: new Uint8Array(pad).fill(0x61) }, framePart(image)];
    bytes = multipartBody(boundary, parts(size - multipartBody(boundary, parts(0)).length));
    contentType = `multipart/form-data; boundary=${boundary}`;
  } else if (content === "padded-image") {
    // bytes after IEND or EOI are ignored by decoders: still a frame
    bytes = concat(image.bytes, rng.chance(0.5) ? new Uint8Array(size - image.bytes.length) : rng.bytes(size - image.bytes.length));
    contentType = contentTypeOf(image);
  } else {
    bytes = content === "zeros" ? new Uint8Array(size) : rng.bytes(size);
  }
  const junk = content === "zeros" || content === "random";
  const streamed = rng.chance(0.3);
  return {
    variant: `${content} ${size - limit >= 0 ? "+" : ""}${size - limit} bytes${streamed ? " streamed" : ""}`,
    init: request(streamed ? chunked(rng, bytes) : bytes, contentType),
    bodyBytes: bytes.length,
    garbage: junk || over,
    ...(over ? { status: 413 } : junk ? { status: 422 } : {}),
  };
}

const PNG_SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

function u32(v: number): Uint8Array {
  return Uint8Array.of((v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
}

/** concatBytes with the parts as arguments. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  return concatBytes(parts);
}

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** CRC-32 as PNG chunks use it. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = (CRC_TABLE[(c ^ b) & 255] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const typed = concat(encoder.encode(type), data);
  return concat(u32(data.length), typed, u32(crc32(typed)));
}

/** The chunks of a PNG: type, and byte range from the length field to the end of the CRC. */
export function pngChunks(bytes: Uint8Array): { type: string; start: number; end: number }[] {
  const chunks = [];
  for (let at = 8; at + 12 <= bytes.length; ) {
    const length = (((bytes[at] ?? 0) << 24) | ((bytes[at + 1] ?? 0) << 16) | ((bytes[at + 2] ?? 0) << 8) | (bytes[at + 3] ?? 0)) >>> 0;
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    const end = Math.min(bytes.length, at + 12 + length);
    chunks.push({ type, start: at, end });
    at = end;
  }
  return chunks;
}

/** The marker segments of a JPEG after SOI, as [start, end) byte ranges; entropy-coded data rides with its SOS. */
export function jpegSegments(bytes: Uint8Array): [number, number][] {
  const segments: [number, number][] = [];
  let at = 2;
  while (at + 4 <= bytes.length && bytes[at] === 0xff) {
    const marker = bytes[at + 1] ?? 0;
    if (marker === 0xd9) {
      segments.push([at, at + 2]);
      break;
    }
    let end = at + 2 + (((bytes[at + 2] ?? 0) << 8) | (bytes[at + 3] ?? 0));
    if (marker === 0xda) {
      // the scan runs to the next marker that is neither a stuffed 0xff00 nor a restart marker
      while (end + 1 < bytes.length && !(bytes[end] === 0xff && bytes[end + 1] !== 0 && !((bytes[end + 1] ?? 0) >= 0xd0 && (bytes[end + 1] ?? 0) <= 0xd7))) end++;
    }
    segments.push([at, Math.min(end, bytes.length)]);
    at = end;
  }
  return segments;
}
