import { describe, expect, it } from "vitest";
import { LivenessResponseSchema } from "../src/schemas/liveness";
import { ProblemSchema } from "../src/schemas/problem";
import { golden, goldenImage, goldenMeta } from "./helpers/golden";
import { jpegHeaderOnly, jpegOf, png, pngHeaderOnly, pngIccpBomb, pngZlibBomb, progressiveJpeg } from "./helpers/images";
import { authHeaders, post, postForm, worker } from "./helpers/worker";

async function ok(response: Response) {
  const text = await response.text();
  expect(response.status, text).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  const body = LivenessResponseSchema.parse(JSON.parse(text));
  expect(body.requestId).toBe(response.headers.get("x-request-id"));
  return body;
}

async function problem(response: Response, status: number, slug: string) {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  const body = ProblemSchema.parse(JSON.parse(text));
  expect(body.status).toBe(status);
  expect(body.type).toBe(`urn:fas-edge:problem:${slug}`);
  expect(body).not.toHaveProperty("decision");
  expect(body).not.toHaveProperty("score");
  return body;
}

async function boxCrop(box: readonly number[]) {
  const form = frameForm(await goldenImage("png"), "image/png", JSON.stringify({ box }));
  return (await ok(await postForm(form))).crop;
}

function frameForm(image: Uint8Array, type: string, meta?: string): FormData {
  const form = new FormData();
  form.append("frame", new File([image], "frame", { type }));
  if (meta !== undefined) form.append("meta", meta);
  return form;
}

describe("POST /v1/liveness: accepted input forms", () => {
  it("scores a PNG face crop sent as the body", async () => {
    const body = await ok(await post(await goldenImage("png"), "image/png"));
    expect(["live", "spoof", "uncertain"]).toContain(body.decision);
    // the whole frame, centred: the student decides unless its score falls in the manifest's band
    const [lo, hi] = body.uncertaintyBand;
    if (body.decidedBy === "student") expect(body.score < lo || body.score > hi).toBe(true);
    else expect(body.models.teacher).toMatch(/^[\w.-]+@[0-9a-f]{12}$/);
    expect(body.models.student).toMatch(/^[\w.-]+@[0-9a-f]{12}$/);
    expect(body.region.length).toBeGreaterThan(0);
    for (const stage of ["decode", "preprocess", "student", "total"] as const) expect(body.timingsMs[stage]).toBeGreaterThanOrEqual(0);
  });

  it("scores a JPEG face crop sent as the body", async () => {
    const body = await ok(await post(jpegOf(128, 128), "image/jpeg"));
    expect(body.crop).toEqual({ x: 0, y: 0, side: 128 });
  });

  it("scores a multipart frame with no meta as a face crop (centred square)", async () => {
    const g = await golden();
    const bare = await ok(await postForm(frameForm(await goldenImage("png"), "image/png")));
    const asBody = await ok(await post(await goldenImage("png"), "image/png"));
    expect(bare.score).toBe(asBody.score);
    expect(bare.crop).toEqual(asBody.crop);
    if (g.box) expect(bare.crop).not.toEqual(await boxCrop(g.box));
  });

  it("crops around the meta face box with the manifest's crop scale, matching the Python golden score", async () => {
    const g = await golden();
    const body = await ok(await postForm(frameForm(await goldenImage("png"), "image/png", goldenMeta(g))));
    const models = await (await worker.fetch("http://localhost/v1/models")).json<{ serving: { student: string } }>();
    const expected = g.models[models.serving.student];
    if (!expected) throw new Error("golden has no entry for the serving student");
    expect(Math.abs(body.score - expected.score)).toBeLessThan(2e-3);
  });

  it("accepts the golden frame as JPEG with a box", async () => {
    const g = await golden();
    await ok(await postForm(frameForm(await goldenImage("jpeg"), "image/jpeg", goldenMeta(g))));
  });

  it("scores a PNG with an embedded ICC profile, which is not inflated (even a zlib bomb of one)", async () => {
    const plain = await ok(await post(png(64, 64), "image/png"));
    const withProfile = await ok(await post(await pngIccpBomb(64, 64, 64 * 1024 * 1024), "image/png"));
    expect(withProfile.score).toBe(plain.score);
  });

  it("gives the same score for the same image, every time", async () => {
    const image = await goldenImage("png");
    const scores = new Set<number>();
    for (let i = 0; i < 3; i++) scores.add((await ok(await post(image, "image/png"))).score);
    expect(scores.size).toBe(1);
  });
});

describe("POST /v1/liveness: bad input never gets a decision", () => {
  it("415 for an unsupported or missing content type", async () => {
    const p = await problem(await post("hello", "text/plain"), 415, "unsupported-media-type");
    expect(p.detail).toContain("image/jpeg");
    await problem(await worker.fetch("http://localhost/v1/liveness", { method: "POST", body: new Uint8Array(10), headers: authHeaders() }), 415, "unsupported-media-type");
  });

  it("413 for an empty body", async () => {
    await problem(await post(new Uint8Array(0), "image/jpeg"), 413, "empty-body");
  });

  it("413 for a body over the 2 MiB default limit", async () => {
    await problem(await post(new Uint8Array(2 * 1024 * 1024 + 1), "image/jpeg"), 413, "body-too-large");
  });

  it("413 for a streamed body over the limit without Content-Length", async () => {
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        sent += 256 * 1024;
        controller.enqueue(new Uint8Array(256 * 1024));
        if (sent >= 8 * 1024 * 1024) controller.close();
      },
    });
    const response = await worker.fetch("http://localhost/v1/liveness", {
      method: "POST",
      body: stream,
      headers: { ...authHeaders(), "content-type": "image/png" },
      duplex: "half",
    } as RequestInit);
    await problem(response, 413, "body-too-large");
  });

  it("422 for bytes that are not an image, and for truncated images", async () => {
    await problem(await post(new TextEncoder().encode("definitely not a png"), "image/png"), 422, "unrecognised-image");
    const jpeg = await goldenImage("jpeg");
    await problem(await post(jpeg.subarray(0, Math.floor(jpeg.length * 0.6)), "image/jpeg"), 422, "undecodable-image");
    const pngBytes = await goldenImage("png");
    await problem(await post(pngBytes.subarray(0, Math.floor(pngBytes.length * 0.6)), "image/png"), 422, "undecodable-image");
  });

  it("422 for images under 32 px", async () => {
    const p = await problem(await post(png(31, 200), "image/png"), 422, "image-too-small");
    expect(p.detail).toContain("31x200");
    await problem(await post(jpegOf(40, 16), "image/jpeg"), 422, "image-too-small");
  });

  it("422 for decompression bombs, judged from the header before decoding", async () => {
    await problem(await post(pngHeaderOnly(30_000, 30_000), "image/png"), 422, "image-too-large");
    await problem(await post(jpegHeaderOnly(65_000, 65_000), "image/jpeg"), 422, "image-too-large");
  });

  it("422 for a PNG whose small header hides a zlib bomb", async () => {
    const p = await problem(await post(await pngZlibBomb(64, 64, 32 * 1024 * 1024), "image/png"), 422, "image-too-large");
    expect(p.detail).toContain("inflates");
  });

  it("422 for a progressive JPEG whose scans would make the decoder walk every block a thousand times", async () => {
    const p = await problem(await post(progressiveJpeg(1024, 1024, 1000), "image/jpeg"), 422, "image-too-large");
    expect(p.detail).toContain("scans");
  });

  it("400 for malformed meta", async () => {
    const image = await goldenImage("png");
    await problem(await postForm(frameForm(image, "image/png", "{not json")), 400, "malformed-meta");
    await problem(await postForm(frameForm(image, "image/png", JSON.stringify({ box: [1, 2, 3] }))), 400, "malformed-meta");
    await problem(await postForm(frameForm(image, "image/png", JSON.stringify({ box: [0, 0, -5, 10] }))), 400, "malformed-meta");
    await problem(await postForm(frameForm(image, "image/png", JSON.stringify({ box: ["a", 0, 5, 10] }))), 400, "malformed-meta");
  });

  it("400 for a box outside the image", async () => {
    const image = png(64, 64);
    const p = await problem(await postForm(frameForm(image, "image/png", JSON.stringify({ box: [40, 40, 30, 10] }))), 400, "box-outside-image");
    expect(p.detail).toContain("64x64");
  });

  it("400 for multipart without a frame, or a multipart body that does not parse", async () => {
    const form = new FormData();
    form.append("meta", "{}");
    await problem(await postForm(form), 400, "missing-frame");
    await problem(await post("--nope\r\n", "multipart/form-data; boundary=xyz"), 400, "malformed-multipart");
  });
});

describe("routing", () => {
  it("answers unknown paths with a problem 404", async () => {
    await problem(await worker.fetch("http://localhost/v2/nothing"), 404, "not-found");
  });

  it("answers other methods on /v1/liveness with 405 and Allow: POST", async () => {
    const response = await worker.fetch("http://localhost/v1/liveness");
    expect(response.headers.get("allow")).toBe("POST");
    await problem(response, 405, "method-not-allowed");
  });
});
