import { z } from "zod";

/** GET /healthz. */
export const HealthResponseSchema = z.object({
  status: z.enum(["ok", "unavailable"]),
  onnxruntime: z.string(),
  manifest: z.object({ schemaVersion: z.number(), generatedAt: z.string() }).optional(),
  models: z.array(
    z.object({
      id: z.string(),
      publicId: z.string(),
      role: z.string(),
      dtype: z.string(),
      state: z.enum(["idle", "loading", "ready", "failed"]),
      /** Milliseconds from the first use to a ready session: file read and checks, then createMs. */
      loadMs: z.number().optional(),
      /** Milliseconds onnxruntime took to create the session (its backend start-up included for the first model). */
      createMs: z.number().optional(),
    }),
  ),
  /** Bytes of onnxruntime's WebAssembly linear memory (model weights, arenas); absent before it starts. */
  onnxruntimeMemoryBytes: z.int().nonnegative().optional(),
  error: z.string().optional(),
  /** Configuration problems that leave the service up but degraded (for example a missing secret). */
  warnings: z.array(z.string()).optional(),
});
export type HealthResponse = z.infer<typeof HealthResponseSchema>;
