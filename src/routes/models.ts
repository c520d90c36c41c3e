import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { publicModelId } from "../models/manifest-schema";
import type { ModelCardsResponse } from "../schemas/models";

/** GET /v1/models: the model cards of models/manifest.json, with their public ids. */
export const modelRoutes = new Hono<AppEnv>().get("/v1/models", async (c) => {
  const manifest = await c.get("services").registry.manifest();
  const body: ModelCardsResponse = {
    schemaVersion: manifest.schemaVersion,
    generatedAt: manifest.generatedAt,
    ...(manifest.notice ? { notice: manifest.notice } : {}),
    serving: manifest.serving,
    models: Object.values(manifest.models).map((card) => ({ ...card, publicId: publicModelId(card) })),
  };
  return c.json(body);
});
