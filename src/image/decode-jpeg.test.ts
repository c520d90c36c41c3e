import { describe, expect, it } from "vitest";
import fixture from "../../test/fixtures/jpeg-decoding/cases.json";
import { decodeImage } from "./decode-image";
import { decodeJpeg } from "./decode-jpeg";
import { readImageHeader } from "./image-header";
import { decodeSequentialJpeg } from "./jpeg-sequential";

const fromBase64 = (s: string): Uint8Array => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

describe("decodeJpeg against OpenCV (libjpeg-turbo) decoding", () => {
  for (const c of fixture.cases) {
    it(`${c.name} (${c.width}x${c.height}) takes the ${c.path} path and matches OpenCV ${c.path === "sequential" ? "exactly" : "within its rounding"}`, () => {
      const bytes = fromBase64(c.jpeg);
      expect(decodeSequentialJpeg(bytes) !== undefined).toBe(c.path === "sequential");
      const { image, header } = decodeImage(bytes, { minSide: 1, maxPixels: 1 << 20 });
      expect([image.width, image.height]).toEqual([c.width, c.height]);
      const reference = fromBase64(c.opencvRgb);
      expect(image.data.length).toBe(reference.length);
      let sum = 0;
      let max = 0;
      for (let i = 0; i < reference.length; i++) {
        const d = Math.abs((image.data[i] ?? 0) - (reference[i] ?? 0));
        sum += d;
        max = Math.max(max, d);
      }
      const mean = sum / reference.length;
      const sampling = header.components?.map((k) => `${k.h}x${k.v}`).join(" ");
      console.log(`JPEG ${c.name} [${sampling}] via ${c.path}: mean |decoded - OpenCV ${fixture.opencv}| = ${mean.toFixed(3)} levels, max ${max}`);
      if (c.path === "sequential") {
        // libjpeg's islow inverse DCT, fancy upsampling and colour tables: the same pixels
        expect(max).toBe(0);
      } else {
        // jpeg-js's inverse DCT rounds differently from libjpeg's islow: about a level at most
        expect(mean).toBeLessThan(0.5);
        expect(max).toBeLessThanOrEqual(4);
      }
    });
  }
});

describe("decodeJpeg", () => {
  it("refuses a frame whose size is not the one the limits were checked on, before allocating it", () => {
    const bytes = fromBase64(fixture.cases.find((c) => c.name === "420")?.jpeg ?? "");
    const header = readImageHeader(bytes);
    expect(decodeJpeg(bytes, header, 8).width).toBe(header.width);
    expect(() => decodeJpeg(bytes, { ...header, width: header.width - 1 }, 8)).toThrow(/differs from its header/);
  });
});
