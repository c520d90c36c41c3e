import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page, Request } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FasEdgeClient, FasEdgeSession, type Decision, type LivenessResponse, type SessionResponse } from "../../src/client/index";
import { CROP_SCALE, faceGuide } from "../../src/pages/face-guide";
import { createLocalKey } from "./support/api-keys.mjs";
import { launchChromium } from "./support/browser.mjs";
import { FRAME, makeCandidates, mostConfident, scoreCandidates, summary, writeY4m, type FrameSize, type ScoredCandidate } from "./support/fake-camera.mjs";
import { startWranglerDev, type DevServer } from "./support/wrangler-dev.mjs";

/** Screenshots are kept here as test artefacts (gitignored). */
const ARTEFACTS = join("test-results", "e2e");

/** A host name that chromium resolves to the dev server but that is not loopback: its pages get no key. */
const PUBLIC_HOST = "fas-edge.test";
/** The localStorage entry where the pages keep a key that worked, one per scope. */
const storedKeyEntry = (scope: "liveness" | "metrics") => `fas-edge:api-key:${scope}`;
/** The one entry earlier versions of the pages kept for both. */
const LEGACY_KEY_ENTRY = "fas-edge:api-key";

let dev: DevServer;
let client: FasEdgeClient;
/** Stored keys with the liveness scope only and the metrics scope only, made with `npm run keys -- create` before wrangler dev starts. */
let livenessKey: string;
let metricsKey: string;
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
      metricsKey = await createLocalKey(persistTo, "e2e metrics only", ["metrics"]);
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
function cropAround([x, y, w, h]: readonly number[], scale: number, frame: FrameSize = FRAME): { x: number; y: number; side: number } {
  const side = Math.max(1, Math.min(Math.floor(Math.max(w ?? 0, h ?? 0) * scale + 0.5), frame.width, frame.height));
  const cx = (x ?? 0) + (w ?? 0) / 2;
  const cy = (y ?? 0) + (h ?? 0) / 2;
  return {
    x: Math.min(Math.max(Math.floor(cx - side / 2 + 0.5), 0), frame.width - side),
    y: Math.min(Math.max(Math.floor(cy - side / 2 + 0.5), 0), frame.height - side),
    side,
  };
}

/**
 * Records the `meta` field of every multipart body the page hands to fetch (chromium does not
 * report the body of a request with a file in it); fetch itself is called unchanged.
 */
async function recordSentMeta(page: Page): Promise<() => Promise<{ box?: number[]; nonce?: string }[]>> {
  await page.addInitScript(() => {
    const sent: string[] = [];
    (window as unknown as { sentMeta: string[] }).sentMeta = sent;
    const send = window.fetch.bind(window);
    window.fetch = (input, init) => {
      const meta = init?.body instanceof FormData ? init.body.get("meta") : null;
      if (typeof meta === "string") sent.push(meta);
      return send(input, init);
    };
  });
  return async () => (await page.evaluate(() => (window as unknown as { sentMeta: string[] }).sentMeta)).map((m) => JSON.parse(m) as { box?: number[]; nonce?: string });
}

const isPost = (path: string) => (r: Request) => r.method() === "POST" && new URL(r.url()).pathname === path;

/** The camera preview's frame size. */
const videoSize = (page: Page) =>
  page.evaluate(() => {
    const video = document.getElementById("preview") as HTMLVideoElement;
    return [video.videoWidth, video.videoHeight];
  });

/** Starts the page's camera and waits until a check can be made. */
async function startCamera(page: Page): Promise<void> {
  await page.getByRole("button", { name: "Start camera" }).click();
  await page.waitForFunction(() => !(document.getElementById("check-button") as HTMLButtonElement).disabled);
}

/** What of a result the demo page shows: visible facts and timing rows, the thumbnail, and whether `texts` appear anywhere visible. */
async function visibleResult(page: Page, texts: readonly string[] = []): Promise<{ facts: number; timings: number; thumbnail: boolean; texts: string[] }> {
  const shown: string[] = [];
  for (const text of texts) if ((await page.getByText(text).filter({ visible: true }).count()) > 0) shown.push(text);
  return {
    facts: await page.locator("#facts dd").filter({ visible: true }).count(),
    timings: await page.locator("#timings-body tr").filter({ visible: true }).count(),
    thumbnail: await page.locator("#seen").isVisible(),
    texts: shown,
  };
}

/** An 8x8 PNG, too small for the service (422). */
async function tinyPng(): Promise<string> {
  const path = join(work, "tiny.png");
  const { encode } = await import("fast-png");
  writeFileSync(path, encode({ width: 8, height: 8, data: new Uint8Array(8 * 8 * 3).fill(200), channels: 3, depth: 8 }));
  return path;
}

/** A promise and the function that settles it: holds a routed request until the test lets it go. */
function gate(): { held: Promise<void>; release: () => void } {
  let release = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  return { held, release };
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
/** The dashboard, loaded, with automatic refresh off: it then asks for figures only when told to. */
async function manualDashboard(browser: Browser, base: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  await page.goto(`${base}/dashboard`);
  await page.waitForFunction(() => document.body.dataset.loaded === "true");
  await page.getByLabel("Refresh automatically").uncheck();
  return page;
}

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

  it("hides the last result while the next check runs and after it fails", async () => {
    const chosen = mostConfident(scored, "bonafide");
    if (!chosen) throw new Error(`no bona fide candidate decided live:\n${summary(scored)}`);
    const video = join(work, "bonafide-then-refused.y4m");
    writeY4m(video, chosen);
    const tiny = await tinyPng();
    const chromium = await launchChromium({ fakeCamera: video });
    try {
      const page = await chromium.browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(`${dev.base}/`);
      await startCamera(page);
      const [answered] = await Promise.all([page.waitForResponse((r) => isPost("/v1/liveness")(r.request())), page.getByRole("button", { name: "Check liveness" }).click()]);
      const first = (await answered.json()) as LivenessResponse;
      count(first.decision);
      const shown = await shownResult(page, { decided: true });
      expect(shown.request).toBe(first.requestId);
      const session = shown.session.split(" ")[0] ?? "";
      expect(await visibleResult(page, [first.requestId, session])).toEqual({ facts: 7, timings: 4, thumbnail: true, texts: [first.requestId, session] });

      // the next check (a photo the service refuses) waits at its session request: "Checking…", and nothing of the last check
      const { held, release } = gate();
      await page.route("**/v1/sessions", async (route) => {
        await held;
        await route.continue();
      });
      await Promise.all([page.waitForRequest(isPost("/v1/sessions")), page.getByLabel("No camera? Upload a photo").setInputFiles(tiny)]);
      expect(await page.locator("#result").getAttribute("data-decision")).toBe("pending");
      expect(await page.locator("#decision-badge").textContent()).toBe("Checking…");
      expect(await visibleResult(page, [first.requestId, session])).toEqual({ facts: 0, timings: 0, thumbnail: false, texts: [] });

      const [refused] = await Promise.all([page.waitForResponse((r) => isPost("/v1/liveness")(r.request())), release()]);
      expect(refused.status()).toBe(422);
      tally.requests += 1;
      tally.rejected += 1;
      const failed = await shownResult(page);
      expect(failed.decision).toBe("error");
      expect(failed.badge).toBe("No result");
      expect(await page.getByRole("alert").textContent()).toMatch(/Image too small.*\(HTTP 422\)/);
      expect(await visibleResult(page, [first.requestId, session])).toEqual({ facts: 0, timings: 0, thumbnail: false, texts: [] });
      await page.screenshot({ path: join(ARTEFACTS, "demo-refused-after-result.png"), fullPage: true });
    } finally {
      await chromium.close();
    }
  });
});

describe("demo page camera", () => {
  it("releases the camera when starting it fails after access was granted, and stops when the camera goes away", async () => {
    const chosen = mostConfident(scored, "bonafide") ?? scored[0];
    if (!chosen) throw new Error("no candidates");
    const video = join(work, "camera-lifecycle.y4m");
    writeY4m(video, chosen);
    const chromium = await launchChromium({ fakeCamera: video, cameraPermission: "context" });
    try {
      const context = await chromium.browser.newContext({ viewport: { width: 1280, height: 900 } });
      await context.grantPermissions(["camera"], { origin: dev.base });
      const page = await context.newPage();
      await page.addInitScript(() => {
        // every stream the page opens, to see whether it is released
        const opened: MediaStream[] = [];
        (window as unknown as { openedStreams: MediaStream[] }).openedStreams = opened;
        const devices = navigator.mediaDevices;
        const getUserMedia = devices.getUserMedia.bind(devices);
        devices.getUserMedia = async (constraints) => {
          const stream = await getUserMedia(constraints);
          opened.push(stream);
          return stream;
        };
        // the first playback start fails, as it does when the browser interrupts it
        const play = HTMLMediaElement.prototype.play;
        let failed = false;
        HTMLMediaElement.prototype.play = function (this: HTMLMediaElement) {
          if (failed) return play.call(this);
          failed = true;
          return Promise.reject(new DOMException("The play() request was interrupted.", "AbortError"));
        };
      });
      const tracks = () =>
        page.evaluate(() => (window as unknown as { openedStreams: MediaStream[] }).openedStreams.map((s) => s.getTracks().map((t) => t.readyState)));
      await page.goto(`${dev.base}/`);
      await page.getByRole("button", { name: "Start camera" }).click();
      await page.getByRole("alert").filter({ hasText: "The camera could not be started" }).waitFor();
      expect(await tracks()).toEqual([["ended"]]);
      expect(await page.locator("#stage").getAttribute("data-state")).toBe("unavailable");

      // a second try opens one camera, the only one running
      await startCamera(page);
      expect(await tracks()).toEqual([["ended"], ["live"]]);
      expect(await page.getByRole("alert").isHidden()).toBe(true);

      // the camera goes away (here: its permission is taken back, which ends the track)
      await context.clearPermissions();
      await page.getByRole("button", { name: "Start camera" }).waitFor();
      expect(await tracks()).toEqual([["ended"], ["ended"]]);
      expect(await page.locator("#stage").getAttribute("data-state")).toBe("idle");
      expect(await page.getByRole("button", { name: "Check liveness" }).isDisabled()).toBe(true);
      expect(await page.getByRole("alert").textContent()).toMatch(/camera stopped/i);
      expect(await page.evaluate(() => (document.getElementById("preview") as HTMLVideoElement).srcObject)).toBeNull();
    } finally {
      await chromium.close();
    }
  });

  it("on a portrait camera (480x640), sends an oval box whose crop fits the frame, so the face fills the crop as in training", async () => {
    expect(CROP_SCALE).toBe(cropScale);
    const portrait: FrameSize = { width: 480, height: 640 };
    const dir = join(work, "portrait");
    mkdirSync(dir, { recursive: true });
    const candidates = await scoreCandidates(client, await makeCandidates(dir, cropScale, portrait, { attacksPerInstrument: 0 }));
    for (const c of candidates) count(c.answer.decision);
    const chosen = mostConfident(candidates, "bonafide");
    expect(chosen, `no portrait bona fide candidate decided live:\n${summary(candidates)}`).toBeDefined();
    if (!chosen) return;
    const video = join(dir, "bonafide.y4m");
    writeY4m(video, chosen);

    const chromium = await launchChromium({ fakeCamera: video });
    try {
      const page = await chromium.browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
      // A phone held upright answers the page's 640x480 request with portrait frames; desktop
      // chromium would crop the fake camera's portrait frames to the requested shape, so it is
      // asked for the device's own frame size here.
      await page.addInitScript(() => {
        const devices = navigator.mediaDevices;
        const getUserMedia = devices.getUserMedia.bind(devices);
        devices.getUserMedia = (constraints) =>
          getUserMedia(typeof constraints?.video === "object" ? { ...constraints, video: { ...constraints.video, resizeMode: "none" } as MediaTrackConstraints } : constraints);
      });
      const sentMeta = await recordSentMeta(page);
      await page.goto(`${dev.base}/`);
      await startCamera(page);
      expect(await videoSize(page)).toEqual([portrait.width, portrait.height]);

      const [answered] = await Promise.all([
        page.waitForResponse((r) => isPost("/v1/liveness")(r.request())),
        page.getByRole("button", { name: "Check liveness" }).click(),
      ]);
      const response = (await answered.json()) as LivenessResponse;
      count(response.decision);
      const sent = await sentMeta();
      expect(sent).toHaveLength(1);
      const box = sent[0]?.box ?? [];
      expect(box).toHaveLength(4);
      const [x = 0, y = 0, w = 0, h = 0] = box;
      expect(x >= 0 && y >= 0 && x + w <= portrait.width && y + h <= portrait.height).toBe(true);
      // the square the service crops around the box fits the frame: nothing clamps it
      expect(cropScale * Math.max(w, h)).toBeLessThanOrEqual(Math.min(portrait.width, portrait.height));
      expect(response.crop.side).toBe(Math.floor(Math.max(w, h) * cropScale + 0.5));
      expect(response.crop).toEqual(cropAround(box, cropScale, portrait));
      // the oval on screen is the box sent
      const ring = await page.locator("#guide ellipse").evaluate((e) => ["rx", "ry"].map((a) => Number(e.getAttribute(a))));
      expect(ring).toEqual([w / 2, h / 2]);
      const shown = await shownResult(page, { decided: true });
      await page.screenshot({ path: join(ARTEFACTS, "demo-portrait.png"), fullPage: true });
      expect(shown.decision).toBe("live");
      expect(shown.request).toBe(response.requestId);
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
    const tiny = await tinyPng();
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

  it("checks the same photo again when it is chosen again, and opens no session for a file it cannot use", async () => {
    const photo = scored.find((c) => c.label === "bonafide") ?? scored[0];
    if (!photo) throw new Error("no candidates");
    const chromium = await launchChromium();
    try {
      const page = await chromium.browser.newPage({ viewport: { width: 1280, height: 900 } });
      const sent: string[] = [];
      page.on("request", (r) => {
        if (r.url().includes("/v1/")) sent.push(`${r.method()} ${new URL(r.url()).pathname}`);
      });
      await page.goto(`${dev.base}/`);
      const upload = page.getByLabel("No camera? Upload a photo");
      const requestIds: string[] = [];
      for (let i = 0; i < 2; i++) {
        const [answered] = await Promise.all([page.waitForResponse((r) => isPost("/v1/liveness")(r.request())), upload.setInputFiles(photo.png)]);
        const response = (await answered.json()) as LivenessResponse;
        count(response.decision);
        await page.waitForFunction((id) => document.querySelector('[data-field="request"]')?.textContent === id, response.requestId);
        requestIds.push(response.requestId);
      }
      expect(new Set(requestIds).size).toBe(2);
      expect(sent).toEqual(["POST /v1/sessions", "POST /v1/liveness", "POST /v1/sessions", "POST /v1/liveness"]);

      // a GIF and a file that is not an image: refused by the page, with nothing sent
      const gif = Buffer.from("R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==", "base64");
      await upload.setInputFiles({ name: "face.gif", mimeType: "image/gif", buffer: gif });
      await page.getByRole("alert").filter({ hasText: "Choose a JPEG or PNG image." }).waitFor();
      expect(await page.locator("#result").getAttribute("data-decision")).toBe("error");
      await upload.setInputFiles({ name: "face.png", mimeType: "image/png", buffer: Buffer.from("this is not a PNG file") });
      await page.getByRole("alert").filter({ hasText: "could not be read" }).waitFor();
      expect(await page.locator("#result").getAttribute("data-decision")).toBe("error");
      expect(await visibleResult(page, requestIds)).toEqual({ facts: 0, timings: 0, thumbnail: false, texts: [] });
      expect(sent).toHaveLength(4);
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
      const storedKey = (scope: "liveness" | "metrics") => page.evaluate((entry) => localStorage.getItem(entry), storedKeyEntry(scope));
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
      expect(await storedKey("liveness")).toBeNull();
      await page.screenshot({ path: join(ARTEFACTS, "demo-wrong-key.png"), fullPage: true });

      // a key that works: entering it runs the interrupted check again, and the browser keeps it
      await field.fill(livenessKey);
      const [answered] = await Promise.all([page.waitForResponse((r) => r.url().endsWith("/v1/liveness")), field.press("Enter")]);
      expect(answered.status()).toBe(200);
      expect(answered.request().headers()["authorization"]).toBe(`Bearer ${livenessKey}`);
      const shown = await shownResult(page, { decided: true });
      count(shown.decision as Decision);
      expect(shown.request).toBe(((await answered.json()) as LivenessResponse).requestId);
      expect(await storedKey("liveness")).toBe(livenessKey);
      expect(await panel.isHidden()).toBe(true);

      // the dashboard keeps a key of its own: it does not try the demo's, and asks for one with the metrics scope
      const swaps: string[] = [];
      page.on("request", (r) => {
        if (new URL(r.url()).pathname === "/v1/swap") swaps.push(r.headers()["authorization"] ?? "");
      });
      await page.goto(`${origin}/dashboard`);
      await panel.waitFor();
      expect(await page.locator("#key-message").textContent()).toContain("“metrics” scope");
      expect(swaps).toEqual([]);

      // the liveness key entered there lacks the metrics scope: 403, the field again, nothing kept for the dashboard
      await field.fill(livenessKey);
      const [swap] = await Promise.all([page.waitForResponse((r) => r.url().includes("/v1/swap")), field.press("Enter")]);
      expect(swap.status()).toBe(403);
      await page.getByRole("status").filter({ hasText: "HTTP 403" }).waitFor();
      expect(await page.getByRole("status").textContent()).toMatch(/Scope not granted: this route needs the "metrics" scope.*\(HTTP 403\)/);
      expect(await page.locator("#key-panel").getAttribute("data-problem")).toBe("missing-scope");
      expect(await page.locator("#key-message").textContent()).toMatch(/Enter a key with the “metrics” scope\.$/);
      expect(await storedKey("metrics")).toBeNull();
      expect(await storedKey("liveness")).toBe(livenessKey);
      await page.screenshot({ path: join(ARTEFACTS, "dashboard-missing-scope.png"), fullPage: true });

      // a metrics key: the figures load, and the browser keeps it for the dashboard beside the demo's key
      await field.fill(metricsKey);
      const [loaded] = await Promise.all([page.waitForResponse((r) => r.url().includes("/v1/swap")), field.press("Enter")]);
      expect(loaded.status()).toBe(200);
      expect(loaded.request().headers()["authorization"]).toBe(`Bearer ${metricsKey}`);
      await page.waitForFunction(() => document.body.dataset.loaded === "true");
      expect(await panel.isHidden()).toBe(true);
      expect(await storedKey("metrics")).toBe(metricsKey);
      expect(await storedKey("liveness")).toBe(livenessKey);

      // back on the demo its own stored key is used without asking
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
      expect(limited.request().headers()["authorization"]).toBe(`Bearer ${livenessKey}`);
      const retryAfter = Number(limited.headers()["retry-after"]);
      expect(retryAfter).toBeGreaterThan(0);
      expect((await shownResult(page)).decision).toBe("error");
      expect(await page.getByRole("alert").textContent()).toMatch(new RegExp(`^Too many requests: .*\\(HTTP 429\\)\\. Try again in ${retryAfter} s \\(at \\d\\d:\\d\\d:\\d\\d\\)\\.$`));
      expect(await page.locator("#key-panel").isHidden()).toBe(true);
      expect(await storedKey("liveness")).toBe(livenessKey);
      await page.screenshot({ path: join(ARTEFACTS, "demo-rate-limited.png"), fullPage: true });
      expect(logged.filter((line) => line.includes(livenessKey) || line.includes(metricsKey) || line.includes(wrongKey))).toEqual([]);
    } finally {
      await chromium.close();
    }
  });

  it("uses a key kept by earlier versions of the pages (one entry for both), and keeps it for the page it works on", async () => {
    const origin = `http://${PUBLIC_HOST}:${dev.port}`;
    const chromium = await launchChromium({ hostAliases: [PUBLIC_HOST] });
    try {
      const page = await chromium.browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(`${origin}/dashboard`);
      await page.evaluate(([entry, key]) => localStorage.setItem(entry, key), [LEGACY_KEY_ENTRY, metricsKey] as const);
      const [swap] = await Promise.all([page.waitForResponse((r) => r.url().includes("/v1/swap")), page.reload()]);
      expect(swap.status()).toBe(200);
      expect(swap.request().headers()["authorization"]).toBe(`Bearer ${metricsKey}`);
      await page.waitForFunction(() => document.body.dataset.loaded === "true");
      expect(await page.locator("#key-panel").isHidden()).toBe(true);
      expect(await page.evaluate((entry) => localStorage.getItem(entry), storedKeyEntry("metrics"))).toBe(metricsKey);
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
      expect(await page.locator("#updated").textContent()).toMatch(/^Updated /);
      await page.screenshot({ path: join(ARTEFACTS, "dashboard.png"), fullPage: true });
      await page.setViewportSize({ width: 390, height: 844 });
      await page.screenshot({ path: join(ARTEFACTS, "dashboard-phone.png"), fullPage: true });
    } finally {
      await chromium.close();
    }
  });

  it("announces changes of state, not every refresh", async () => {
    const region = scored[0]?.answer.region;
    if (!region) throw new Error("no requests were scored");
    const chromium = await launchChromium();
    try {
      const page = await manualDashboard(chromium.browser, dev.base);
      // every change inside the page's live regions, from here on
      await page.evaluate(() => {
        const changes: string[] = [];
        (window as unknown as { liveChanges: string[] }).liveChanges = changes;
        const observer = new MutationObserver((records) => {
          for (const r of records) changes.push((r.target instanceof Element ? r.target : r.target.parentElement)?.closest("[aria-live], [role]")?.textContent ?? "");
        });
        for (const live of document.querySelectorAll('[aria-live], [role="status"], [role="alert"], [role="log"]')) {
          observer.observe(live, { childList: true, characterData: true, subtree: true });
        }
      });
      const liveChanges = () => page.evaluate(() => (window as unknown as { liveChanges: string[] }).liveChanges);
      const refresh = page.getByRole("button", { name: "Refresh now" });
      for (let i = 0; i < 3; i++) {
        const [answered] = await Promise.all([page.waitForResponse((r) => new URL(r.url()).pathname === "/v1/swap"), refresh.click()]);
        expect(answered.status()).toBe(200);
        await page.waitForFunction(() => !(document.getElementById("refresh-button") as HTMLButtonElement).disabled);
      }
      expect(await liveChanges()).toEqual([]);
      expect(await page.locator("#updated").textContent()).toMatch(/^Updated \d\d:\d\d:\d\d · \d+ requests in 1 region$/);

      // another region is a change of state, said once
      await Promise.all([page.waitForResponse((r) => new URL(r.url()).searchParams.get("region") === region), page.locator("#region-select").selectOption(region)]);
      await expect.poll(liveChanges).not.toEqual([]);
      expect(await page.getByRole("status").textContent()).toContain(region);
    } finally {
      await chromium.close();
    }
  });

  it("runs a region change made while a refresh is under way, drops the answer for the old choice, and names the region shown", async () => {
    const region = scored[0]?.answer.region;
    if (!region) throw new Error("no requests were scored");
    const chromium = await launchChromium();
    try {
      const page = await manualDashboard(chromium.browser, dev.base);
      await page.locator(`#region-select option[value="${region}"]`).waitFor({ state: "attached" });
      const heading = page.locator("#totals-title");
      expect(await heading.textContent()).toBe("All regions");
      // every figure the page renders from here on, by the heading it gets
      await page.evaluate(() => {
        const shown: string[] = [];
        (window as unknown as { headings: string[] }).headings = shown;
        const title = document.getElementById("totals-title");
        new MutationObserver(() => shown.push(title?.textContent ?? "")).observe(document.getElementById("cards") as HTMLElement, { childList: true });
      });
      const asked: string[] = [];
      page.on("request", (r) => {
        const url = new URL(r.url());
        if (url.pathname === "/v1/swap") asked.push(url.searchParams.get("region") ?? "");
      });

      // the all-regions answer is held until the region has been changed
      const { held, release } = gate();
      await page.route(
        (url) => url.pathname === "/v1/swap" && !url.searchParams.has("region"),
        async (route) => {
          await held;
          await route.continue();
        },
      );
      await Promise.all([page.waitForRequest((r) => new URL(r.url()).pathname === "/v1/swap"), page.getByRole("button", { name: "Refresh now" }).click()]);
      await page.locator("#region-select").selectOption(region);
      const [answered] = await Promise.all([page.waitForResponse((r) => new URL(r.url()).searchParams.get("region") === region), release()]);
      expect(answered.status()).toBe(200);
      await expect.poll(() => heading.textContent()).toBe(`Region ${region}`);
      expect(asked).toEqual(["", region]);
      expect(await page.evaluate(() => (window as unknown as { headings: string[] }).headings)).toEqual([`Region ${region}`]);
      expect(await page.locator("tr[data-region]").evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.region))).toEqual([region]);

      // and back to all regions
      await Promise.all([page.waitForResponse((r) => new URL(r.url()).pathname === "/v1/swap"), page.locator("#region-select").selectOption("")]);
      await expect.poll(() => heading.textContent()).toBe("All regions");
    } finally {
      await chromium.close();
    }
  });
});
