import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FasEdgeClient, FasEdgeSession, type Decision, type LivenessResponse, type SessionResponse } from "../../src/client/index";
import { faceGuide } from "../../src/pages/face-guide";
import { createLocalKey } from "./support/api-keys.mjs";
import { launchChromium } from "./support/browser.mjs";
import { FRAME, makeCandidates, mostConfident, scoreCandidates, summary, writeY4m, type ScoredCandidate } from "./support/fake-camera.mjs";
import { startWranglerDev, type DevServer } from "./support/wrangler-dev.mjs";

/** Screenshots are kept here as test artefacts (gitignored). */
const ARTEFACTS = join("test-results", "e2e");

/** A host name that chromium resolves to the dev server but that is not loopback: its pages get no key. */
const PUBLIC_HOST = "fas-edge.test";
/** The localStorage entry where the pages keep a key that worked. */
const STORED_KEY = "fas-edge:api-key";

let dev: DevServer;
let client: FasEdgeClient;
/** A stored key with the liveness scope only, made with `npm run keys -- create` before wrangler dev starts. */
let livenessKey: string;
let work: string;
let scored: ScoredCandidate[] = [];
let cropScale: number;
/** Every POST /v1/liveness this run made, the decisions the service answered and the requests it refused. */
const tally = { requests: 0, live: 0, spoof: 0, uncertain: 0, rejected: 0 };
const count = (decision: Decision) => {
  tally.requests += 1;
  tally[decision] += 1;
};

beforeAll(async () => {
  mkdirSync(ARTEFACTS, { recursive: true });
  work = mkdtempSync(join(tmpdir(), "fas-edge-e2e-camera-"));
  dev = await startWranglerDev({
    prepare: async (persistTo) => {
      livenessKey = await createLocalKey(persistTo, "e2e liveness only", ["liveness"]);
    },
  });
  client = new FasEdgeClient({ baseUrl: dev.base, apiKey: dev.devKey, timeoutMs: 120_000 });
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

/** Waits for the result panel to show an answer (or an error, unless `decided`) and returns what it shows. */
async function shownResult(page: Page, { decided = false } = {}): Promise<{ decision: string; badge: string; score: string; decidedBy: string; request: string; session: string }> {
  await page.waitForFunction((decided) => {
    const d = document.getElementById("result")?.dataset.decision;
    return d !== undefined && d !== "none" && d !== "pending" && !(decided && d === "error");
  }, decided);
  return page.evaluate(() => {
    const text = (selector: string) => document.querySelector(selector)?.textContent?.trim() ?? "";
    return {
      decision: document.getElementById("result")?.dataset.decision ?? "",
      badge: text("#decision-badge"),
      score: text('[data-field="score"]'),
      decidedBy: text('[data-field="decided-by"]'),
      request: text('[data-field="request"]'),
      session: text('[data-field="session"]'),
    };
  });
}

/** Console output of a page, to check that no key is ever logged. */
function consoleOf(page: Page): string[] {
  const lines: string[] = [];
  page.on("console", (message) => lines.push(message.text()));
  page.on("pageerror", (error) => lines.push(String(error)));
  return lines;
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
      const logged = consoleOf(page);
      await page.goto(`${dev.base}/`);
      // served to a loopback host: the page has the development key, so no key field
      expect(await page.locator('meta[name="fas-edge-api-key"]').getAttribute("content")).toBe(dev.devKey);
      expect(await page.locator("#key-panel").isHidden()).toBe(true);
      // keyboard only: Enter on "Start camera"; once the camera runs, focus moves to "Check liveness"
      await page.getByRole("button", { name: "Start camera" }).focus();
      await page.keyboard.press("Enter");
      await page.waitForFunction(() => !(document.getElementById("check-button") as HTMLButtonElement).disabled);
      expect(await page.evaluate(() => document.activeElement?.id)).toBe("check-button");
      expect(await page.evaluate(() => [(document.getElementById("preview") as HTMLVideoElement).videoWidth, (document.getElementById("preview") as HTMLVideoElement).videoHeight])).toEqual([
        FRAME.width,
        FRAME.height,
      ]);

      // one check: a session, then the frame with the session's single-use nonce
      const order: string[] = [];
      page.on("request", (r) => {
        if (r.url().includes("/v1/")) order.push(`${r.method()} ${new URL(r.url()).pathname}`);
      });
      const [opened, request, answered] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith("/v1/sessions") && r.request().method() === "POST"),
        page.waitForRequest((r) => r.url().endsWith("/v1/liveness") && r.method() === "POST"),
        page.waitForResponse((r) => r.url().endsWith("/v1/liveness")),
        page.keyboard.press("Enter"),
      ]);
      expect(order).toEqual(["POST /v1/sessions", "POST /v1/liveness"]);
      expect(opened.status()).toBe(201);
      expect(opened.request().headers()["authorization"]).toBe(`Bearer ${dev.devKey}`);
      expect(request.headers()["authorization"]).toBe(`Bearer ${dev.devKey}`);
      const session = (await opened.json()) as SessionResponse;
      expect(request.headers()["content-type"]).toMatch(/^multipart\/form-data; boundary=/);
      expect(answered.status()).toBe(200);
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
      expect(shown.session.startsWith(session.sessionId)).toBe(true);
      expect(response.frames).toHaveLength(1);
      const stages = await page.locator("#timings-body th").allTextContents();
      expect(stages).toEqual(expect.arrayContaining(["Decode", "Preprocess", "Student", "Total"]));

      // the page sent the session's nonce with the frame (chromium does not report a body with a
      // file in it): the nonce is used up, so the same frame with it again is refused as a replay
      const replay = new FasEdgeSession(client, session).assess(new Uint8Array(readFileSync(chosen.png)), { box: faceGuide(FRAME.width, FRAME.height).box });
      await expect(replay).rejects.toMatchObject({ status: 409, slug: "session-replayed" });
      tally.requests += 1;
      tally.rejected += 1;
      expect(logged.filter((line) => line.includes(dev.devKey))).toEqual([]);
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
      tally.rejected += 1;
      expect(shown.decision).toBe("error");
      expect(shown.badge).toBe("No result");
      expect(await page.getByRole("alert").textContent()).toMatch(/Image too small.*\(HTTP 422\)/);
      await page.screenshot({ path: join(ARTEFACTS, "demo-refused.png"), fullPage: true });
    } finally {
      await chromium.close();
    }
  });
});

describe("API key field", () => {
  it("appears where the page has no key, reports a wrong key as refused, keeps a key that works, and says when to retry after a 429", async () => {
    const photo = scored.find((c) => c.label === "bonafide") ?? scored[0];
    if (!photo) throw new Error("no candidates");
    const wrongKey = "fas_this_key_was_never_issued_by_the_service_0";
    const origin = `http://${PUBLIC_HOST}:${dev.port}`;
    const chromium = await launchChromium({ hostAliases: [PUBLIC_HOST] });
    try {
      const page = await chromium.browser.newPage({ viewport: { width: 1280, height: 900 } });
      const logged = consoleOf(page);
      const storedKey = () => page.evaluate((entry) => localStorage.getItem(entry), STORED_KEY);
      await page.goto(`${origin}/`);
      await page.waitForFunction(() => document.documentElement.dataset.ready === "true");
      // not a loopback host: no key in the page, so the key field asks for one
      expect(await page.locator('meta[name="fas-edge-api-key"]').count()).toBe(0);
      const panel = page.getByRole("region", { name: "API key" });
      const field = page.locator("#key-input");
      expect(await panel.isVisible()).toBe(true);
      expect(await page.getByLabel("API key", { exact: true }).and(field).count()).toBe(1);
      expect(await page.locator("#key-message").textContent()).toContain("“liveness” scope");

      await field.fill(wrongKey);
      await page.getByRole("button", { name: "Use key" }).click();
      const [refused] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith("/v1/sessions")),
        page.getByLabel("No camera? Upload a photo").setInputFiles(photo.png),
      ]);
      expect(refused.status()).toBe(401);
      expect((await shownResult(page)).decision).toBe("error");
      expect(await page.getByRole("alert").textContent()).toMatch(/^The API key was refused\. Invalid API key: .*\(HTTP 401\)\.$/);
      expect(await panel.isVisible()).toBe(true);
      expect(await panel.getAttribute("data-problem")).toBe("invalid-api-key");
      expect(await page.locator("#key-message").textContent()).toMatch(/Invalid API key.*Enter a valid key\.$/);
      expect(await page.evaluate(() => document.activeElement?.id)).toBe("key-input");
      expect(await storedKey()).toBeNull();
      await page.screenshot({ path: join(ARTEFACTS, "demo-wrong-key.png"), fullPage: true });

      // a key that works: entering it runs the interrupted check again, and the browser keeps it
      await field.fill(livenessKey);
      const [answered] = await Promise.all([page.waitForResponse((r) => r.url().endsWith("/v1/liveness")), field.press("Enter")]);
      expect(answered.status()).toBe(200);
      expect(answered.request().headers()["authorization"]).toBe(`Bearer ${livenessKey}`);
      const shown = await shownResult(page, { decided: true });
      count(shown.decision as Decision);
      expect(shown.request).toBe(((await answered.json()) as LivenessResponse).requestId);
      expect(await storedKey()).toBe(livenessKey);
      expect(await panel.isHidden()).toBe(true);

      // the dashboard finds the stored key, which lacks the metrics scope: 403, the field again, the key kept
      const [swap] = await Promise.all([page.waitForResponse((r) => r.url().includes("/v1/swap")), page.goto(`${origin}/dashboard`)]);
      expect(swap.status()).toBe(403);
      await page.getByRole("status").filter({ hasText: "HTTP 403" }).waitFor();
      expect(await page.getByRole("status").textContent()).toMatch(/Scope not granted: this route needs the "metrics" scope.*\(HTTP 403\)/);
      expect(await page.locator("#key-panel").getAttribute("data-problem")).toBe("missing-scope");
      expect(await page.locator("#key-message").textContent()).toMatch(/Enter a key with the “metrics” scope\.$/);
      expect(await storedKey()).toBe(livenessKey);
      await page.screenshot({ path: join(ARTEFACTS, "dashboard-missing-scope.png"), fullPage: true });

      // back on the demo the stored key is used without asking
      await page.goto(`${origin}/`);
      await page.waitForFunction(() => document.documentElement.dataset.ready === "true");
      expect(await page.locator("#key-panel").isHidden()).toBe(true);

      // use up the key's per-client budget (RATE_LIMIT_CLIENT), then check: the page says when to retry
      for (let i = 0; i < 200; i++) {
        const opened = await fetch(`${dev.base}/v1/sessions`, { method: "POST", headers: { authorization: `Bearer ${livenessKey}` } });
        await opened.body?.cancel();
        if (opened.status === 429) break;
        expect(opened.status).toBe(201);
      }
      const [limited] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith("/v1/sessions")),
        page.getByLabel("No camera? Upload a photo").setInputFiles(photo.png),
      ]);
      expect(limited.status()).toBe(429);
      const retryAfter = Number(limited.headers()["retry-after"]);
      expect(retryAfter).toBeGreaterThan(0);
      expect((await shownResult(page)).decision).toBe("error");
      expect(await page.getByRole("alert").textContent()).toMatch(new RegExp(`^Too many requests: .*\\(HTTP 429\\)\\. Try again in ${retryAfter} s \\(at \\d\\d:\\d\\d:\\d\\d\\)\\.$`));
      expect(await page.locator("#key-panel").isHidden()).toBe(true);
      expect(await storedKey()).toBe(livenessKey);
      await page.screenshot({ path: join(ARTEFACTS, "demo-rate-limited.png"), fullPage: true });
      expect(logged.filter((line) => line.includes(livenessKey) || line.includes(wrongKey))).toEqual([]);
    } finally {
      await chromium.close();
    }
  });

  it("is not needed by a page served to localhost, and no page served elsewhere carries a key", async () => {
    for (const path of ["/", "/dashboard"]) {
      const local = await (await fetch(`http://localhost:${dev.port}${path}`)).text();
      expect(local).toContain(`<meta name="fas-edge-api-key" content="${dev.devKey}">`);
      const elsewhere = await new Promise<string>((resolve, reject) => {
        // fetch() does not let a caller set Host; node:http does
        const req = httpRequest({ host: "127.0.0.1", port: dev.port, path, headers: { host: `${PUBLIC_HOST}:${dev.port}` } }, (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => (text += chunk));
          res.on("end", () => resolve(text));
        });
        req.on("error", reject);
        req.end();
      });
      expect(elsewhere).toContain('<section id="key-panel"');
      expect(elsewhere).not.toContain("fas-edge-api-key\" content");
      expect(elsewhere).not.toContain(dev.devKey);
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
      expect(await cell("rejected")).toBe(String(tally.rejected));
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
