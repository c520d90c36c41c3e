import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { requireScope } from "../auth/require-scope";
import { ProblemError } from "../http/problem";

/** POST /v1/sessions: a single-use, short-lived nonce for one liveness request (scope `liveness`). */
export const sessionRoutes = new Hono<AppEnv>()
  .post("/v1/sessions", requireScope("liveness"), async (c) => {
    const { sessions } = c.get("services");
    await c.req.raw.body?.cancel();
    const body = await sessions.open(c.get("principal"));
    c.header("cache-control", "no-store");
    return c.json(body, 201);
  })
  .all("/v1/sessions", () => {
    throw new ProblemError(405, {
      slug: "method-not-allowed",
      title: "Method not allowed",
      detail: "POST /v1/sessions opens a session",
      headers: { allow: "POST" },
    });
  });
