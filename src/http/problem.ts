import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { PROBLEM_MEDIA_TYPE, type Problem } from "../schemas/problem";

/** Problem types of this API; each becomes `urn:fas-edge:problem:<slug>`. */
export type ProblemSlug =
  | "unsupported-media-type"
  | "empty-body"
  | "body-too-large"
  | "malformed-multipart"
  | "missing-frame"
  | "malformed-meta"
  | "box-outside-image"
  | "unrecognised-image"
  | "undecodable-image"
  | "image-too-small"
  | "image-too-large"
  | "model-unavailable"
  | "not-found"
  | "method-not-allowed"
  | "internal-error"
  | "http-error"
  | "invalid-query"
  | "missing-api-key"
  | "invalid-api-key"
  | "revoked-api-key"
  | "missing-scope"
  | "rate-limited"
  | "session-required"
  | "invalid-session"
  | "session-expired"
  | "foreign-session"
  | "session-replayed"
  | "sessions-unavailable"
  | "too-many-frames";

export const problemType = (slug: ProblemSlug): string => `urn:fas-edge:problem:${slug}`;

export interface ProblemInit {
  readonly slug: ProblemSlug;
  readonly title: string;
  readonly detail?: string;
  /** Extra response headers (for example Retry-After). */
  readonly headers?: Record<string, string>;
  readonly cause?: unknown;
}

/** An HTTPException that is answered as RFC 9457 problem details by the app's one onError. */
export class ProblemError extends HTTPException {
  readonly slug: ProblemSlug;
  readonly title: string;
  readonly detail: string | undefined;
  readonly headers: Record<string, string>;

  constructor(status: ContentfulStatusCode, init: ProblemInit) {
    super(status, { message: init.detail ?? init.title, cause: init.cause });
    this.slug = init.slug;
    this.title = init.title;
    this.detail = init.detail;
    this.headers = init.headers ?? {};
  }
}

/** Builds the problem+json response for `c`'s request. */
export function problemResponse(
  c: Context,
  status: ContentfulStatusCode,
  problem: { readonly type: string; readonly title: string; readonly detail?: string },
  headers: Record<string, string> = {},
): Response {
  const requestId = c.get("requestId") as string | undefined;
  const body: Problem = {
    ...problem,
    status,
    instance: new URL(c.req.url).pathname,
    ...(requestId ? { requestId } : {}),
  };
  return c.body(JSON.stringify(body), status, {
    "content-type": PROBLEM_MEDIA_TYPE,
    "cache-control": "no-store",
    ...headers,
  });
}
