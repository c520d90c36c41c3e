import { describe, expect, it } from "vitest";
import { worker } from "../../test/helpers/worker";

const get = (path: string) => worker.fetch(`https://edge.test${path}`);

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
});
