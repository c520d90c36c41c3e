import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DEV_KEY, worker } from "../../test/helpers/worker";
import { pageRoutes } from "./pages";

const get = (path: string) => worker.fetch(`https://edge.test${path}`);

const keyMeta = (html: string) => /<meta name="fas-edge-api-key" content="([^"]*)">/.exec(html)?.[1];

describe("pages", () => {
  it.each([
    ["/", "Liveness check"],
    ["/dashboard", "SWAP dashboard"],
  ])("GET %s serves the page with a same-origin-only policy, and every script and stylesheet it names", async (path, title) => {
    const response = await get(path);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(response.headers.get("content-security-policy")).toContain("script-src 'self'");
    const html = await response.text();
    expect(html).toContain(`<title>${title} · fas-edge</title>`);
    expect(html).toContain('<html lang="en">');
    const assets = [...html.matchAll(/(?:src|href)="(\/pages\/[^"]+)"/g)].map((m) => m[1] ?? "");
    expect(assets.length).toBe(2);
    for (const asset of assets) {
      const file = await get(asset);
      expect(file.status, asset).toBe(200);
      const text = await file.text();
      expect(text.length).toBeGreaterThan(100);
      for (const chunk of text.matchAll(/from"\.\/([\w-]+\.js)"/g)) expect((await get(`/pages/${chunk[1]}`)).status).toBe(200);
    }
  });

  it("answers an unknown page script with problem details", async () => {
    const response = await get("/pages/missing.js");
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
  });

  describe("the development key", () => {
    it.each(["http://localhost:8787", "http://127.0.0.1:8787", "http://[::1]:8787", "http://localhost"])(
      "is in the pages served to the loopback host %s, which are never cached",
      async (origin) => {
        expect(DEV_KEY).not.toBe("");
        for (const path of ["/", "/dashboard"]) {
          const response = await worker.fetch(`${origin}${path}`);
          expect(response.status).toBe(200);
          expect(response.headers.get("cache-control")).toBe("no-store");
          expect(keyMeta(await response.text())).toBe(DEV_KEY);
        }
      },
    );

    it.each(["https://edge.test", "https://fas-edge.example.workers.dev", "http://192.168.1.20:8787", "http://localhost.example.com", "http://127.0.0.1.nip.io"])(
      "is nowhere in the pages served to the non-loopback host %s",
      async (origin) => {
        for (const path of ["/", "/dashboard"]) {
          const response = await worker.fetch(`${origin}${path}`);
          expect(response.status).toBe(200);
          expect(response.headers.get("cache-control")).toBe("no-cache");
          const html = await response.text();
          expect(html).not.toContain("fas-edge-api-key");
          expect(html).not.toContain(DEV_KEY);
          expect(html).toContain('<section id="key-panel"');
        }
      },
    );

    it("is not in a page served to localhost by a Worker that has no development key (a deployment)", async () => {
      const deployed: Env = { ...env, DEV_API_KEY: undefined };
      for (const path of ["/", "/dashboard"]) {
        const response = await pageRoutes.request(`http://localhost${path}`, {}, deployed);
        expect(response.status).toBe(200);
        expect(await response.text()).not.toContain("fas-edge-api-key");
      }
    });
  });
});
