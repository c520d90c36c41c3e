import type { Problem } from "../schemas/problem";

/** Base class of everything the client throws. */
export class FasEdgeError extends Error {
  override readonly name: string = "FasEdgeError";
}

/** The service answered with an error status (RFC 9457 problem details when it sent them). */
export class FasEdgeProblemError extends FasEdgeError {
  override readonly name = "FasEdgeProblemError";
  readonly status: number;
  /** The problem details; a synthesised one when the body was not application/problem+json. */
  readonly problem: Problem;
  /** Seconds the service asked to wait (Retry-After), when it said. */
  readonly retryAfterS: number | undefined;
  /** How many attempts were made before giving up (1 without retries). */
  readonly attempts: number;

  constructor(problem: Problem, retryAfterS: number | undefined, attempts: number) {
    super(problem.detail ? `${problem.title}: ${problem.detail}` : problem.title);
    this.status = problem.status;
    this.problem = problem;
    this.retryAfterS = retryAfterS;
    this.attempts = attempts;
  }

  /** The problem type's short name, e.g. "image-too-small" for urn:fas-edge:problem:image-too-small. */
  get slug(): string {
    return this.problem.type.split(":").pop() ?? this.problem.type;
  }
}

/** No answer within `timeoutMs` (per attempt). */
export class FasEdgeTimeoutError extends FasEdgeError {
  override readonly name = "FasEdgeTimeoutError";
  readonly timeoutMs: number;

  constructor(timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

/** The request could not be sent or its answer not read (offline, DNS, connection reset). */
export class FasEdgeNetworkError extends FasEdgeError {
  override readonly name = "FasEdgeNetworkError";
}

/** The caller's AbortSignal fired. */
export class FasEdgeAbortError extends FasEdgeError {
  override readonly name = "FasEdgeAbortError";
}

/** A 2xx answer that does not match the API's schema (a proxy page, or a client older than the server). */
export class FasEdgeResponseError extends FasEdgeError {
  override readonly name = "FasEdgeResponseError";
  readonly status: number;
  readonly issues: readonly string[];

  constructor(status: number, issues: readonly string[]) {
    super(`unexpected response (HTTP ${status}): ${issues.slice(0, 3).join("; ")}`);
    this.status = status;
    this.issues = issues;
  }
}
