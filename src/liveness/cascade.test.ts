import { describe, expect, it } from "vitest";
import { cascade, type TeacherVerdict } from "./cascade";

const band = [0.2, 0.8] as const;

describe("cascade", () => {
  it("lets the student decide outside the uncertainty band", async () => {
    expect(await cascade(0.95, 0.5, band)).toMatchObject({ decision: "live", decidedBy: "student", score: 0.95 });
    expect(await cascade(0.05, 0.5, band)).toMatchObject({ decision: "spoof", decidedBy: "student" });
    expect(await cascade(0.81, 0.9, band)).toMatchObject({ decision: "spoof", threshold: 0.9 });
  });

  it("answers uncertain, never live, inside the band (inclusive) without a teacher", async () => {
    for (const s of [0.2, 0.5, 0.79, 0.8]) {
      expect(await cascade(s, 0.5, band)).toMatchObject({ decision: "uncertain", decidedBy: "student", score: s });
    }
    expect(await cascade(0.7, 0.5, band, async () => undefined)).toMatchObject({ decision: "uncertain" });
  });

  it("asks the teacher only inside the band, and then the teacher's threshold decides", async () => {
    let asked = 0;
    const verdict: TeacherVerdict = { score: 0.3, threshold: 0.25, model: "fas-teacher@000000000000", ms: 4 };
    const teacher = async () => {
      asked++;
      return verdict;
    };
    expect(await cascade(0.9, 0.5, band, teacher)).toMatchObject({ decidedBy: "student" });
    expect(asked).toBe(0);
    expect(await cascade(0.4, 0.5, band, teacher)).toEqual({
      decision: "live",
      decidedBy: "teacher",
      score: 0.3,
      threshold: 0.25,
      teacher: verdict,
    });
    expect(asked).toBe(1);
  });
});
