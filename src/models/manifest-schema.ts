import { z } from "zod";

/**
 * models/manifest.json, the contract between training/ and the edge (models/README.md).
 * Fields the service acts on are validated strictly; descriptive ones (metrics, provenance)
 * are passed through to the model cards as they are.
 */

export const PreprocessSchema = z.object({
  /** [height, width] of the model input. */
  size: z.tuple([z.int().positive(), z.int().positive()]),
  cropScale: z.number().positive(),
  resample: z.literal("triangle-aa"),
  channelOrder: z.literal("RGB"),
  scale: z.number().positive(),
  mean: z.tuple([z.number(), z.number(), z.number()]),
  std: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]),
});
export type Preprocess = z.infer<typeof PreprocessSchema>;

export const ModelCardSchema = z.looseObject({
  id: z.string().min(1),
  /** Family name; the public id is `<name>@<sha256[:12]>`. */
  name: z.string().min(1),
  role: z.enum(["teacher", "student", "ablation", "peer"]),
  file: z.string().regex(/^[A-Za-z0-9._-]+\.onnx$/),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.int().positive(),
  params: z.int().nonnegative(),
  macs: z.number().nonnegative(),
  dtype: z.enum(["fp32", "int8"]),
  input: z.object({
    name: z.string().min(1),
    shape: z.tuple([z.literal(1), z.literal(3), z.int().positive(), z.int().positive()]),
  }),
  output: z.object({
    name: z.string().min(1),
    shape: z.tuple([z.literal(1), z.int().min(2)]),
    bonafideIndex: z.int().nonnegative(),
  }),
  preprocess: PreprocessSchema,
  threshold: z.number().min(0).max(1),
  metrics: z.record(z.string(), z.unknown()).optional(),
  provenance: z.record(z.string(), z.unknown()).optional(),
});
export type ModelCard = z.infer<typeof ModelCardSchema>;

export const ManifestSchema = z
  .looseObject({
    schemaVersion: z.literal(1),
    generatedAt: z.string(),
    notice: z.string().optional(),
    serving: z.looseObject({
      student: z.string().min(1),
      teacher: z.string().min(1).nullable().optional(),
      uncertaintyBand: z.tuple([z.number().min(0).max(1), z.number().min(0).max(1)]),
    }),
    models: z.record(z.string(), ModelCardSchema),
  })
  .superRefine((manifest, ctx) => {
    const [lo, hi] = manifest.serving.uncertaintyBand;
    if (lo > hi) ctx.addIssue({ code: "custom", path: ["serving", "uncertaintyBand"], message: "lo > hi" });
    for (const role of ["student", "teacher"] as const) {
      const id = manifest.serving[role];
      if (id && !manifest.models[id]) {
        ctx.addIssue({ code: "custom", path: ["serving", role], message: `no model "${id}"` });
      }
    }
    for (const [key, card] of Object.entries(manifest.models)) {
      if (card.id !== key) ctx.addIssue({ code: "custom", path: ["models", key, "id"], message: "differs from its key" });
      const [, , h, w] = card.input.shape;
      if (card.preprocess.size[0] !== h || card.preprocess.size[1] !== w) {
        ctx.addIssue({ code: "custom", path: ["models", key, "preprocess", "size"], message: "differs from input.shape" });
      }
      if (card.output.bonafideIndex >= card.output.shape[1]) {
        ctx.addIssue({ code: "custom", path: ["models", key, "output", "bonafideIndex"], message: "out of range" });
      }
    }
  });
export type Manifest = z.infer<typeof ManifestSchema>;

/** The id clients see: `<name>@<first 12 hex digits of sha256>`. */
export function publicModelId(card: Pick<ModelCard, "name" | "sha256">): string {
  return `${card.name}@${card.sha256.slice(0, 12)}`;
}
