import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { requireScope } from "../auth/require-scope";
import { readLivenessRequest, type LivenessInput } from "../http/liveness-request";
import { ProblemError } from "../http/problem";
import { resolveRegion } from "../http/region";
import { waitUntilOf } from "../http/wait-until";
import { checkFrame, prepareFrame, reportedMs, startLoading, type PreparedFrame } from "../liveness/score-frame";
import { assessFrame } from "../liveness/assess-frame";
import { aggregateFrames } from "../liveness/burst";
import type { FrameVerdict, LivenessResponse } from "../schemas/liveness";
import { SESSION_NONCE_STATE_HEADER } from "../schemas/session";
import { askTeacher, type TeacherAttempt } from "../teacher/ask-teacher";
import { livenessTelemetry, type ScoredFrame } from "../telemetry/liveness-telemetry";

/** POST /v1/liveness: one frame (or face crop), or a burst of several, in; a liveness decision out. */
export const livenessRoutes = new Hono<AppEnv>()
  .use("/v1/liveness", livenessTelemetry())
  .use("/v1/liveness", async (c, next) => {
    await next();
    if (c.req.method === "POST") c.res.headers.set(SESSION_NONCE_STATE_HEADER, c.get("sessionNonceSpent") ? "spent" : "unspent");
  })
  .post("/v1/liveness", requireScope("liveness"), async (c) => {
    const { registry, config, teacher, sessions } = c.get("services");
    const request = await readLivenessRequest(c.req.raw, { maxBodyBytes: config.maxBodyBytes, maxFrames: config.maxBurstFrames });
    if (request.nonce === undefined && config.requireSession) {
      throw new ProblemError(401, {
        slug: "session-required",
        title: "Session required",
        detail: "open a session with POST /v1/sessions and send its nonce as meta.nonce (or the X-Session-Nonce header)",
      });
    }
    // The student loads while the frames are checked and decoded. Every frame is checked before
    // anything is spent on any: all headers and boxes first (cheap), then every frame decoded (no
    // model or teacher work for a burst with an undecodable frame; only the student's input tensors
    // are kept). The nonce is redeemed last, once the student is ready: a request that cannot be
    // scored (a frame it cannot use, a model that cannot load) leaves the session usable.
    const student = await registry.student();
    startLoading(student, waitUntilOf(c));
    const limits = { minSide: config.minImageSide, maxPixels: config.maxImagePixels };
    const headers = request.frames.map((input) => checkFrame(input, limits));
    const prepared: { input: LivenessInput; frame: PreparedFrame }[] = [];
    for (const [i, input] of request.frames.entries()) prepared.push({ input, frame: await prepareFrame(input, student.card.preprocess, limits, headers[i]) });
    await student.ready();
    if (request.nonce !== undefined) {
      c.set("sessionNonceSpent", true);
      await sessions.redeem(c.get("principal"), request.nonce);
    }

    const scored: ScoredFrame[] = [];
    const verdicts: FrameVerdict[] = [];
    for (const { input, frame: studentInput } of prepared) {
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
      const verdict = await assessFrame(input, studentInput, student, registry, {
        startedAt: c.get("startedAt"),
        ...(cascadeTeacher ? { teacher: cascadeTeacher } : {}),
      });
      verdicts.push(verdict);
      scored.push({ input, verdict, ...(fallback ? { fallback } : {}) });
    }

    const { decision, aggregate } = aggregateFrames(verdicts, config.burstMinLiveShare);
    const deciding = verdicts[aggregate.decidingFrame] ?? verdicts[0];
    if (!deciding) throw new Error("no frame was scored");
    const band = (await registry.manifest()).serving.uncertaintyBand;
    const sum = (stage: "decode" | "preprocess" | "student" | "teacher") => verdicts.reduce((ms, v) => ms + (v.timingsMs[stage] ?? 0), 0);
    const teacherMs = verdicts.some((v) => v.timingsMs.teacher !== undefined) ? { teacher: reportedMs(sum("teacher")) } : {};
    const body: LivenessResponse = {
      requestId: c.get("requestId"),
      decision,
      score: deciding.score,
      decidedBy: deciding.decidedBy,
      threshold: deciding.threshold,
      uncertaintyBand: [band[0], band[1]],
      models: deciding.models,
      crop: deciding.crop,
      timingsMs: {
        decode: reportedMs(sum("decode")),
        preprocess: reportedMs(sum("preprocess")),
        student: reportedMs(sum("student")),
        ...teacherMs,
        total: reportedMs(performance.now() - c.get("startedAt")),
      },
      frames: verdicts,
      aggregate,
      region: resolveRegion(c.req.raw, config.fallbackRegion),
    };
    c.set("liveness", { frames: scored });
    c.header("cache-control", "no-store");
    return c.json(body);
  })
  .all("/v1/liveness", () => {
    throw new ProblemError(405, {
      slug: "method-not-allowed",
      title: "Method not allowed",
      detail: "POST a frame to /v1/liveness",
      headers: { allow: "POST" },
    });
  });
