import { Hono } from "hono";
import { requestId } from "hono/request-id";
import type { AppEnv, Services } from "./app-env";
import { handleError } from "./http/error-handler";
import { problemResponse, problemType } from "./http/problem";
import { healthRoutes } from "./routes/health";
import { livenessRoutes } from "./routes/liveness";
import { modelRoutes } from "./routes/models";
import { pageRoutes } from "./routes/pages";
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

  app.route("/", livenessRoutes);
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
