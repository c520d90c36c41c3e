import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import type { Scope } from "./api-key";
import { authorize } from "./authenticator";

/**
 * Route guard: authenticates the caller (401/403), checks `scope` (403) and the rate limits (429)
 * before the request body is read; the principal is then `c.get("principal")`.
 */
export function requireScope(scope: Scope): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const { auth, rateLimits } = c.get("services");
    const principal = await auth.authenticate(c.req.raw);
    authorize(principal, scope);
    await rateLimits?.check(principal, c.req.raw);
    c.set("principal", principal);
    await next();
  };
}
