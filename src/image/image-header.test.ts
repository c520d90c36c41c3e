import { encode } from "fast-png";
import { describe, expect, it } from "vitest";
import { goldenImage } from "../../test/helpers/golden";
import fixture from "../../test/fixtures/jpeg-decoding/cases.json";
import { ImageHeaderError, countJpegScans, readImageHeader, sniffFormat } from "./image-header";
import { jpegOf, pngHeaderOnly, jpegHeaderOnly, progressiveJpeg } from "../../test/helpers/images";

const fixtureJpeg = (name: string): Uint8Array => Uint8Array.from(atob(fixture.cases.find((c) => c.name === name)?.jpeg ?? ""), (c) => c.charCodeAt(0));

describe("readImageHeader", () => {
  it("reads PNG dimensions from IHDR", () => {
    const png = encode({ width: 37, height: 41, data: new Uint8Array(37 * 41 * 3), channels: 3 });
    expect(readImageHeader(png)).toEqual({ format: "png", width: 37, height: 41 });
  });

  it("reads JPEG dimensions and sampling factors from the frame header", async () => {
    const header = readImageHeader(await goldenImage("jpeg"));
    expect(header.format).toBe("jpeg");
    expect(header.width).toBeGreaterThan(0);
    expect(header.components).toHaveLength(3);
    // the golden JPEG is 4:2:0: luma 2x2, chroma 1x1
    expect(header.components?.map((c) => [c.h, c.v])).toEqual([
      [2, 2],
      [1, 1],
      [1, 1],
    ]);
  });

  it("reads huge declared sizes without touching pixel data (decompression bombs)", () => {
    expect(readImageHeader(pngHeaderOnly(100_000, 100_000))).toMatchObject({ width: 100_000, height: 100_000 });
    expect(readImageHeader(jpegHeaderOnly(65_000, 65_000))).toMatchObject({ width: 65_000, height: 65_000 });
  });

  it("skips fill bytes and APP segments before the frame header, and records Adobe transforms", () => {
    const app14 = [0xff, 0xee, 0x00, 0x0e, 0x41, 0x64, 0x6f, 0x62, 0x65, 0, 100, 0, 0, 0, 0, 0];
    const jpeg = jpegHeaderOnly(64, 48, { prefix: [0xff, 0xff, ...app14] });
    expect(readImageHeader(jpeg)).toMatchObject({ width: 64, height: 48, adobeTransform: 0 });
  });

  it("counts a JPEG's scans, passing over entropy-coded data with its stuffed 0xff00 bytes and restart markers", async () => {
    expect(readImageHeader(await goldenImage("jpeg")).scans).toBe(1);
    expect(readImageHeader(jpegOf(256, 256)).scans).toBe(1);
    const restarts = fixtureJpeg("420-restarts");
    expect(restarts.some((b, i) => b === 0xff && (restarts[i + 1] ?? 0) >= 0xd0 && (restarts[i + 1] ?? 0) <= 0xd7)).toBe(true);
    expect(readImageHeader(restarts).scans).toBe(1);
    // libjpeg's progressive script for YCbCr
    expect(readImageHeader(fixtureJpeg("420-progressive")).scans).toBe(10);
    expect(readImageHeader(progressiveJpeg(64, 64, 5)).scans).toBe(6);
    // nothing after EOI counts (appended data, a second image)
    expect(countJpegScans(Uint8Array.from([...progressiveJpeg(64, 64, 1), ...progressiveJpeg(64, 64, 40)]))).toBe(2);
  });

  it("counts every 0xffda pair once a segment's length disagrees with its contents, where decoders part ways", () => {
    // the first AC scan claims to run to the end of the file: a decoder reads its header by its
    // contents and goes on to the 99 scans inside it
    const bytes = progressiveJpeg(64, 64, 100);
    const sos = bytes.findIndex((b, i) => b === 0xff && bytes[i + 1] === 0xda && bytes[i + 7] === 0x01);
    bytes.set([0xff, 0xff], sos + 2);
    expect(countJpegScans(bytes)).toBe(101);
  });

  it("counts every 0xffda pair from a scan's first restart marker on, where jpeg-js may read what follows as markers", () => {
    // after its last block jpeg-js takes a restart marker as the scan's end, then recovers from
    // "00 e1 <length>" as from a broken APP1 segment and goes on to the 100 scans that a walk by
    // segment lengths sees as the contents of an APP2 segment
    const dcOnly = progressiveJpeg(64, 64, 0);
    const withScans = progressiveJpeg(64, 64, 100);
    const hidden = withScans.subarray(dcOnly.length - 2, withScans.length - 2);
    const app2 = hidden.length + 2;
    const bytes = Uint8Array.from([
      ...dcOnly.subarray(0, dcOnly.length - 2),
      ...[0xff, 0xd0, 0x00, 0xe1, 0x00, 0x06, 0xff, 0xe2, app2 >> 8, app2 & 255],
      ...hidden,
      ...[0xff, 0xd9],
    ]);
    expect(countJpegScans(bytes)).toBe(101);
  });

  it("refuses bytes that are not PNG or JPEG, and cut-short headers", () => {
    expect(sniffFormat(new TextEncoder().encode("GIF89a......"))).toBeUndefined();
    expect(() => readImageHeader(new TextEncoder().encode("GIF89a......"))).toThrow(ImageHeaderError);
    expect(() => readImageHeader(pngHeaderOnly(64, 64).subarray(0, 20))).toThrow(ImageHeaderError);
    expect(() => readImageHeader(jpegHeaderOnly(64, 64).subarray(0, 12))).toThrow(ImageHeaderError);
    expect(() => readImageHeader(Uint8Array.of(0xff, 0xd8, 0xff, 0xd9))).toThrow(ImageHeaderError);
  });
});
