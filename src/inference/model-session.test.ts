import { describe, expect, it } from "vitest";
import { asset, golden, goldenTensor } from "../../test/helpers/golden";
import { createSessionWith, unstartableOrt } from "../../test/helpers/separate-ort";
import { ManifestSchema, type ModelCard } from "../models/manifest-schema";
import { ModelSession, ModelUnavailableError } from "./model-session";

async function servedStudent(): Promise<{ card: ModelCard; bytes: Uint8Array }> {
  const manifest = ManifestSchema.parse(JSON.parse(new TextDecoder().decode(await asset("manifest.json"))));
  const card = manifest.models[manifest.serving.student];
  if (!card) throw new Error("manifest has no serving student");
  return { card, bytes: await asset(card.file) };
}

describe("ModelSession", () => {
  it("creates the session once for concurrent first callers and reuses it", async () => {
    const { card, bytes } = await servedStudent();
    let loads = 0;
    const session = new ModelSession(card, async () => {
      loads++;
      return bytes;
    });
    expect(session.state).toBe("idle");
    const g = await golden();
    const input = await goldenTensor(g.models[card.id]?.input ?? "");
    const first = session.ready();
    expect(session.ready()).toBe(first);
    const runs = await Promise.all(Array.from({ length: 8 }, () => session.run(input)));
    expect(loads).toBe(1);
    expect(session.state).toBe("ready");
    expect(session.loadMs).toBeGreaterThanOrEqual(0);
    for (const logits of runs) expect(Array.from(logits)).toEqual(Array.from(runs[0] ?? []));
    expect(await session.ready()).toBe(await first);
    expect(loads).toBe(1);
  });

  it("gives the same logits as the Python side's ONNX Runtime on the golden input", async () => {
    const { card, bytes } = await servedStudent();
    const expected = (await golden()).models[card.id];
    if (!expected) throw new Error(`golden has no entry for ${card.id}`);
    const session = new ModelSession(card, async () => bytes);
    const logits = await session.run(await goldenTensor(expected.input));
    Array.from(logits).forEach((v, i) => expect(Math.abs(v - (expected.logits[i] ?? NaN))).toBeLessThan(1e-3));
  });

  it("reports bytes that are not a model as unavailable, and waits before trying again", async () => {
    const { card } = await servedStudent();
    let loads = 0;
    const session = new ModelSession(
      card,
      async () => {
        loads++;
        return new TextEncoder().encode("this is not an ONNX model");
      },
      { retryAfterS: 30 },
    );
    const error = await session.ready().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelUnavailableError);
    expect((error as ModelUnavailableError).retryAfterS).toBe(30);
    expect(session.state).toBe("failed");
    await expect(session.run(new Float32Array(3 * 80 * 80))).rejects.toBeInstanceOf(ModelUnavailableError);
    expect(loads).toBe(1);
  });

  it("refuses a model whose input or output names differ from the manifest", async () => {
    const { card, bytes } = await servedStudent();
    const renamed: ModelCard = { ...card, input: { ...card.input, name: "pixels" } };
    const session = new ModelSession(renamed, async () => bytes);
    const error = await session.ready().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelUnavailableError);
    expect(String((error as Error).cause)).toContain("pixels");
  });

  it("reports an onnxruntime backend that failed to start as a permanent fault, and does not try again", async () => {
    const { card, bytes } = await servedStudent();
    const separate = await unstartableOrt();
    let loads = 0;
    const session = new ModelSession(
      card,
      async () => {
        loads++;
        return bytes;
      },
      { retryAfterS: 0, createSession: createSessionWith(separate) },
    );
    const error = await session.ready().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelUnavailableError);
    expect(error).toMatchObject({ permanent: true });
    expect((error as Error).message).toMatch(/backend failed to start/);
    expect(String((error as Error).cause)).toMatch(/no available backend found/);
    expect(session.permanentlyFailed).toBe(true);

    // onnxruntime keeps that backend aborted: even a session created the right way now fails there
    const again = await createSessionWith(separate)(bytes).catch((e: unknown) => e);
    expect(String(again)).toMatch(/no available backend found/);
    // so the session does not load again, however long the wait (0 s here)
    await expect(session.ready()).rejects.toMatchObject({ permanent: true });
    await expect(session.run(new Float32Array(3 * 80 * 80))).rejects.toBeInstanceOf(ModelUnavailableError);
    expect(loads).toBe(1);

    // the copy of onnxruntime every other session uses is untouched
    await expect(new ModelSession(card, async () => bytes).ready()).resolves.toBeDefined();
  });

  it("tries again after the wait when a load failed", async () => {
    const { card, bytes } = await servedStudent();
    let attempts = 0;
    const session = new ModelSession(
      card,
      async () => {
        attempts++;
        if (attempts === 1) throw new Error("assets not reachable");
        return bytes;
      },
      { retryAfterS: 0 },
    );
    await expect(session.ready()).rejects.toBeInstanceOf(ModelUnavailableError);
    await expect(session.ready()).resolves.toBeDefined();
    expect(attempts).toBe(2);
    expect(session.state).toBe("ready");
  });
});
