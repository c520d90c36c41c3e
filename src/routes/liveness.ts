import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { readLivenessRequest, type LivenessInput } from "../http/liveness-request";
import { ProblemError } from "../http/problem";
import { resolveRegion } from "../http/region";
import { waitUntilOf } from "../http/wait-until";
import { assessFrame } from "../liveness/assess-frame";
import type { LivenessResponse } from "../schemas/liveness";
import { askTeacher, type TeacherAttempt } from "../teacher/ask-teacher";
import { livenessTelemetry } from "../telemetry/liveness-telemetry";

/** POST /v1/liveness: one frame (or face crop) in, a liveness decision out. */
export const livenessRoutes = new Hono<AppEnv>().use("/v1/liveness", livenessTelemetry()).post("/v1/liveness", async (c) => {
  const { registry, config, teacher } = c.get("services");
  const input = await readLivenessRequest(c.req.raw, config.maxBodyBytes);
  // the cascade's teacher call never throws: a timeout or failure leaves the frame `uncertain`
  let fallback: TeacherAttempt | undefined;
  const cascadeTeacher =
    teacher && config.teacherFallback
      ? async (frame: LivenessInput) => {
          fallback = await askTeacher(teacher, frame);
          if (fallback.outcome !== "answered") {
            console.warn(JSON.stringify({ level: "warn", requestId: c.get("requestId"), teacher: fallback.outcome, error: fallback.error }));
          }
          return fallback.verdict;
        }
      : undefined;
  const assessment = await assessFrame(input, registry, {
    limits: { minSide: config.minImageSide, maxPixels: config.maxImagePixels },
    startedAt: c.get("startedAt"),
    waitUntil: waitUntilOf(c),
    ...(cascadeTeacher ? { teacher: cascadeTeacher } : {}),
  });
  const body: LivenessResponse = {
    requestId: c.get("requestId"),
    ...assessment,
    region: resolveRegion(c.req.raw, config.fallbackRegion),
  };
  c.set("liveness", { input, body, ...(fallback ? { fallback } : {}) });
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
