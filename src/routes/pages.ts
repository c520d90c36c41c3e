import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { isLoopbackUrl } from "../auth/authenticator";
import { PAGE_SCRIPTS } from "../pages/generated/page-scripts";
import { dashboardPage, demoPage, type PageOptions } from "../pages/html";
import { PAGE_CSS } from "../pages/styles";

/**
 * Same-origin files only: the camera needs `media-src blob: mediastream:`, the result thumbnail
 * `img-src blob: data:`; nothing is loaded from elsewhere.
 */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "media-src 'self' blob: mediastream:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const PAGE_HEADERS = {
  "content-security-policy": CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "permissions-policy": "camera=(self), microphone=()",
  "cache-control": "no-cache",
};

/**
 * What a page may carry for this request: the local development key (DEV_API_KEY, set only by
 * dev/local.env) when the page is served to a loopback host, where the service honours that key;
 * nothing otherwise, so a deployed page never holds a key.
 */
function pageOptions(env: Env, url: string): PageOptions {
  const devKey = env.DEV_API_KEY;
  return devKey && isLoopbackUrl(url) ? { apiKey: devKey } : {};
}

/** A page; one that carries a key is never stored by a cache. */
function html(render: (options: PageOptions) => string, options: PageOptions): Response {
  const cache = options.apiKey === undefined ? {} : { "cache-control": "no-store" };
  return new Response(render(options), { headers: { ...PAGE_HEADERS, ...cache, "content-type": "text/html; charset=utf-8" } });
}

/** GET / (camera demo), GET /dashboard (SWAP dashboard) and their scripts and stylesheet under /pages/. */
export const pageRoutes = new Hono<AppEnv>()
  .get("/", (c) => html(demoPage, pageOptions(c.env, c.req.url)))
  .get("/dashboard", (c) => html(dashboardPage, pageOptions(c.env, c.req.url)))
  .get("/pages/app.css", () => new Response(PAGE_CSS, { headers: { ...PAGE_HEADERS, "content-type": "text/css; charset=utf-8" } }))
  .get("/pages/:file{[A-Za-z0-9_-]+\\.js}", (c) => {
    const code = PAGE_SCRIPTS[c.req.param("file")];
    if (code === undefined) return c.notFound();
    return new Response(code, { headers: { ...PAGE_HEADERS, "content-type": "text/javascript; charset=utf-8" } });
  });
