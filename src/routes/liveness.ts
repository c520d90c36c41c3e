import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { resolveRegion } from "../http/region";
import { readLivenessRequest } from "../http/liveness-request";
import { assessFrame } from "../liveness/assess-frame";
import type { LivenessResponse } from "../schemas/liveness";

/** POST /v1/liveness: one frame (or face crop) in, a liveness decision out. */
export const livenessRoutes = new Hono<AppEnv>().post("/v1/liveness", async (c) => {
  const { registry, config } = c.get("services");
  const input = await readLivenessRequest(c.req.raw, config.maxBodyBytes);
  const assessment = await assessFrame(input, registry, {
    limits: { minSide: config.minImageSide, maxPixels: config.maxImagePixels },
    startedAt: c.get("startedAt"),
  });
  const body: LivenessResponse = {
    requestId: c.get("requestId"),
    ...assessment,
    region: resolveRegion(c.req.raw, config.fallbackRegion),
  };
  c.header("cache-control", "no-store");
  return c.json(body);
});
