import type { Context } from "hono";

/**
 * `c`'s ExecutionContext.waitUntil: keeps the request's invocation alive until `work` settles, even
 * after the response. A no-op without an ExecutionContext (app.request in tests).
 */
export function waitUntilOf(c: Context): (work: Promise<unknown>) => void {
  return (work) => {
    try {
      c.executionCtx.waitUntil(work.catch(() => undefined));
    } catch {
      // no ExecutionContext: nothing can cancel the work either
    }
  };
}
