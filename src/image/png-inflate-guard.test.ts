import { describe, expect, it } from "vitest";
import { goldenImage } from "../../test/helpers/golden";
import { png, pngZlibBomb } from "../../test/helpers/images";
import { inflatesWithin, maxInflatedBytes } from "./png-inflate-guard";

describe("PNG inflate guard", () => {
  it("bounds the inflated size by the header: rows of filter byte + samples", () => {
    const bound = maxInflatedBytes(png(40, 30));
    expect(bound).toBeGreaterThanOrEqual(30 * (1 + 40 * 3));
    expect(bound).toBeLessThan(30 * (1 + 40 * 3) + 500);
  });

  it("lets real PNGs through", async () => {
    for (const bytes of [png(64, 48), await goldenImage("png")]) {
      expect(await inflatesWithin(bytes, maxInflatedBytes(bytes))).toBe(true);
    }
  });

  it("stops a zlib bomb as soon as it passes the bound, without inflating all of it", async () => {
    const bomb = await pngZlibBomb(64, 64, 32 * 1024 * 1024);
    expect(bomb.length).toBeLessThan(64 * 1024);
    expect(await inflatesWithin(bomb, maxInflatedBytes(bomb))).toBe(false);
  });
});
