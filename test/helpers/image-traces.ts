/**
 * Finds traces of images in text the Worker wrote (logs, KV values, telemetry, responses): any
 * 16-byte window of the images as raw bytes, in base64 (any alignment, standard or URL-safe) or
 * in hex, and any PNG or JPEG file start (in raw bytes anywhere; at the start of a base64 or hex
 * run, where an encoded file begins: inside random ids a signature would turn up by chance).
 */

const WINDOW = 16;
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG_SOI = [0xff, 0xd8, 0xff];

const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

export function toHex(bytes: Uint8Array): string {
  return hex(bytes);
}

/** Bytes of a string whose characters are bytes (as binary data in a JavaScript string is). */
function latin1(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
}

function fromBase64(run: string): Uint8Array | undefined {
  const std = run.replace(/-/g, "+").replace(/_/g, "/").replace(/=+$/, "");
  const usable = std.slice(0, std.length - (std.length % 4));
  try {
    return latin1(atob(usable));
  } catch {
    return undefined;
  }
}

function fromHex(run: string): Uint8Array {
  const out = new Uint8Array(run.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(run.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function startsAt(bytes: Uint8Array, at: number, signature: readonly number[]): boolean {
  return signature.every((b, i) => bytes[at + i] === b);
}

export class ImageTraces {
  readonly #windows = new Set<string>();

  /** Windows with fewer than 6 distinct byte values (runs of padding, say) are not distinctive and are left out. */
  constructor(images: readonly Uint8Array[]) {
    for (const image of images) {
      for (let i = 0; i + WINDOW <= image.length; i++) {
        const w = image.subarray(i, i + WINDOW);
        if (new Set(w).size >= 6) this.#windows.add(hex(w));
      }
    }
  }

  get windows(): number {
    return this.#windows.size;
  }

  /** What in `text` comes from the images, or looks like an image file; empty when nothing. */
  find(text: string): string[] {
    const found = new Set<string>();
    const scan = (kind: string, bytes: Uint8Array, signaturesAnywhere = true) => {
      for (let i = 0; i < bytes.length; i++) {
        if ((signaturesAnywhere || i === 0) && startsAt(bytes, i, PNG_SIGNATURE)) found.add(`${kind}: a PNG signature`);
        if ((signaturesAnywhere || i === 0) && startsAt(bytes, i, JPEG_SOI)) found.add(`${kind}: a JPEG start of image`);
        if (i + WINDOW <= bytes.length && this.#windows.has(hex(bytes.subarray(i, i + WINDOW)))) {
          found.add(`${kind}: 16 bytes of an image at ${i}`);
        }
      }
    };
    const texts = [text, ...jsonStrings(text)];
    for (const t of texts) {
      scan("raw", new TextEncoder().encode(t));
      scan("binary string", latin1(t));
      for (const [run] of t.matchAll(/[A-Za-z0-9+/_-]{22,}=*/g)) {
        for (let phase = 0; phase < 4; phase++) {
          const bytes = fromBase64(run.slice(phase));
          if (bytes) scan("base64", bytes, false);
        }
      }
      for (const [run] of t.matchAll(/[0-9a-fA-F]{32,}/g)) {
        scan("hex", fromHex(run), false);
        scan("hex", fromHex(run.slice(1)), false);
      }
    }
    return [...found];
  }
}

/** Every string (keys included) inside `text` when it is JSON: escapes such as \u0089 are undone. */
export function jsonStrings(text: string): string[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return [];
  }
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === "string") out.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") {
      for (const [k, inner] of Object.entries(v)) {
        out.push(k);
        walk(inner);
      }
    }
  };
  walk(value);
  return out;
}
