import { describe, expect, it } from "vitest";
import { ProblemError } from "./problem";
import { readBodyWithLimit } from "./read-body";

/** A request whose body is an endless stream of `chunk`-byte chunks; `pulled()` counts reads. */
function endless(chunk: number) {
  let pulls = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulls++;
      controller.enqueue(new Uint8Array(chunk));
    },
  });
  const request = new Request("https://edge.test/", { method: "POST", body, duplex: "half" } as RequestInit);
  return { request, pulled: () => pulls };
}

async function problemOf(promise: Promise<unknown>): Promise<ProblemError> {
  const error = await promise.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ProblemError);
  return error as ProblemError;
}

describe("readBodyWithLimit", () => {
  it("returns bodies up to the limit, including exactly the limit", async () => {
    const body = new Uint8Array(1000).map((_, i) => i & 255);
    const read = await readBodyWithLimit(new Request("https://edge.test/", { method: "POST", body }), 1000);
    expect(Array.from(read)).toEqual(Array.from(body));
  });

  it("stops reading an endless body as soon as it passes the limit (413)", async () => {
    const { request, pulled } = endless(64 * 1024);
    const problem = await problemOf(readBodyWithLimit(request, 1024 * 1024));
    expect(problem.status).toBe(413);
    expect(problem.slug).toBe("body-too-large");
    expect(pulled()).toBeLessThanOrEqual(18);
  });

  it("refuses a declared Content-Length over the limit without reading", async () => {
    const { request, pulled } = endless(1024);
    const declared = new Request(request, { headers: { "content-length": "5000000" } });
    expect((await problemOf(readBodyWithLimit(declared, 2 * 1024 * 1024))).status).toBe(413);
    expect(pulled()).toBeLessThanOrEqual(1);
  });

  it("refuses an empty or missing body with 413, as an oversized one", async () => {
    expect((await problemOf(readBodyWithLimit(new Request("https://edge.test/", { method: "POST" }), 10))).slug).toBe("empty-body");
    const empty = new Request("https://edge.test/", { method: "POST", body: new Uint8Array(0) });
    expect((await problemOf(readBodyWithLimit(empty, 10))).status).toBe(413);
  });
});
