import { concatBytes } from "../bytes";
import { ProblemError } from "./problem";

/**
 * Reads a request body into memory, refusing it as soon as it grows past `limit` bytes: a declared
 * Content-Length over the limit is refused before reading, and a streamed body is cancelled at the
 * first chunk that crosses the limit, so no more than `limit` (+ one chunk) is ever buffered.
 */
export async function readBodyWithLimit(request: Request, limit: number): Promise<Uint8Array> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) {
    await request.body?.cancel();
    throw tooLarge(limit, `Content-Length is ${declared} bytes`);
  }
  if (!request.body) throw empty();

  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      throw tooLarge(limit, `the body exceeded it after ${total} bytes`);
    }
    chunks.push(value);
  }
  if (total === 0) throw empty();
  if (chunks.length === 1 && chunks[0]) return chunks[0];
  return concatBytes(chunks);
}

function tooLarge(limit: number, detail: string): ProblemError {
  return new ProblemError(413, {
    slug: "body-too-large",
    title: "Request body too large",
    detail: `at most ${limit} bytes are accepted; ${detail}`,
  });
}

/** An empty body is refused with the same status as an oversized one: the body's size is what is wrong. */
function empty(): ProblemError {
  return new ProblemError(413, { slug: "empty-body", title: "Empty request body", detail: "the request has no body" });
}
