import { describe, expect, it } from "vitest";
import fixture from "../../test/fixtures/jpeg-decoding/cases.json";
import { decodeSequentialJpeg, JpegDataError } from "./jpeg-sequential";

const fromBase64 = (s: string): Uint8Array => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const sequential = fixture.cases.filter((c) => c.path === "sequential");
const named = (name: string): Uint8Array => fromBase64(fixture.cases.find((c) => c.name === name)?.jpeg ?? "");

/** Offset of the first byte of entropy-coded data (after the first SOS segment). */
function scanStart(bytes: Uint8Array): number {
  for (let i = 2; i + 3 < bytes.length; i++) {
    if (bytes[i] === 0xff && bytes[i + 1] === 0xda) return i + 2 + (((bytes[i + 2] ?? 0) << 8) | (bytes[i + 3] ?? 0));
  }
  throw new Error("no SOS");
}

/** A deterministic xorshift generator. */
function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

describe("decodeSequentialJpeg", () => {
  it("returns planes at each component's own resolution", () => {
    const planes = decodeSequentialJpeg(named("420"));
    expect(planes?.planes.map((p) => [p.width, p.height, p.h, p.v])).toEqual([
      [61, 47, 2, 2],
      [31, 24, 1, 1],
      [31, 24, 1, 1],
    ]);
    expect(planes?.jfif).toBe(true);
    expect(planes?.planes[0]?.stride).toBe(64);
  });

  it("asks `accept` at the frame header and decodes nothing when it declines", () => {
    const seen: unknown[] = [];
    expect(decodeSequentialJpeg(named("422"), (frame) => (seen.push(frame), false))).toBeUndefined();
    expect(seen).toEqual([
      {
        width: 61,
        height: 47,
        jfif: true,
        components: [expect.objectContaining({ h: 2, v: 1 }), expect.objectContaining({ h: 1, v: 1 }), expect.objectContaining({ h: 1, v: 1 })],
      },
    ]);
  });

  it("leaves progressive files to the other decoder", () => {
    expect(decodeSequentialJpeg(named("420-progressive"))).toBeUndefined();
  });

  it("refuses every truncation of the scan data instead of inventing the missing blocks", () => {
    for (const c of sequential) {
      const bytes = fromBase64(c.jpeg);
      const start = scanStart(bytes);
      // cut anywhere from the start of the scan to just before EOI (the final 2 bytes)
      for (let cut = start; cut < bytes.length - 2; cut += Math.max(1, Math.floor((bytes.length - start) / 40))) {
        expect(() => decodeSequentialJpeg(bytes.subarray(0, cut)), `${c.name} cut at ${cut}/${bytes.length}`).toThrow(JpegDataError);
      }
    }
  });

  it("refuses a file whose restart marker is missing or out of order", () => {
    const bytes = named("420-restarts");
    const markers: number[] = [];
    for (let i = scanStart(bytes); i + 1 < bytes.length; i++) if (bytes[i] === 0xff && bytes[i + 1]! >= 0xd0 && bytes[i + 1]! <= 0xd7) markers.push(i);
    expect(markers.length).toBeGreaterThan(2);
    const swapped = bytes.slice();
    swapped[markers[0]! + 1] = 0xd3;
    expect(() => decodeSequentialJpeg(swapped)).toThrow(JpegDataError);
    const removed = new Uint8Array([...bytes.subarray(0, markers[1]), ...bytes.subarray(markers[1]! + 2)]);
    expect(() => decodeSequentialJpeg(removed)).toThrow(JpegDataError);
  });

  it("refuses a component coded twice (work a file could multiply) and a file whose scan is missing", () => {
    const bytes = named("420");
    let sos = -1;
    for (let i = 2; i + 1 < bytes.length; i++) if (bytes[i] === 0xff && bytes[i + 1] === 0xda) sos = i;
    const eoi = bytes.length - 2;
    expect([bytes[eoi], bytes[eoi + 1]]).toEqual([0xff, 0xd9]);
    const twice = new Uint8Array([...bytes.subarray(0, eoi), ...bytes.subarray(sos, eoi), 0xff, 0xd9]);
    expect(() => decodeSequentialJpeg(twice)).toThrow(/more than one/);
    const none = new Uint8Array([...bytes.subarray(0, sos), 0xff, 0xd9]);
    expect(() => decodeSequentialJpeg(none)).toThrow(JpegDataError);
  });

  it("fails only with JpegDataError, or decodes to the frame's size, when bytes are corrupted", () => {
    const next = random(20261130);
    let refused = 0;
    for (let trial = 0; trial < 300; trial++) {
      const c = sequential[trial % sequential.length]!;
      const bytes = fromBase64(c.jpeg);
      const flips = 1 + Math.floor(next() * 4);
      for (let f = 0; f < flips; f++) bytes[Math.floor(next() * bytes.length)] = Math.floor(next() * 256);
      try {
        const planes = decodeSequentialJpeg(bytes);
        if (planes) {
          expect([planes.width, planes.height]).toEqual([c.width, c.height]);
          for (const p of planes.planes) expect(p.samples.length).toBeGreaterThanOrEqual(p.stride * p.height);
        }
      } catch (error) {
        if (!(error instanceof JpegDataError)) throw error;
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(0);
  });
});
