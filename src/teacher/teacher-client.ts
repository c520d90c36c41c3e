import type { LivenessInput } from "../http/liveness-request";
import type { TeacherVerdict } from "../liveness/cascade";
import { TeacherResponseSchema } from "../schemas/teacher";

/** The teacher did not answer within the configured time. */
export class TeacherTimeoutError extends Error {
  override readonly name = "TeacherTimeoutError";
  constructor(readonly timeoutMs: number) {
    super(`the teacher did not answer within ${timeoutMs} ms`);
  }
}

/** The teacher answered with an error status or a body that is not a teacher response. */
export class TeacherCallError extends Error {
  override readonly name = "TeacherCallError";
}

export interface TeacherClientOptions {
  /** Milliseconds to wait for the whole answer (status and body). */
  readonly timeoutMs: number;
  /** URL the binding is called with; only its path matters to a service binding. */
  readonly url?: string;
  /** Bearer credential for the teacher route (the Worker's internal token); none when undefined. */
  readonly credential?: Promise<string | undefined>;
}

/**
 * Calls POST /v1/liveness/teacher through a Fetcher: in the deployed Worker, the TEACHER service
 * binding to itself, so the teacher runs in its own invocation. Resolves with the verdict or
 * rejects with TeacherTimeoutError / TeacherCallError (or the binding's own error).
 */
export class TeacherClient {
  readonly #binding: Pick<Fetcher, "fetch">;
  readonly #timeoutMs: number;
  readonly #url: string;
  readonly #credential: Promise<string | undefined>;

  constructor(binding: Pick<Fetcher, "fetch">, options: TeacherClientOptions) {
    this.#binding = binding;
    this.#timeoutMs = options.timeoutMs;
    this.#url = options.url ?? "https://teacher.internal/v1/liveness/teacher";
    this.#credential = options.credential ?? Promise.resolve(undefined);
  }

  async score(input: LivenessInput, requestId?: string): Promise<TeacherVerdict> {
    const form = new FormData();
    form.append("frame", new File([input.image], "frame"));
    if (input.box) form.append("meta", JSON.stringify({ box: input.box }));

    const abort = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        abort.abort();
        reject(new TeacherTimeoutError(this.#timeoutMs));
      }, this.#timeoutMs);
    });
    const started = performance.now();
    try {
      const answer = (async () => {
        const credential = await this.#credential;
        const headers: Record<string, string> = {};
        if (requestId) headers["x-request-id"] = requestId;
        if (credential) headers.authorization = `Bearer ${credential}`;
        const response = await this.#binding.fetch(this.#url, { method: "POST", body: form, signal: abort.signal, headers });
        if (!response.ok) {
          await response.body?.cancel();
          throw new TeacherCallError(`the teacher answered HTTP ${response.status}`);
        }
        const parsed = TeacherResponseSchema.safeParse(await response.json());
        if (!parsed.success) throw new TeacherCallError(`the teacher's answer is malformed: ${parsed.error.message}`);
        return parsed.data;
      })();
      answer.catch(() => undefined);
      const body = await Promise.race([answer, deadline]);
      return { score: body.score, threshold: body.threshold, model: body.model, ms: performance.now() - started };
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
  }
}
