import { describe, expect, it } from "vitest";
import { asset } from "../../test/helpers/golden";
import { ManifestSchema, publicModelId } from "./manifest-schema";

async function shipped(): Promise<Record<string, unknown>> {
  return JSON.parse(new TextDecoder().decode(await asset("manifest.json")));
}

describe("ManifestSchema", () => {
  it("accepts the shipped manifest and its serving student", async () => {
    const manifest = ManifestSchema.parse(await shipped());
    expect(manifest.models[manifest.serving.student]).toBeDefined();
  });

  it("refuses a manifest whose serving student is missing, or whose preprocessing is unknown", async () => {
    const json = await shipped();
    const serving = json.serving as Record<string, unknown>;
    expect(ManifestSchema.safeParse({ ...json, serving: { ...serving, student: "nope" } }).success).toBe(false);

    const models = json.models as Record<string, Record<string, unknown>>;
    const [id, card] = Object.entries(models)[0]!;
    const pre = card.preprocess as Record<string, unknown>;
    const changed = { ...json, models: { ...models, [id]: { ...card, preprocess: { ...pre, resample: "bicubic" } } } };
    expect(ManifestSchema.safeParse(changed).success).toBe(false);
  });

  it("builds public ids as name@sha256[:12]", () => {
    expect(publicModelId({ name: "fas-student", sha256: "0123456789abcdef".repeat(4) })).toBe("fas-student@0123456789ab");
  });
});
