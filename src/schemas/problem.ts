import { z } from "zod";

/** RFC 9457 problem details, as every error of the API is answered (application/problem+json). */
export const ProblemSchema = z.looseObject({
  type: z.string(),
  title: z.string(),
  status: z.int().min(400).max(599),
  detail: z.string().optional(),
  instance: z.string().optional(),
  requestId: z.string().optional(),
});
export type Problem = z.infer<typeof ProblemSchema>;

export const PROBLEM_MEDIA_TYPE = "application/problem+json";
