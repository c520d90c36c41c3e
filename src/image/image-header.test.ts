import { encode } from "fast-png";
import { describe, expect, it } from "vitest";
import { goldenImage } from "../../test/helpers/golden";
import { ImageHeaderError, readImageHeader, sniffFormat } from "./image-header";
import { pngHeaderOnly, jpegHeaderOnly } from "../../test/helpers/images";

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

  it("refuses bytes that are not PNG or JPEG, and cut-short headers", () => {
    expect(sniffFormat(new TextEncoder().encode("GIF89a......"))).toBeUndefined();
    expect(() => readImageHeader(new TextEncoder().encode("GIF89a......"))).toThrow(ImageHeaderError);
    expect(() => readImageHeader(pngHeaderOnly(64, 64).subarray(0, 20))).toThrow(ImageHeaderError);
    expect(() => readImageHeader(jpegHeaderOnly(64, 64).subarray(0, 12))).toThrow(ImageHeaderError);
    expect(() => readImageHeader(Uint8Array.of(0xff, 0xd8, 0xff, 0xd9))).toThrow(ImageHeaderError);
  });
});
