import type { LivenessInput } from "../http/liveness-request";
import type { TeacherVerdict } from "../liveness/cascade";
import { TeacherTimeoutError } from "./teacher-client";

/** How a call to the teacher ended: an answer, no answer in time, or an error (or no answer at all). */
export type TeacherOutcome = "answered" | "timeout" | "failed";

export interface TeacherAttempt {
  readonly outcome: TeacherOutcome;
  readonly verdict?: TeacherVerdict;
  /** Why there is no verdict. */
  readonly error?: string;
}

export type Teacher = (input: LivenessInput) => Promise<TeacherVerdict | undefined>;

/** Asks the teacher and never throws: a rejection or an empty answer becomes a failed attempt. */
export async function askTeacher(teacher: Teacher, input: LivenessInput): Promise<TeacherAttempt> {
  try {
    const verdict = await teacher(input);
    return verdict ? { outcome: "answered", verdict } : { outcome: "failed", error: "the teacher gave no answer" };
  } catch (error) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return { outcome: error instanceof TeacherTimeoutError ? "timeout" : "failed", error: message };
  }
}
