import { describe, expect, it } from "vitest";
import fixture from "../../test/fixtures/jpeg-sampling/cases.json";
import { decodeImage } from "./decode-image";

const fromBase64 = (s: string): Uint8Array => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

describe("decodeJpeg against OpenCV (libjpeg) decoding", () => {
  for (const c of fixture.cases) {
    it(`matches libjpeg's upsampling and colour conversion for ${c.name} sampling (${c.width}x${c.height})`, () => {
      const { image, header } = decodeImage(fromBase64(c.jpeg), { minSide: 1, maxPixels: 1 << 20 });
      expect([image.width, image.height]).toEqual([c.width, c.height]);
      const reference = fromBase64(c.opencvRgb);
      let sum = 0;
      let max = 0;
      for (let i = 0; i < reference.length; i++) {
        const d = Math.abs((image.data[i] ?? 0) - (reference[i] ?? 0));
        sum += d;
        max = Math.max(max, d);
      }
      const mean = sum / reference.length;
      const sampling = header.components?.map((k) => `${k.h}x${k.v}`).join(" ");
      console.log(`JPEG ${c.name} [${sampling}]: mean |jpeg-js path - OpenCV ${fixture.opencv}| = ${mean.toFixed(3)} levels, max ${max}`);
      // what remains is the inverse DCT's rounding (jpeg-js vs libjpeg's islow), about a level at most
      expect(mean).toBeLessThan(0.5);
      expect(max).toBeLessThanOrEqual(4);
    });
  }
});
