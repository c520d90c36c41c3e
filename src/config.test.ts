import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG, readConfig } from "./config";

describe("readConfig", () => {
  it("reads limits from the Worker's vars", () => {
    expect(readConfig({ MAX_BODY_BYTES: "1000", MAX_IMAGE_PIXELS: "4096", MIN_IMAGE_SIDE: "16", FALLBACK_REGION: "lab" })).toEqual({
      ...DEFAULT_CONFIG,
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

describe("readConfig: teacher fallback, shadow sampling and rollups", () => {
  it("reads the switches from the Worker's vars", () => {
    const config = readConfig({ TEACHER_FALLBACK: "off", TEACHER_TIMEOUT_MS: "250", SHADOW_SAMPLE_RATE: "0.25", ROLLUP_FLUSH_MS: "5000" });
    expect(config).toMatchObject({ teacherFallback: false, teacherTimeoutMs: 250, shadowSampleRate: 0.25, rollupFlushMs: 5000 });
    expect(readConfig({ TEACHER_FALLBACK: "on" }).teacherFallback).toBe(true);
  });

  it("never flushes a rollup key more often than once a second", () => {
    expect(readConfig({ ROLLUP_FLUSH_MS: "10" }).rollupFlushMs).toBe(1000);
  });

  it("refuses a sample rate outside 0..1 and an unknown switch value", () => {
    expect(() => readConfig({ SHADOW_SAMPLE_RATE: "1.5" })).toThrow(/SHADOW_SAMPLE_RATE/);
    expect(() => readConfig({ TEACHER_FALLBACK: "maybe" })).toThrow(/TEACHER_FALLBACK/);
  });
});
