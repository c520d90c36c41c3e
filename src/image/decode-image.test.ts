import { encode } from "fast-png";
import { describe, expect, it } from "vitest";
import { goldenImage } from "../../test/helpers/golden";
import { jpegHeaderOnly, jpegOf, pattern, png, pngHeaderOnly, pngIccpBomb, pngWithChunk, progressiveJpeg } from "../../test/helpers/images";
import { decodeImage, ImageRejectedError, inspectImage, MAX_JPEG_SCANS, type ImageRejection } from "./decode-image";
import { pixelChunks } from "./decode-png";

const limits = { minSide: 32, maxPixels: 4 * 1024 * 1024 };

function rejection(fn: () => unknown): ImageRejection {
  try {
    fn();
  } catch (error) {
    if (error instanceof ImageRejectedError) return error.rejection;
    throw error;
  }
  throw new Error("expected a rejection");
}

describe("decodeImage: PNG", () => {
  it("decodes 8-bit RGB exactly", () => {
    const { image } = decodeImage(png(40, 33), limits);
    expect(image.width).toBe(40);
    expect(image.height).toBe(33);
    expect(Array.from(image.data)).toEqual(Array.from(pattern(40, 33)));
  });

  it("drops alpha, replicates grey, and maps 16-bit samples with floor(v / 257 + 0.5)", () => {
    const rgba = encode({ width: 32, height: 32, channels: 4, depth: 8, data: new Uint8Array(32 * 32 * 4).fill(7) });
    expect(decodeImage(rgba, limits).image.data.slice(0, 6)).toEqual(Uint8Array.of(7, 7, 7, 7, 7, 7));

    const grey = encode({ width: 32, height: 32, channels: 2, depth: 8, data: new Uint8Array(32 * 32 * 2).map((_, i) => (i % 2 ? 255 : 90)) });
    expect(decodeImage(grey, limits).image.data.slice(0, 3)).toEqual(Uint8Array.of(90, 90, 90));

    const deep = new Uint16Array(32 * 32 * 3);
    deep[0] = 128; // 128 / 257 = 0.498 -> 0
    deep[1] = 129; // 0.502 -> 1
    deep[2] = 65535;
    const decoded = decodeImage(encode({ width: 32, height: 32, channels: 3, depth: 16, data: deep }), limits).image;
    expect(Array.from(decoded.data.slice(0, 3))).toEqual([0, 1, 255]);
  });

  it("leaves ancillary chunks out: a broken ICC profile or text chunk does not stop the frame", () => {
    const plain = decodeImage(png(48, 40), limits).image;
    const notZlib = pngWithChunk(png(48, 40), "iCCP", new TextEncoder().encode("ICC Profile\0\0this is not zlib data"));
    expect(Array.from(decodeImage(notZlib, limits).image.data)).toEqual(Array.from(plain.data));
    const badCrc = pngWithChunk(png(48, 40), "tEXt", new TextEncoder().encode("Comment\0hello"));
    const crcAt = 8 + 25 + 8 + 13;
    badCrc[crcAt] = (badCrc[crcAt] ?? 0) ^ 0xff;
    expect(Array.from(decodeImage(badCrc, limits).image.data)).toEqual(Array.from(plain.data));
  });

  it("never inflates an embedded ICC profile: an iCCP zlib bomb decodes like the plain image", async () => {
    const bomb = await pngIccpBomb(64, 64, 64 * 1024 * 1024);
    expect(bomb.length).toBeLessThan(128 * 1024);
    // the decoder is handed exactly the plain image's chunks: the 64 MiB profile never reaches it
    expect(Array.from(pixelChunks(bomb))).toEqual(Array.from(pixelChunks(png(64, 64))));
    const plain = decodeImage(png(64, 64), limits).image;
    expect(Array.from(decodeImage(bomb, limits).image.data)).toEqual(Array.from(plain.data));
  });

  it("rejects a truncated or corrupted PNG as undecodable", async () => {
    const bytes = await goldenImage("png");
    expect(rejection(() => decodeImage(bytes.subarray(0, Math.floor(bytes.length / 2)), limits)).kind).toBe("undecodable");
    const corrupt = bytes.slice();
    const middle = Math.floor(corrupt.length / 2);
    corrupt[middle] = (corrupt[middle] ?? 0) ^ 0xff;
    expect(rejection(() => decodeImage(corrupt, limits)).kind).toBe("undecodable");
  });
});

describe("decodeImage: JPEG", () => {
  it("decodes baseline JPEGs of any size", () => {
    const { image } = decodeImage(jpegOf(128, 96), limits);
    expect([image.width, image.height, image.data.length]).toEqual([128, 96, 128 * 96 * 3]);
  });

  it("decodes a 4:4:4 JPEG at the default pixel limit within jpeg-js's memory ceiling", () => {
    const { image } = decodeImage(jpegOf(1024, 1024), { minSide: 32, maxPixels: 1024 * 1024 });
    expect(image.data.length).toBe(1024 * 1024 * 3);
  });

  it("rejects a truncated JPEG as undecodable", async () => {
    const bytes = await goldenImage("jpeg");
    expect(rejection(() => decodeImage(bytes.subarray(0, Math.floor(bytes.length * 0.6)), limits)).kind).toBe("undecodable");
  });
});

describe("inspectImage: limits from the header, before decoding", () => {
  it("rejects sides under the minimum", () => {
    expect(rejection(() => inspectImage(png(31, 64), limits))).toMatchObject({ kind: "too-small", width: 31, height: 64 });
    expect(rejection(() => inspectImage(jpegOf(64, 20), limits))).toMatchObject({ kind: "too-small" });
  });

  it("rejects decompression bombs from the declared size alone", () => {
    expect(rejection(() => inspectImage(pngHeaderOnly(50_000, 50_000), limits))).toMatchObject({ kind: "too-large", width: 50_000 });
    expect(rejection(() => inspectImage(jpegHeaderOnly(60_000, 60_000), limits))).toMatchObject({ kind: "too-large" });
    expect(rejection(() => inspectImage(pngHeaderOnly(2049, 2049), { ...limits, maxPixels: 2048 * 2048 })).kind).toBe("too-large");
    expect(() => inspectImage(pngHeaderOnly(2048, 2048), { ...limits, maxPixels: 2048 * 2048 })).not.toThrow();
  });

  it("rejects a JPEG with more scans than MAX_JPEG_SCANS: each one walks every block, however few bytes it takes", () => {
    const megapixel = { minSide: 32, maxPixels: 1024 * 1024 };
    // 10,000 scans in 120 KB: jpeg-js would spend tens of seconds on them
    const bomb = progressiveJpeg(1024, 1024, 10_000);
    expect(bomb.length).toBeLessThan(128 * 1024);
    expect(rejection(() => inspectImage(bomb, megapixel))).toMatchObject({ kind: "too-large", detail: expect.stringContaining("10001 scans") });
    expect(rejection(() => inspectImage(progressiveJpeg(1024, 1024, MAX_JPEG_SCANS), megapixel)).kind).toBe("too-large");
    const atTheCap = decodeImage(progressiveJpeg(256, 256, MAX_JPEG_SCANS - 1), megapixel);
    expect(atTheCap.header.scans).toBe(MAX_JPEG_SCANS);
    expect(atTheCap.image.data.every((v) => v === 128)).toBe(true);
  });

  it("rejects what is not an image", () => {
    expect(rejection(() => inspectImage(new TextEncoder().encode("hello, world"), limits)).kind).toBe("unrecognised");
  });
});
