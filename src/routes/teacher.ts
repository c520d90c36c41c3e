import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { requireScope } from "../auth/require-scope";
import { readLivenessRequest } from "../http/liveness-request";
import { ProblemError } from "../http/problem";
import { waitUntilOf } from "../http/wait-until";
import type { TeacherResponse } from "../schemas/teacher";
import { scoreWithTeacher } from "../teacher/score-with-teacher";

export const TEACHER_PATH = "/v1/liveness/teacher";

/**
 * POST /v1/liveness/teacher: one frame scored by the teacher alone (scope `teacher`). The edge
 * reaches it through its TEACHER service binding (a separate invocation with its own CPU budget
 * and memory), presenting the Worker's internal credential.
 */
export const teacherRoutes = new Hono<AppEnv>()
  .post(TEACHER_PATH, requireScope("teacher"), async (c) => {
    const { registry, config } = c.get("services");
    const { frames } = await readLivenessRequest(c.req.raw, { maxBodyBytes: config.maxBodyBytes, maxFrames: 1 });
    const [input] = frames;
    if (!input) throw new Error("readLivenessRequest returned no frame");
    const result = await scoreWithTeacher(
      input,
      registry,
      { minSide: config.minImageSide, maxPixels: config.maxImagePixels },
      c.get("startedAt"),
      waitUntilOf(c),
    );
    const body: TeacherResponse = { requestId: c.get("requestId"), ...result };
    c.header("cache-control", "no-store");
    return c.json(body);
  })
  .all(TEACHER_PATH, () => {
    throw new ProblemError(405, {
      slug: "method-not-allowed",
      title: "Method not allowed",
      detail: `POST a frame to ${TEACHER_PATH}`,
      headers: { allow: "POST" },
    });
  });
