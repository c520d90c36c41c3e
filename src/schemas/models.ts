import { z } from "zod";

/** GET /v1/models: the manifest's model cards, each with its public id. */
export const ModelCardsResponseSchema = z.object({
  schemaVersion: z.number(),
  generatedAt: z.string(),
  /** The model factory's note on what the metrics mean (which data they come from). */
  notice: z.string().optional(),
  serving: z.looseObject({
    student: z.string(),
    teacher: z.string().nullable().optional(),
    uncertaintyBand: z.tuple([z.number(), z.number()]),
  }),
  models: z.array(z.looseObject({ id: z.string(), publicId: z.string(), role: z.string() })),
});
export type ModelCardsResponse = z.infer<typeof ModelCardsResponseSchema>;
