import { z } from "zod";
import { DecisionSchema } from "./liveness";

const Milliseconds = z.number().nonnegative();

/**
 * POST /v1/liveness/teacher: the teacher's opinion on one frame (same request forms as
 * POST /v1/liveness). The edge calls it through its TEACHER service binding for frames whose
 * student score lies in the uncertainty band; it can also be called directly.
 */
export const TeacherResponseSchema = z.object({
  requestId: z.string(),
  /** The teacher alone: score >= threshold is `live`. */
  decision: DecisionSchema.exclude(["uncertain"]),
  /** Probability that the presentation is bona fide, from the teacher. */
  score: z.number().min(0).max(1),
  threshold: z.number().min(0).max(1),
  /** Public id of the teacher, `<name>@<sha256 prefix>`. */
  model: z.string(),
  /** The square the teacher saw, in pixels of the sent frame. */
  crop: z.object({ x: z.int(), y: z.int(), side: z.int() }),
  /** Wall-clock timings inside the teacher's invocation (estimates when deployed, see /v1/swap's speedNote). */
  timingsMs: z.object({ decode: Milliseconds, preprocess: Milliseconds, teacher: Milliseconds, total: Milliseconds }),
});
export type TeacherResponse = z.infer<typeof TeacherResponseSchema>;
