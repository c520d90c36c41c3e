import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { PAGE_SCRIPTS } from "../pages/generated/page-scripts";
import { dashboardPage, demoPage } from "../pages/html";
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

const html = (body: string) => new Response(body, { headers: { ...PAGE_HEADERS, "content-type": "text/html; charset=utf-8" } });

const demoHtml = demoPage();
const dashboardHtml = dashboardPage();

/** GET / (camera demo), GET /dashboard (SWAP dashboard) and their scripts and stylesheet under /pages/. */
export const pageRoutes = new Hono<AppEnv>()
  .get("/", () => html(demoHtml))
  .get("/dashboard", () => html(dashboardHtml))
  .get("/pages/app.css", () => new Response(PAGE_CSS, { headers: { ...PAGE_HEADERS, "content-type": "text/css; charset=utf-8" } }))
  .get("/pages/:file{[A-Za-z0-9_-]+\\.js}", (c) => {
    const code = PAGE_SCRIPTS[c.req.param("file")];
    if (code === undefined) return c.notFound();
    return new Response(code, { headers: { ...PAGE_HEADERS, "content-type": "text/javascript; charset=utf-8" } });
  });
