import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv, Services } from "../app-env";
import { toProblem } from "../http/error-handler";
import type { LivenessInput } from "../http/liveness-request";
import { problemType } from "../http/problem";
import { resolveRegion } from "../http/region";
import type { FrameVerdict } from "../schemas/liveness";
import { askTeacher, type TeacherAttempt } from "../teacher/ask-teacher";
import { inferenceEnergyMj } from "./energy";
import type { LivenessEvent, ScoredLivenessEvent, TeacherCallRecord } from "./liveness-event";

/** One scored frame of a POST /v1/liveness request. */
export interface ScoredFrame {
  readonly input: LivenessInput;
  readonly verdict: FrameVerdict;
  /** The cascade's teacher call, when it made one. */
  readonly fallback?: TeacherAttempt;
}

/** What POST /v1/liveness leaves for telemetry once it has a decision: its frames, in order. */
export interface ScoredLiveness {
  readonly frames: readonly ScoredFrame[];
}

/**
 * SWAP telemetry for POST /v1/liveness: after the response, every scored frame (a burst of n
 * frames gives n events) and every refused request becomes one event for `Services.recordLiveness`; a sampled share of confidently decided frames
 * is first scored by the teacher as well (shadow sampling). All of it runs in waitUntil; nothing
 * here can fail or delay the answer.
 */
export function livenessTelemetry(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    try {
      const services = c.get("services");
      if (!services.recordLiveness) return;
      const scored = c.get("liveness");
      const work = scored ? recordFrames(c, services, scored) : recordRefused(c, services);
      afterResponse(c, work);
    } catch (error) {
      logTelemetryError(c, error);
    }
  };
}

function base(c: Context<AppEnv>, services: Services) {
  const country = (c.req.raw as { cf?: { country?: unknown } }).cf?.country;
  return {
    requestId: c.get("requestId"),
    region: resolveRegion(c.req.raw, services.config.fallbackRegion),
    ...(typeof country === "string" && country ? { country } : {}),
    status: c.res.status,
  };
}

async function recordRefused(c: Context<AppEnv>, services: Services): Promise<void> {
  const status = c.res.status;
  const problem = c.error ? toProblem(c.error) : undefined;
  const length = Number(c.req.header("content-length"));
  const event: LivenessEvent = {
    ...base(c, services),
    outcome: status >= 500 ? "failed" : "rejected",
    problem: problemType(problem?.slug ?? (status >= 500 ? "internal-error" : "http-error")),
    bytes: Number.isSafeInteger(length) && length > 0 ? length : 0,
  };
  await services.recordLiveness?.(event);
}

async function recordFrames(c: Context<AppEnv>, services: Services, scored: ScoredLiveness): Promise<void> {
  for (const frame of scored.frames) await recordScored(c, services, frame);
}

async function recordScored(c: Context<AppEnv>, services: Services, scored: ScoredFrame): Promise<void> {
  const { verdict: body, input, fallback } = scored;
  const { teacher, config, registry } = services;
  const inBand = body.decidedBy === "teacher" || body.decision === "uncertain";
  const sampled = !inBand && teacher !== undefined && config.shadowSampleRate > 0 && (services.random ?? Math.random)() < config.shadowSampleRate;
  const eventBase = base(c, services);

  let shadow: ScoredLivenessEvent["shadow"];
  if (sampled && teacher) {
    const attempt = await askTeacher(teacher, input);
    const agreed = attempt.verdict ? (attempt.verdict.score >= attempt.verdict.threshold ? "live" : "spoof") === body.decision : undefined;
    shadow = { ...callRecord(attempt), ...(agreed === undefined ? {} : { agreed }) };
  }

  const manifest = await registry.manifest();
  const studentCard = manifest.models[manifest.serving.student];
  const teacherCard = manifest.serving.teacher ? manifest.models[manifest.serving.teacher] : undefined;
  const teacherRuns = (fallback?.outcome === "answered" ? 1 : 0) + (shadow?.outcome === "answered" ? 1 : 0);
  const energyMj = (studentCard ? inferenceEnergyMj(studentCard) : 0) + (teacherCard ? teacherRuns * inferenceEnergyMj(teacherCard) : 0);

  const event: ScoredLivenessEvent = {
    ...eventBase,
    outcome: "scored",
    decision: body.decision,
    decidedBy: body.decidedBy,
    score: body.score,
    models: body.models,
    timingsMs: body.timingsMs,
    bytes: input.bodyBytes,
    inBand,
    ...(fallback ? { fallback: callRecord(fallback) } : {}),
    ...(shadow ? { shadow } : {}),
    energyMj,
  };
  await services.recordLiveness?.(event);
}

function callRecord(attempt: TeacherAttempt): TeacherCallRecord {
  return {
    outcome: attempt.outcome,
    ...(attempt.verdict ? { ms: attempt.verdict.ms, model: attempt.verdict.model } : {}),
  };
}

/** Lets `work` finish after the response; a failure there is logged and never reaches the client. */
function afterResponse(c: Context<AppEnv>, work: Promise<void>): void {
  const guarded = work.catch((error: unknown) => logTelemetryError(c, error));
  try {
    c.executionCtx.waitUntil(guarded);
  } catch {
    // no ExecutionContext (app.request without one): the promise still runs to completion
  }
}

function logTelemetryError(c: Context<AppEnv>, error: unknown): void {
  console.error(JSON.stringify({ level: "error", requestId: c.get("requestId"), error: `telemetry: ${String(error)}` }));
}
