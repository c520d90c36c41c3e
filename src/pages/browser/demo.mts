import type { FasEdgeSession, LivenessResponse } from "../../client/index";
import { faceGuide } from "../face-guide";
import { PageAccess, describeError, retryAt, retryText } from "./access.mjs";

/**
 * Shortest time between the starts of two checks. A check is two requests (POST /v1/sessions,
 * then POST /v1/liveness), so this keeps a page under 60 requests a minute, the deployed
 * per-client rate limit.
 */
const MIN_CHECK_INTERVAL_MS = 2000;

/** Largest side of an uploaded photo as sent (the service accepts up to about a 720p frame). */
const UPLOAD_MAX_SIDE = 1024;
const JPEG_QUALITY = 0.92;

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} missing`);
  return el as T;
};

const stage = $<HTMLDivElement>("stage");
const video = $<HTMLVideoElement>("preview");
const guide = document.getElementById("guide") as unknown as SVGSVGElement;
const hint = $<HTMLParagraphElement>("stage-hint");
const cameraButton = $<HTMLButtonElement>("camera-button");
const checkButton = $<HTMLButtonElement>("check-button");
const upload = $<HTMLInputElement>("upload-input");
const result = $<HTMLDivElement>("result");
const badge = $<HTMLSpanElement>("decision-badge");
const summary = $<HTMLParagraphElement>("decision-summary");
const details = $<HTMLDivElement>("result-details");
const facts = $<HTMLDListElement>("facts");
const timings = $<HTMLTableSectionElement>("timings-body");
const seen = $<HTMLCanvasElement>("seen");
const errorBox = $<HTMLParagraphElement>("error");

let stream: MediaStream | undefined;
let busy = false;
/** When the next check may start (pacing), and until when the service asked to wait (429). */
let nextCheckAt = 0;
let rateLimitedUntil = 0;
let checkTimer: ReturnType<typeof setTimeout> | undefined;
/** The check that the key field interrupted: run again once a key has been entered. */
let afterKey: FrameSource | undefined;

type FrameSource = () => Promise<{ canvas: HTMLCanvasElement; blob: Blob; box?: [number, number, number, number] }>;

// the service answers each check itself: no retries, so a refusal or a 429 is shown as it came
const access = new PageAccess({
  client: { baseUrl: "", timeoutMs: 30_000, retries: 0 },
  scope: "liveness",
  onEntered: () => {
    const source = afterKey;
    afterKey = undefined;
    if (source) void check(source);
  },
});

const SVG = "http://www.w3.org/2000/svg";

function drawGuide(width: number, height: number): void {
  const g = faceGuide(width, height);
  guide.setAttribute("viewBox", `0 0 ${width} ${height}`);
  guide.replaceChildren();
  const shade = document.createElementNS(SVG, "path");
  const oval = `M ${g.cx - g.rx} ${g.cy} a ${g.rx} ${g.ry} 0 1 0 ${2 * g.rx} 0 a ${g.rx} ${g.ry} 0 1 0 ${-2 * g.rx} 0 Z`;
  shade.setAttribute("d", `M 0 0 H ${width} V ${height} H 0 Z ${oval}`);
  shade.setAttribute("fill-rule", "evenodd");
  shade.setAttribute("class", "guide-shade");
  const ring = document.createElementNS(SVG, "ellipse");
  for (const [k, v] of Object.entries({ cx: g.cx, cy: g.cy, rx: g.rx, ry: g.ry })) ring.setAttribute(k, String(v));
  ring.setAttribute("class", "guide-ring");
  ring.setAttribute("vector-effect", "non-scaling-stroke");
  guide.append(shade, ring);
}

function setStage(state: "idle" | "starting" | "live" | "checking" | "unavailable", text: string): void {
  stage.dataset.state = state;
  hint.textContent = text;
}

function showError(message: string | undefined): void {
  errorBox.hidden = message === undefined;
  errorBox.textContent = message ?? "";
}

async function startCamera(): Promise<void> {
  showError(undefined);
  if (!navigator.mediaDevices?.getUserMedia) {
    setStage("unavailable", "No camera access in this browser");
    showError("This browser cannot open a camera here (it needs HTTPS). Upload a photo instead.");
    upload.focus();
    return;
  }
  setStage("starting", "Starting camera…");
  cameraButton.disabled = true;
  let opened: MediaStream | undefined;
  try {
    opened = await navigator.mediaDevices.getUserMedia({
      video: { facingMode: "user", width: { ideal: 640 }, height: { ideal: 480 } },
      audio: false,
    });
    const camera = opened;
    // the camera can go away later (unplugged, permission taken back): then the page stops it
    for (const track of camera.getVideoTracks()) {
      track.addEventListener("ended", () => {
        if (stream === camera) cameraEnded();
      }, { once: true });
    }
    video.srcObject = camera;
    await video.play();
    if (!video.videoWidth) await new Promise((resolve) => video.addEventListener("loadedmetadata", resolve, { once: true }));
    stream = camera;
    stage.style.aspectRatio = `${video.videoWidth} / ${video.videoHeight}`;
    drawGuide(video.videoWidth, video.videoHeight);
    setStage("live", "Centre your face in the oval");
    cameraButton.textContent = "Stop camera";
    updateCheckButton();
    checkButton.focus();
  } catch (error) {
    // access may have been granted before the preview failed: release the camera all the same
    for (const track of opened?.getTracks() ?? []) track.stop();
    stream = undefined;
    video.srcObject = null;
    setStage("unavailable", "Camera unavailable");
    const name = error instanceof DOMException ? error.name : "";
    showError(
      name === "NotAllowedError"
        ? "Camera permission was refused. Allow it in the browser's site settings, or upload a photo instead."
        : name === "NotFoundError"
          ? "No camera was found. Upload a photo instead."
          : `The camera could not be started (${error instanceof Error ? error.message : String(error)}). Upload a photo instead.`,
    );
  } finally {
    cameraButton.disabled = false;
  }
}

function stopCamera(): void {
  for (const track of stream?.getTracks() ?? []) track.stop();
  stream = undefined;
  video.srcObject = null;
  updateCheckButton();
  cameraButton.textContent = "Start camera";
  setStage("idle", "Camera is off");
}

/** The running camera's track ended without the page asking. */
function cameraEnded(): void {
  stopCamera();
  showError("The camera stopped (it was disconnected, or its permission was taken back). Start it again, or upload a photo.");
}

function toJpeg(canvas: HTMLCanvasElement): Promise<Blob> {
  return new Promise((resolve, reject) =>
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("the frame could not be encoded"))), "image/jpeg", JPEG_QUALITY),
  );
}

/** One camera frame as JPEG, with the oval's box in its pixels. */
async function captureFrame(): Promise<{ canvas: HTMLCanvasElement; blob: Blob; box: [number, number, number, number] }> {
  const canvas = document.createElement("canvas");
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  const ctx = canvas.getContext("2d");
  if (!ctx) throw new Error("no 2D canvas");
  ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
  return { canvas, blob: await toJpeg(canvas), box: faceGuide(canvas.width, canvas.height).box };
}

/** Enables "Check liveness" while the camera runs, no check is under way and no wait (pacing or 429) is pending. */
function updateCheckButton(): void {
  if (checkTimer !== undefined) clearTimeout(checkTimer);
  checkTimer = undefined;
  const wait = Math.max(nextCheckAt, rateLimitedUntil) - Date.now();
  checkButton.disabled = !stream || busy || wait > 0;
  if (stream && !busy && wait > 0) checkTimer = setTimeout(updateCheckButton, wait);
}

/** Hides the last check's result (facts, timings, thumbnail), so that it is never shown beside another state. */
function clearResult(): void {
  summary.textContent = "";
  details.hidden = true;
  facts.replaceChildren();
  timings.replaceChildren();
  seen.hidden = true;
  seen.removeAttribute("aria-label");
  seen.getContext("2d")?.clearRect(0, 0, seen.width, seen.height);
}

function showFailure(error: unknown): void {
  result.dataset.decision = "error";
  badge.textContent = "No result";
  badge.removeAttribute("aria-label");
  clearResult();
  showError(describeError(error));
}

/**
 * One check: a new session, then the frame (captured after the session exists) with the
 * session's single-use nonce.
 */
async function check(source: FrameSource): Promise<void> {
  if (busy) return;
  const now = Date.now();
  if (now < rateLimitedUntil) {
    showError(`The service asked for a pause. ${retryText(rateLimitedUntil, now)}`);
    return;
  }
  const client = access.client;
  if (!client) {
    afterKey = source;
    access.prompt("Enter an API key with the “liveness” scope to run the check.", { focus: true });
    return;
  }
  busy = true;
  showError(undefined);
  const previous = stage.dataset.state;
  updateCheckButton();
  result.setAttribute("aria-busy", "true");
  badge.textContent = "Checking…";
  badge.removeAttribute("aria-label");
  clearResult();
  result.dataset.decision = "pending";
  if (previous === "live") setStage("checking", "Hold still…");
  try {
    const wait = nextCheckAt - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    nextCheckAt = Date.now() + MIN_CHECK_INTERVAL_MS;
    const session = await client.startSession();
    access.succeeded();
    const { canvas, blob, box } = await source();
    const answer = await session.assess(blob, box ? { box } : {});
    showResult(answer, canvas, session);
  } catch (error) {
    showFailure(error);
    if (access.refused(error, { focus: true })) afterKey = source;
    rateLimitedUntil = Math.max(rateLimitedUntil, retryAt(error) ?? 0);
  } finally {
    busy = false;
    result.removeAttribute("aria-busy");
    if (stream) setStage("live", "Centre your face in the oval");
    updateCheckButton();
  }
}

const WORDS: Record<LivenessResponse["decision"], { label: string; text: string }> = {
  live: { label: "Live", text: "A live person is in front of the camera." },
  spoof: { label: "Spoof", text: "This looks like a presentation attack (a print, a screen or a mask)." },
  uncertain: { label: "Uncertain", text: "The check could not decide. Try again with better light, facing the camera." },
};

const fmt = (v: number, digits = 1) => v.toFixed(digits);

function showResult(answer: LivenessResponse, canvas: HTMLCanvasElement, session: FasEdgeSession): void {
  const words = WORDS[answer.decision];
  result.dataset.decision = answer.decision;
  badge.textContent = answer.decision;
  badge.setAttribute("aria-label", `Decision: ${words.label}`);
  summary.textContent = words.text;
  details.hidden = false;

  const rows: [string, string][] = [
    ["Score", `${fmt(answer.score, 3)} (live at ≥ ${fmt(answer.threshold, 3)})`],
    ["Decided by", answer.decidedBy === "teacher" ? "teacher (the student was unsure)" : "student (int8, at the edge)"],
    ["Uncertainty band", `${fmt(answer.uncertaintyBand[0], 3)} – ${fmt(answer.uncertaintyBand[1], 3)}`],
    ["Region", answer.region],
    ["Model", answer.decidedBy === "teacher" && answer.models.teacher ? answer.models.teacher : answer.models.student],
    ["Request", answer.requestId],
    ["Session", `${session.id} (its nonce is now used up)`],
  ];
  facts.replaceChildren(
    ...rows.flatMap(([k, v]) => {
      const dt = document.createElement("dt");
      dt.textContent = k;
      const dd = document.createElement("dd");
      dd.textContent = v;
      dd.dataset.field = k.toLowerCase().replace(/\s+/g, "-");
      return [dt, dd];
    }),
  );

  const stages: [string, number | undefined][] = [
    ["Decode", answer.timingsMs.decode],
    ["Preprocess", answer.timingsMs.preprocess],
    ["Student", answer.timingsMs.student],
    ["Teacher", answer.timingsMs.teacher],
    ["Total", answer.timingsMs.total],
  ];
  const longest = Math.max(1e-6, answer.timingsMs.total, ...stages.map(([, v]) => v ?? 0));
  timings.replaceChildren(
    ...stages
      .filter(([, v]) => v !== undefined)
      .map(([name, v]) => {
        const tr = document.createElement("tr");
        const th = document.createElement("th");
        th.scope = "row";
        th.textContent = name;
        const td = document.createElement("td");
        td.textContent = `${fmt(v ?? 0)} ms`;
        const barCell = document.createElement("td");
        barCell.className = "bar-cell";
        barCell.setAttribute("aria-hidden", "true");
        const bar = document.createElement("span");
        bar.className = name === "Total" ? "bar total" : "bar";
        bar.style.width = `${Math.max(1, (100 * (v ?? 0)) / longest)}%`;
        barCell.append(bar);
        tr.append(th, td, barCell);
        return tr;
      }),
  );

  const { x, y, side } = answer.crop;
  seen.width = 160;
  seen.height = 160;
  seen.getContext("2d")?.drawImage(canvas, x, y, side, side, 0, 0, 160, 160);
  seen.hidden = false;
  seen.setAttribute("aria-label", `The square the model scored: ${side} by ${side} pixels at ${x}, ${y}`);
}

async function fromUpload(file: File): Promise<{ canvas: HTMLCanvasElement; blob: Blob }> {
  if (!/^image\/(jpeg|png)$/.test(file.type)) throw new Error("Choose a JPEG or PNG image.");
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    throw new Error("This file could not be read as an image. Choose a JPEG or PNG image.");
  }
  const scale = Math.min(1, UPLOAD_MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(bitmap.width * scale));
  canvas.height = Math.max(1, Math.round(bitmap.height * scale));
  canvas.getContext("2d")?.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  return { canvas, blob: scale === 1 ? file : await toJpeg(canvas) };
}

/**
 * A check of an uploaded photo. The photo is read first, so a file that is not a usable JPEG or
 * PNG is refused here without opening a session.
 */
async function checkUpload(file: File): Promise<void> {
  if (busy) return;
  let frame: { canvas: HTMLCanvasElement; blob: Blob };
  try {
    frame = await fromUpload(file);
  } catch (error) {
    showFailure(error);
    return;
  }
  await check(async () => frame);
}

cameraButton.addEventListener("click", () => void (stream ? stopCamera() : startCamera()));
checkButton.addEventListener("click", () => void check(captureFrame));
upload.addEventListener("change", () => {
  const file = upload.files?.[0];
  // emptied, so that choosing the same file again is a change too
  upload.value = "";
  if (file) void checkUpload(file);
});
document.addEventListener("keydown", (event) => {
  if (event.key === " " && stream && event.target === document.body) {
    event.preventDefault();
    void check(captureFrame);
  }
});
drawGuide(640, 480);
if (!navigator.mediaDevices?.getUserMedia) {
  setStage("unavailable", "No camera access here: upload a photo below");
  cameraButton.disabled = true;
}
document.documentElement.dataset.ready = "true";
