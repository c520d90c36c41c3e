import { describe, expect, it } from "vitest";
import { asset, golden, goldenTensor } from "../../test/helpers/golden";
import { ManifestSchema } from "../models/manifest-schema";
import { createOrtSession, instantiateWithModule, isPlaceholderBinary, ort } from "./ort-wasm";

async function servedStudent() {
  const manifest = ManifestSchema.parse(JSON.parse(new TextDecoder().decode(await asset("manifest.json"))));
  const card = manifest.models[manifest.serving.student];
  if (!card) throw new Error("manifest has no serving student");
  return { card, bytes: await asset(card.file) };
}

describe("isPlaceholderBinary", () => {
  it("recognises exactly the 8-byte empty-module header, as ArrayBuffer or view", () => {
    const header = Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0);
    expect(isPlaceholderBinary(header)).toBe(true);
    expect(isPlaceholderBinary(header.buffer)).toBe(true);
    expect(isPlaceholderBinary(new DataView(header.buffer))).toBe(true);
    expect(isPlaceholderBinary(Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0))).toBe(false);
    expect(isPlaceholderBinary(Uint8Array.of(0, 0x61, 0x73, 0x6d, 2, 0, 0, 0))).toBe(false);
    expect(isPlaceholderBinary("\0asm")).toBe(false);
  });
});

describe("instantiateWithModule", () => {
  it("answers the placeholder with the given module, in the { instance, module } shape", async () => {
    const calls: unknown[] = [];
    const fakeInstance = {} as WebAssembly.Instance;
    const original = (async (source: unknown) => {
      calls.push(source);
      return fakeInstance;
    }) as unknown as typeof WebAssembly.instantiate;
    const module = {} as WebAssembly.Module;
    const hooked = instantiateWithModule(original, module);
    const result = (await hooked(Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0))) as unknown as { instance: unknown; module: unknown };
    expect(result.instance).toBe(fakeInstance);
    expect(result.module).toBe(module);
    expect(calls).toEqual([module]);
  });

  it("passes every other call through unchanged", async () => {
    const seen: unknown[] = [];
    const original = (async (source: unknown) => {
      seen.push(source);
      return "passed";
    }) as unknown as typeof WebAssembly.instantiate;
    const hooked = instantiateWithModule(original, {} as WebAssembly.Module);
    const other = new Uint8Array(16);
    expect(await hooked(other)).toBe("passed");
    expect(seen).toEqual([other]);
  });
});

describe("createOrtSession inside workerd", () => {
  it("creates a wasm session from the served model and runs the golden input", async () => {
    const { card, bytes } = await servedStudent();
    const session = await createOrtSession(bytes);
    expect(session.inputNames).toContain(card.input.name);
    expect(session.outputNames).toContain(card.output.name);

    const g = await golden();
    const expected = g.models[card.id];
    if (!expected) throw new Error(`golden has no entry for ${card.id}`);
    const input = await goldenTensor(expected.input);
    const out = await session.run({ [card.input.name]: new ort.Tensor("float32", input, [...card.input.shape]) });
    const logits = Array.from(out[card.output.name]?.data as Float32Array);
    expect(logits).toHaveLength(expected.logits.length);
    logits.forEach((v, i) => expect(v).toBeCloseTo(expected.logits[i] ?? NaN, 3));
    await session.release();
  });

  it("runs single-threaded without a proxy worker and leaves WebAssembly.instantiate as it found it", async () => {
    const before = WebAssembly.instantiate;
    const { bytes } = await servedStudent();
    const session = await createOrtSession(bytes);
    expect(WebAssembly.instantiate).toBe(before);
    expect(ort.env.wasm.numThreads).toBe(1);
    expect(ort.env.wasm.proxy).toBe(false);
    await session.release();
  });

  it("still compiles nothing from bytes: workerd keeps refusing WebAssembly.compile", async () => {
    const { compile } = WebAssembly as unknown as { compile: (bytes: Uint8Array) => Promise<unknown> };
    await expect(compile(Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0))).rejects.toThrow();
  });
});
