import { describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import { env } from "cloudflare:workers";
import { jpegOf } from "./helpers/images";
import { authHeaders, worker } from "./helpers/worker";

async function regionOf(response: Response): Promise<string> {
  expect(response.status).toBe(200);
  return (await response.json<{ region: string }>()).region;
}

describe("region", () => {
  it("is request.cf.colo, so tests can present several regions", async () => {
    for (const colo of ["FRA", "SIN", "GRU"]) {
      const response = await worker.fetch("http://localhost/v1/liveness", {
        method: "POST",
        body: jpegOf(64, 64),
        headers: { ...authHeaders(), "content-type": "image/jpeg" },
        cf: { colo },
      } as RequestInit);
      expect(await regionOf(response)).toBe(colo);
    }
  });

  it("falls back to FALLBACK_REGION when there is no colo", async () => {
    const app = createApp();
    const response = await app.request(
      "/v1/liveness",
      { method: "POST", body: jpegOf(64, 64), headers: { ...authHeaders(), "content-type": "image/jpeg" } },
      { ...env, FALLBACK_REGION: "nowhere" },
    );
    expect(await regionOf(response)).toBe("nowhere");
  });
});
