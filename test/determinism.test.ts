import { describe, expect, inject, it } from "vitest";
import { golden, goldenImage, goldenMeta } from "./helpers/golden";
import { post, postForm } from "./helpers/worker";

async function score(response: Response): Promise<{ score: number; decidedBy: string; student: string }> {
  expect(response.status).toBe(200);
  const body = await response.json<{ score: number; decidedBy: string; models: { student: string } }>();
  return { score: body.score, decidedBy: body.decidedBy, student: body.models.student };
}

describe("determinism", () => {
  it("gives bit-identical scores in this isolate and in a separate workerd process", async () => {
    const other = inject("separateIsolate");
    const g = await golden();
    const png = await goldenImage("png");
    const form = new FormData();
    form.append("frame", new File([png], "frame.png", { type: "image/png" }));
    form.append("meta", goldenMeta(g));

    const withBox = await score(await postForm(form));
    expect(withBox.student).toBe(other.student);
    expect(withBox.score).toBe(other.pngWithBox);
    expect((await score(await post(png, "image/png"))).score).toBe(other.pngBody);
    expect((await score(await post(await goldenImage("jpeg"), "image/jpeg"))).score).toBe(other.jpegBody);
  });

  it("gives the same score for the same image on repeated and concurrent requests", async () => {
    // the bare golden JPEG scores inside the uncertainty band, so every request here queues a teacher fallback
    const jpeg = await goldenImage("jpeg");
    const answer = async () => {
      const r = await score(await post(jpeg, "image/jpeg"));
      return `${r.decidedBy}:${r.score}`;
    };
    const answers = await Promise.all(Array.from({ length: 6 }, answer));
    answers.push(await answer());
    expect(new Set(answers)).toEqual(new Set([answers[0]]));
    expect(answers[0]).toMatch(/^teacher:/);
  });
});
