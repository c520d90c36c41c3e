import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FasEdgeClient, type Decision, type LivenessResponse } from "../../src/client/index";
import { faceGuide } from "../../src/pages/face-guide";
import { launchChromium } from "./support/browser.mjs";
import { FRAME, makeCandidates, mostConfident, scoreCandidates, summary, writeY4m, type ScoredCandidate } from "./support/fake-camera.mjs";
import { startWranglerDev, type DevServer } from "./support/wrangler-dev.mjs";

/** Screenshots are kept here as test artefacts (gitignored). */
const ARTEFACTS = join("test-results", "e2e");

let dev: DevServer;
let client: FasEdgeClient;
let work: string;
let scored: ScoredCandidate[] = [];
let cropScale: number;
/** Every POST /v1/liveness this run made, and the decisions the service answered. */
const tally = { requests: 0, live: 0, spoof: 0, uncertain: 0 };
const count = (decision: Decision) => {
  tally.requests += 1;
  tally[decision] += 1;
};

beforeAll(async () => {
  mkdirSync(ARTEFACTS, { recursive: true });
  work = mkdtempSync(join(tmpdir(), "fas-edge-e2e-camera-"));
  dev = await startWranglerDev();
  client = new FasEdgeClient({ baseUrl: dev.base, timeoutMs: 120_000 });
  const manifest = JSON.parse(readFileSync("models/manifest.json", "utf8")) as {
    serving: { student: string };
    models: Record<string, { preprocess: { cropScale: number } }>;
  };
  const scale = manifest.models[manifest.serving.student]?.preprocess.cropScale;
  if (scale === undefined) throw new Error("models/manifest.json has no serving student");
  cropScale = scale;
  scored = await scoreCandidates(client, await makeCandidates(work, cropScale));
  for (const c of scored) count(c.answer.decision);
  writeFileSync(join(ARTEFACTS, "candidates.txt"), `${summary(scored)}\n`);
});

afterAll(async () => {
  await dev?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** The square crop the service takes around a face box in a camera frame. */
function cropAround([x, y, w, h]: readonly number[], scale: number): { x: number; y: number; side: number } {
  const side = Math.max(1, Math.min(Math.floor(Math.max(w ?? 0, h ?? 0) * scale + 0.5), FRAME.width, FRAME.height));
  const cx = (x ?? 0) + (w ?? 0) / 2;
  const cy = (y ?? 0) + (h ?? 0) / 2;
  return {
    x: Math.min(Math.max(Math.floor(cx - side / 2 + 0.5), 0), FRAME.width - side),
    y: Math.min(Math.max(Math.floor(cy - side / 2 + 0.5), 0), FRAME.height - side),
    side,
  };
}

/** Waits for the result panel to show an answer (or an error) and returns what it shows. */
async function shownResult(page: Page): Promise<{ decision: string; badge: string; score: string; decidedBy: string; request: string }> {
  await page.waitForFunction(() => {
    const d = document.getElementById("result")?.dataset.decision;
    return d !== undefined && d !== "none" && d !== "pending";
  });
  return page.evaluate(() => {
    const text = (selector: string) => document.querySelector(selector)?.textContent?.trim() ?? "";
    return {
      decision: document.getElementById("result")?.dataset.decision ?? "",
      badge: text("#decision-badge"),
      score: text('[data-field="score"]'),
      decidedBy: text('[data-field="decided-by"]'),
      request: text('[data-field="request"]'),
    };
  });
}

describe("demo page with a fake camera", () => {
  it.each([
    ["bonafide", "live"],
    ["attack", "spoof"],
  ] as const)("shows %s frames from the oval as %s", async (label, expected) => {
    const chosen = mostConfident(scored, label);
    expect(chosen, `no ${label} candidate that the served models decide ${expected}:\n${summary(scored)}`).toBeDefined();
    if (!chosen) return;
    const video = join(work, `${label}.y4m`);
    writeY4m(video, chosen);

    const chromium = await launchChromium({ fakeCamera: video });
    try {
      const page = await chromium.browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(`${dev.base}/`);
      // keyboard only: Enter on "Start camera"; once the camera runs, focus moves to "Check liveness"
      await page.getByRole("button", { name: "Start camera" }).focus();
      await page.keyboard.press("Enter");
      await page.waitForFunction(() => !(document.getElementById("check-button") as HTMLButtonElement).disabled);
      expect(await page.evaluate(() => document.activeElement?.id)).toBe("check-button");
      expect(await page.evaluate(() => [(document.getElementById("preview") as HTMLVideoElement).videoWidth, (document.getElementById("preview") as HTMLVideoElement).videoHeight])).toEqual([
        FRAME.width,
        FRAME.height,
      ]);

      const [request, answered] = await Promise.all([
        page.waitForRequest((r) => r.url().endsWith("/v1/liveness") && r.method() === "POST"),
        page.waitForResponse((r) => r.url().endsWith("/v1/liveness")),
        page.keyboard.press("Enter"),
      ]);
      expect(request.headers()["content-type"]).toMatch(/^multipart\/form-data; boundary=/);
      const response = (await answered.json()) as LivenessResponse;
      count(response.decision);
      // the service cropped around the box the page sent: the oval's (models/README.md, step 1)
      expect(response.crop).toEqual(cropAround(faceGuide(FRAME.width, FRAME.height).box, cropScale));

      const shown = await shownResult(page);
      await page.screenshot({ path: join(ARTEFACTS, `demo-${label}.png`), fullPage: true });
      expect(shown.decision).toBe(expected);
      expect(shown.badge).toBe(expected);
      expect(shown.request).toBe(response.requestId);
      expect(shown.score.startsWith(response.score.toFixed(3))).toBe(true);
      expect(shown.decidedBy).toContain(response.decidedBy);
      const stages = await page.locator("#timings-body th").allTextContents();
      expect(stages).toEqual(expect.arrayContaining(["Decode", "Preprocess", "Student", "Total"]));
    } finally {
      await chromium.close();
    }
  });
});

describe("demo page without a camera", () => {
  it("says so, and scores an uploaded photo as the API does", async () => {
    const photo = scored.find((c) => c.label === "bonafide") ?? scored[0];
    if (!photo) throw new Error("no candidates");
    const viaApi = await client.assess(new Uint8Array(readFileSync(photo.png)));
    count(viaApi.decision);

    const chromium = await launchChromium();
    try {
      const page = await chromium.browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
      await page.goto(`${dev.base}/`);
      const startCamera = page.getByRole("button", { name: "Start camera" });
      if (await startCamera.isEnabled()) {
        await startCamera.click();
        await page.getByRole("alert").filter({ hasText: "Upload a photo instead" }).waitFor();
      }
      await page.getByLabel("No camera? Upload a photo").setInputFiles(photo.png);
      const shown = await shownResult(page);
      count(shown.decision as Decision);
      await page.screenshot({ path: join(ARTEFACTS, "demo-upload-phone.png"), fullPage: true });
      expect(shown.decision).toBe(viaApi.decision);
      expect(shown.score.startsWith(viaApi.score.toFixed(3))).toBe(true);
    } finally {
      await chromium.close();
    }
  });

  it("shows the service's problem, never a decision, for an image it refuses", async () => {
    const tiny = join(work, "tiny.png");
    const { encode } = await import("fast-png");
    writeFileSync(tiny, encode({ width: 8, height: 8, data: new Uint8Array(8 * 8 * 3).fill(200), channels: 3, depth: 8 }));
    const chromium = await launchChromium();
    try {
      const page = await chromium.browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(`${dev.base}/`);
      await page.getByLabel("No camera? Upload a photo").setInputFiles(tiny);
      const shown = await shownResult(page);
      tally.requests += 1;
      expect(shown.decision).toBe("error");
      expect(shown.badge).toBe("No result");
      expect(await page.getByRole("alert").textContent()).toMatch(/Image too small.*\(HTTP 422\)/);
      await page.screenshot({ path: join(ARTEFACTS, "demo-refused.png"), fullPage: true });
    } finally {
      await chromium.close();
    }
  });
});

describe("dashboard", () => {
  it("shows every request of this run, by decision, in the region that served them", async () => {
    // wrangler dev presents a request.cf with a colo of its own; the answers say which
    const region = scored[0]?.answer.region;
    if (!region) throw new Error("no requests were scored");
    expect(new Set(scored.map((c) => c.answer.region))).toEqual(new Set([region]));
    const chromium = await launchChromium();
    try {
      const page = await chromium.browser.newPage({ viewport: { width: 1280, height: 1000 } });
      await page.goto(`${dev.base}/dashboard`);
      const row = page.locator(`tr[data-region="${region}"]`);
      const cell = (col: string) => row.locator(`td[data-col="${col}"]`).textContent();
      // the rollups reach KV at most once a second; the page refreshes itself every 5 s
      await expect.poll(() => row.count(), { timeout: 30_000, interval: 500 }).toBe(1);
      await expect.poll(() => cell("requests"), { timeout: 60_000, interval: 1000 }).toBe(String(tally.requests));
      expect(await cell("live")).toBe(String(tally.live));
      expect(await cell("spoof")).toBe(String(tally.spoof));
      expect(await cell("uncertain")).toBe(String(tally.uncertain));
      expect(await cell("rejected")).toBe("1");
      expect(await page.locator('[data-card="requests"] .card-value').textContent()).toBe(String(tally.requests));
      expect(await page.locator("#chart-decisions svg rect").count()).toBeGreaterThan(0);
      expect(await page.getByRole("status").textContent()).toMatch(/^Updated /);
      await page.screenshot({ path: join(ARTEFACTS, "dashboard.png"), fullPage: true });
      await page.setViewportSize({ width: 390, height: 844 });
      await page.screenshot({ path: join(ARTEFACTS, "dashboard-phone.png"), fullPage: true });
    } finally {
      await chromium.close();
    }
  });
});
