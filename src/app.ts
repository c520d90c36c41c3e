import { Hono } from "hono";
import { cors } from "hono/cors";
import { requestId } from "hono/request-id";
import type { AppEnv, Services } from "./app-env";
import { handleError } from "./http/error-handler";
import { problemResponse, problemType } from "./http/problem";
import { SESSION_NONCE_STATE_HEADER } from "./schemas/session";
import { healthRoutes } from "./routes/health";
import { livenessRoutes } from "./routes/liveness";
import { modelRoutes } from "./routes/models";
import { pageRoutes } from "./routes/pages";
import { sessionRoutes } from "./routes/sessions";
import { swapRoutes } from "./routes/swap";
import { teacherRoutes } from "./routes/teacher";
import { isolateServices } from "./services";

export interface AppOptions {
  /** Where each request finds its services; defaults to the isolate's shared ones. */
  readonly services?: (env: Env) => Services;
}

export function createApp(options: AppOptions = {}): Hono<AppEnv> {
  const services = options.services ?? isolateServices;
  const app = new Hono<AppEnv>();

  app.use(async (c, next) => {
    c.set("startedAt", performance.now());
    await next();
  });
  app.use(requestId());
  app.use(async (c, next) => {
    c.set("services", services(c.env));
    await next();
  });

  app.use("/v1/*", async (c, next) => {
    const allowed = c.get("services").config.corsOrigins;
    return cors({
      origin: (origin) => (allowed.includes("*") ? "*" : allowed.includes(origin) ? origin : null),
      allowMethods: ["GET", "POST", "OPTIONS"],
      allowHeaders: ["authorization", "content-type", "x-session-nonce", "x-request-id"],
      exposeHeaders: ["retry-after", "x-request-id", SESSION_NONCE_STATE_HEADER],
      maxAge: 600,
    })(c, next);
  });

  app.route("/", livenessRoutes);
  app.route("/", sessionRoutes);
  app.route("/", teacherRoutes);
  app.route("/", swapRoutes);
  app.route("/", modelRoutes);
  app.route("/", healthRoutes);
  app.route("/", pageRoutes);

  app.notFound((c) =>
    problemResponse(c, 404, { type: problemType("not-found"), title: "Not found", detail: `${c.req.method} ${c.req.path}` }),
  );
  app.onError(handleError);
  return app;
}
