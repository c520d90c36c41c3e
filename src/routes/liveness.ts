import { Hono, type Context } from "hono";
import type { AppEnv } from "../app-env";
import { readLivenessRequest } from "../http/liveness-request";
import { ProblemError } from "../http/problem";
import { resolveRegion } from "../http/region";
import { assessFrame } from "../liveness/assess-frame";
import type { LivenessResponse } from "../schemas/liveness";
import type { LivenessEvent } from "../telemetry/liveness-event";

/** POST /v1/liveness: one frame (or face crop) in, a liveness decision out. */
export const livenessRoutes = new Hono<AppEnv>().post("/v1/liveness", async (c) => {
  const { registry, config, teacher, recordLiveness } = c.get("services");
  const input = await readLivenessRequest(c.req.raw, config.maxBodyBytes);
  const assessment = await assessFrame(input, registry, {
    limits: { minSide: config.minImageSide, maxPixels: config.maxImagePixels },
    startedAt: c.get("startedAt"),
    ...(teacher ? { teacher } : {}),
  });
  const body: LivenessResponse = {
    requestId: c.get("requestId"),
    ...assessment,
    region: resolveRegion(c.req.raw, config.fallbackRegion),
  };
  if (recordLiveness) afterResponse(c, recordLiveness(eventOf(c, body, input.bodyBytes)));
  c.header("cache-control", "no-store");
  return c.json(body);
}).all("/v1/liveness", () => {
  throw new ProblemError(405, {
    slug: "method-not-allowed",
    title: "Method not allowed",
    detail: "POST a frame to /v1/liveness",
    headers: { allow: "POST" },
  });
});

function eventOf(c: Context<AppEnv>, body: LivenessResponse, bytes: number): LivenessEvent {
  const country = (c.req.raw as { cf?: { country?: unknown } }).cf?.country;
  return {
    requestId: body.requestId,
    region: body.region,
    ...(typeof country === "string" ? { country } : {}),
    decision: body.decision,
    decidedBy: body.decidedBy,
    score: body.score,
    models: body.models,
    timingsMs: body.timingsMs,
    bytes,
  };
}

/** Lets `work` finish after the response; a failure there is logged and never reaches the client. */
function afterResponse(c: Context<AppEnv>, work: Promise<void>): void {
  const guarded = work.catch((error: unknown) => {
    console.error(JSON.stringify({ level: "error", requestId: c.get("requestId"), error: `telemetry: ${String(error)}` }));
  });
  try {
    c.executionCtx.waitUntil(guarded);
  } catch {
    // no ExecutionContext (app.request in tests): the promise still runs to completion
  }
}
