import { env } from "cloudflare:workers";
import { z } from "zod";

/** The golden fixture of models/golden (models/README.md), read through the ASSETS binding. */
const GoldenSchema = z.object({
  image: z.string(),
  /** Face box [x, y, w, h] in pixels of the frame; null when the frame is a face crop already. */
  box: z.tuple([z.number(), z.number(), z.number(), z.number()]).nullable(),
  jpeg: z.string(),
  models: z.record(
    z.string(),
    z.object({
      input: z.string(),
      jpegInput: z.string(),
      stats: z.object({
        mean: z.number(),
        std: z.number(),
        min: z.number(),
        max: z.number(),
        channelMean: z.tuple([z.number(), z.number(), z.number()]),
      }),
      logits: z.array(z.number()),
      score: z.number(),
    }),
  ),
});
export type Golden = z.infer<typeof GoldenSchema>;

export const GOLDEN_JSON = "golden/golden.json";

export async function asset(path: string): Promise<Uint8Array> {
  const response = await env.ASSETS.fetch(new Request(`https://models.invalid/${path}`));
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

export async function golden(): Promise<Golden> {
  return GoldenSchema.parse(JSON.parse(new TextDecoder().decode(await asset(GOLDEN_JSON))));
}

export async function goldenTensor(file: string): Promise<Float32Array> {
  const bytes = await asset(`golden/${file}`);
  return new Float32Array(bytes.slice().buffer);
}

/** The multipart `meta` field for the golden frame. */
export function goldenMeta(g: Golden): string {
  return JSON.stringify(g.box ? { box: g.box } : {});
}

export async function goldenImage(which: "png" | "jpeg"): Promise<Uint8Array> {
  const g = await golden();
  return asset(`golden/${which === "png" ? g.image : g.jpeg}`);
}
