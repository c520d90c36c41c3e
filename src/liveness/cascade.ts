import type { Decider, Decision } from "../schemas/liveness";

/** A second opinion on a frame whose student score was uncertain. */
export interface TeacherVerdict {
  readonly score: number;
  readonly threshold: number;
  /** Public id of the model that answered. */
  readonly model: string;
  readonly ms: number;
}

/** Asks the teacher about the current frame; undefined when no teacher answer is available. */
export type AskTeacher = () => Promise<TeacherVerdict | undefined>;

export interface CascadeResult {
  readonly decision: Decision;
  readonly decidedBy: Decider;
  readonly score: number;
  readonly threshold: number;
  readonly teacher?: TeacherVerdict;
}

/**
 * The service's cascade (models/README.md, "Decisions"): the student decides unless its score lies
 * inside the uncertainty band [lo, hi] (inclusive); such frames go to the teacher, whose threshold
 * then decides. Without a teacher answer the frame is `uncertain`, never `live`.
 */
export async function cascade(
  studentScore: number,
  studentThreshold: number,
  band: readonly [number, number],
  askTeacher?: AskTeacher,
): Promise<CascadeResult> {
  const [lo, hi] = band;
  if (studentScore < lo || studentScore > hi) {
    return {
      decision: studentScore >= studentThreshold ? "live" : "spoof",
      decidedBy: "student",
      score: studentScore,
      threshold: studentThreshold,
    };
  }
  const teacher = askTeacher ? await askTeacher() : undefined;
  if (!teacher) return { decision: "uncertain", decidedBy: "student", score: studentScore, threshold: studentThreshold };
  return {
    decision: teacher.score >= teacher.threshold ? "live" : "spoof",
    decidedBy: "teacher",
    score: teacher.score,
    threshold: teacher.threshold,
    teacher,
  };
}
