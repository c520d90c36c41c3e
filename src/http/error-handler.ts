import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ImageRejectedError, type ImageRejection } from "../image/decode-image";
import { ModelUnavailableError } from "../inference/model-session";
import { ProblemError, problemResponse, problemType } from "./problem";

const IMAGE_PROBLEMS: Record<ImageRejection["kind"], { slug: ProblemError["slug"]; title: string }> = {
  unrecognised: { slug: "unrecognised-image", title: "Not a JPEG or PNG image" },
  undecodable: { slug: "undecodable-image", title: "Image could not be decoded" },
  "too-small": { slug: "image-too-small", title: "Image too small" },
  "too-large": { slug: "image-too-large", title: "Image too large" },
};

/** Maps the errors the service raises on purpose to problem details; undefined for anything else. */
export function toProblem(error: unknown): ProblemError | undefined {
  if (error instanceof ProblemError) return error;
  if (error instanceof ImageRejectedError) {
    const { slug, title } = IMAGE_PROBLEMS[error.rejection.kind];
    return new ProblemError(422, { slug, title, detail: error.rejection.detail });
  }
  if (error instanceof ModelUnavailableError) {
    // the reason (file checks, onnxruntime's message) goes to the log and GET /healthz, not to clients
    return new ProblemError(503, {
      slug: "model-unavailable",
      title: "Model not available",
      detail: `${error.modelId} could not be loaded; retry later`,
      headers: error.permanent ? {} : { "retry-after": String(error.retryAfterS) },
      cause: error,
    });
  }
  return undefined;
}

/** `error` and its causes, outermost first (at most `depth` of them). */
function causes(error: unknown, depth = 8): unknown[] {
  const chain: unknown[] = [];
  for (let current = error; current !== undefined && chain.length < depth; current = current instanceof Error ? current.cause : undefined) chain.push(current);
  return chain;
}

/** `error` and its causes, outermost first, each as "Name: message". */
export function errorChain(error: unknown): string[] {
  return causes(error).map((e) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e)));
}

/** The message of the innermost cause of `error` (its own message when it has none). */
export function rootCauseMessage(error: unknown): string {
  const root = causes(error).at(-1);
  return root instanceof Error ? root.message : String(root);
}

/** The app's one error handler: problem details for known errors, a logged generic 500 otherwise. */
export function handleError(error: Error, c: Context): Response {
  const problem = toProblem(error);
  if (problem) {
    if (problem.status >= 500) logError(c, problem.cause ?? problem);
    return problemResponse(
      c,
      problem.status as ContentfulStatusCode,
      { type: problemType(problem.slug), title: problem.title, ...(problem.detail ? { detail: problem.detail } : {}) },
      problem.headers,
    );
  }
  if (error instanceof HTTPException) {
    return problemResponse(c, error.status as ContentfulStatusCode, {
      type: problemType("http-error"),
      title: error.message || "Request failed",
    });
  }
  logError(c, error);
  return problemResponse(c, 500, { type: problemType("internal-error"), title: "Internal server error" });
}

function logError(c: Context, error: unknown): void {
  const requestId = c.get("requestId") as string | undefined;
  const [summary, ...causes] = errorChain(error);
  console.error(JSON.stringify({ level: "error", requestId, path: new URL(c.req.url).pathname, error: summary, ...(causes.length ? { causes } : {}) }));
}
