import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG, readConfig } from "./config";

describe("readConfig", () => {
  it("reads limits from the Worker's vars", () => {
    expect(readConfig({ MAX_BODY_BYTES: "1000", MAX_IMAGE_PIXELS: "4096", MIN_IMAGE_SIDE: "16", FALLBACK_REGION: "lab" })).toEqual({
      maxBodyBytes: 1000,
      maxImagePixels: 4096,
      minImageSide: 16,
      fallbackRegion: "lab",
    });
  });

  it("falls back to the defaults (2 MiB body) when vars are unset", () => {
    expect(readConfig({})).toEqual(DEFAULT_CONFIG);
    expect(DEFAULT_CONFIG.maxBodyBytes).toBe(2 * 1024 * 1024);
  });

  it("refuses values that are not positive integers", () => {
    expect(() => readConfig({ MAX_BODY_BYTES: "2MB" })).toThrow(/MAX_BODY_BYTES/);
    expect(() => readConfig({ MIN_IMAGE_SIDE: "-1" })).toThrow(/MIN_IMAGE_SIDE/);
  });
});
