import type { SwapFigures, SwapRegion, SwapResponse } from "../../client/index";
import { PageAccess, describeError, retryAt, retryText } from "./access.mjs";

/** 12 requests a minute, well inside the deployed per-client limit of 60. */
const REFRESH_MS = 5000;
// the page polls anyway: no retries, so a refusal or a 429 is shown as it came
const access = new PageAccess({ client: { baseUrl: "", timeoutMs: 10_000, retries: 0 }, scope: "metrics", onEntered: () => void refresh() });

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} missing`);
  return el as T;
};

/** The live status line (announced: only changes of state are written there) and when the figures were last updated (not announced). */
const status = $<HTMLParagraphElement>("status");
const updated = $<HTMLParagraphElement>("updated");
const totalsTitle = $<HTMLHeadingElement>("totals-title");
const refreshButton = $<HTMLButtonElement>("refresh-button");
const autoRefresh = $<HTMLInputElement>("auto-refresh");
const regionSelect = $<HTMLSelectElement>("region-select");
const cards = $<HTMLDivElement>("cards");
const tableBody = $<HTMLTableSectionElement>("regions-body");
const charts = {
  decisions: $<HTMLDivElement>("chart-decisions"),
  latency: $<HTMLDivElement>("chart-latency"),
  rates: $<HTMLDivElement>("chart-rates"),
  energy: $<HTMLDivElement>("chart-energy"),
};
const notes = $<HTMLDListElement>("notes");

let timer: ReturnType<typeof setTimeout> | undefined;
let inFlight = false;
/** A refresh was asked for (say, another region chosen) while one was under way: run it once that one ends. */
let pending = false;
/** Until when the service asked to wait (429), milliseconds since the epoch. */
let rateLimitedUntil = 0;
/** The service refused the key: no polling until another key is entered. */
let keyRefused = false;

const pct = (v: number | null) => (v === null ? "–" : `${(v * 100).toFixed(1)} %`);
const ms = (v: number | null) => (v === null ? "–" : `${v.toFixed(1)}`);
const mj = (v: number | null) => (v === null ? "–" : v < 0.01 ? v.toExponential(2) : v.toFixed(3));
const int = (v: number) => v.toLocaleString("en");

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...children: (Node | string)[]) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

function card(label: string, value: string, detail: string, key: string): HTMLElement {
  const c = el("div", { className: "card" }, el("p", { className: "card-label" }, label), el("p", { className: "card-value" }, value), el("p", { className: "card-detail" }, detail));
  c.dataset.card = key;
  return c;
}

function renderCards(t: SwapFigures): void {
  cards.replaceChildren(
    card("Frames and refusals", int(t.requests), `${int(t.scored)} scored · ${int(t.rejected)} rejected · ${int(t.failed)} failed`, "requests"),
    card("Decisions", `${int(t.decisions.live)} / ${int(t.decisions.spoof)} / ${int(t.decisions.uncertain)}`, "live / spoof / uncertain", "decisions"),
    card("Latency p50 / p95", `${ms(t.latencyMs.p50)} / ${ms(t.latencyMs.p95)} ms`, `student p50 ${ms(t.studentMs.p50)} ms`, "latency"),
    card("Teacher fallback", pct(t.fallbackRate), `${int(t.fallback.asked)} asked · ${int(t.teacherFailures)} unanswered`, "fallback"),
    card("Student–teacher agreement", pct(t.agreement.rate), `${int(t.agreement.agreed)} of ${int(t.agreement.sampled)} shadow samples`, "agreement"),
    card("Energy per request", `${mj(t.energyMjPerRequest)} mJ`, "analytical estimate", "energy"),
  );
}

const COLUMNS: [string, (r: SwapRegion) => string][] = [
  ["requests", (r) => int(r.requests)],
  ["live", (r) => int(r.decisions.live)],
  ["spoof", (r) => int(r.decisions.spoof)],
  ["uncertain", (r) => int(r.decisions.uncertain)],
  ["rejected", (r) => int(r.rejected + r.failed)],
  ["by-teacher", (r) => int(r.decidedBy.teacher)],
  ["fallback", (r) => pct(r.fallbackRate)],
  ["agreement", (r) => pct(r.agreement.rate)],
  ["p50", (r) => ms(r.latencyMs.p50)],
  ["p95", (r) => ms(r.latencyMs.p95)],
  ["student-p50", (r) => ms(r.studentMs.p50)],
  ["energy", (r) => mj(r.energyMjPerRequest)],
  ["updated", (r) => (r.lastUpdated ? new Date(r.lastUpdated).toLocaleTimeString("en-GB") : "–")],
];

function renderTable(regions: readonly SwapRegion[]): void {
  if (regions.length === 0) {
    const td = el("td", { colSpan: COLUMNS.length + 1, className: "empty" }, "No requests recorded yet. Run a check on the demo page.");
    tableBody.replaceChildren(el("tr", {}, td));
    return;
  }
  tableBody.replaceChildren(
    ...regions.map((r) => {
      const tr = el("tr", {}, el("th", { scope: "row" }, r.region));
      tr.dataset.region = r.region;
      for (const [key, value] of COLUMNS) {
        const td = el("td", {}, value(r));
        td.dataset.col = key;
        tr.append(td);
      }
      return tr;
    }),
  );
}

const SVG = "http://www.w3.org/2000/svg";
function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, ...children: (Node | string)[]) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  node.append(...children);
  return node;
}

interface Series {
  readonly name: string;
  readonly cls: string;
  readonly value: (r: SwapRegion) => number | null;
}

/**
 * Horizontal bars, one group per region: stacked (parts of a whole) or grouped (side by side).
 * The table below carries the same numbers for screen readers; the chart has a text summary.
 */
function barChart(target: HTMLElement, regions: readonly SwapRegion[], series: readonly Series[], options: { stacked: boolean; max?: number; unit: string; format: (v: number) => string }): void {
  const rowH = options.stacked ? 26 : 14 * series.length + 12;
  const labelW = 64;
  const width = 360;
  const plotW = width - labelW - 70;
  const height = Math.max(1, regions.length) * rowH + 28;
  const totals = regions.map((r) => (options.stacked ? series.reduce((s, x) => s + (x.value(r) ?? 0), 0) : Math.max(0, ...series.map((x) => x.value(r) ?? 0))));
  const max = options.max ?? Math.max(1e-9, ...totals);
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", class: "chart-svg" });
  const summaryText = regions
    .map((r) => `${r.region}: ${series.map((s) => `${s.name} ${s.value(r) === null ? "none" : options.format(s.value(r) ?? 0)}`).join(", ")}`)
    .join("; ");
  root.setAttribute("aria-label", summaryText || "no data yet");
  regions.forEach((r, i) => {
    const y0 = 4 + i * rowH;
    root.append(svg("text", { x: labelW - 8, y: y0 + rowH / 2, class: "chart-label", "text-anchor": "end", "dominant-baseline": "middle" }, r.region));
    let x = labelW;
    series.forEach((s, j) => {
      const v = s.value(r);
      const w = v === null ? 0 : (plotW * v) / max;
      const y = options.stacked ? y0 + 3 : y0 + 4 + j * 14;
      const h = options.stacked ? rowH - 6 : 12;
      const bar = svg("rect", { x: options.stacked ? x : labelW, y, width: Math.max(0, w), height: h, rx: 2, class: `bar-${s.cls}` }, svg("title", {}, `${r.region} ${s.name}: ${v === null ? "none" : options.format(v)}`));
      root.append(bar);
      if (!options.stacked) root.append(svg("text", { x: labelW + w + 6, y: y + h / 2, class: "chart-value", "dominant-baseline": "middle" }, v === null ? "–" : options.format(v)));
      if (options.stacked) x += w;
    });
    if (options.stacked) root.append(svg("text", { x: x + 6, y: y0 + rowH / 2, class: "chart-value", "dominant-baseline": "middle" }, options.format(totals[i] ?? 0)));
  });
  root.append(svg("line", { x1: labelW, x2: labelW, y1: 0, y2: height - 24, class: "chart-axis" }));
  root.append(svg("text", { x: labelW, y: height - 6, class: "chart-tick" }, "0"));
  root.append(svg("text", { x: labelW + plotW, y: height - 6, class: "chart-tick", "text-anchor": "end" }, `${options.format(max)}${options.unit ? ` ${options.unit}` : ""}`));
  const legend = el("ul", { className: "legend" }, ...series.map((s) => el("li", {}, el("span", { className: `swatch bar-${s.cls}` }), s.name)));
  target.replaceChildren(regions.length ? root : el("p", { className: "empty" }, "No data yet"), legend);
}

function renderCharts(regions: readonly SwapRegion[]): void {
  barChart(charts.decisions, regions, [
    { name: "live", cls: "live", value: (r) => r.decisions.live },
    { name: "spoof", cls: "spoof", value: (r) => r.decisions.spoof },
    { name: "uncertain", cls: "uncertain", value: (r) => r.decisions.uncertain },
    { name: "refused", cls: "refused", value: (r) => r.rejected + r.failed },
  ], { stacked: true, unit: "", format: (v) => int(Math.round(v)) });
  barChart(charts.latency, regions, [
    { name: "p50", cls: "p50", value: (r) => r.latencyMs.p50 },
    { name: "p95", cls: "p95", value: (r) => r.latencyMs.p95 },
    { name: "student p50", cls: "student", value: (r) => r.studentMs.p50 },
  ], { stacked: false, unit: "ms", format: (v) => v.toFixed(1) });
  barChart(charts.rates, regions, [
    { name: "teacher fallback", cls: "fallback", value: (r) => r.fallbackRate },
    { name: "agreement", cls: "agreement", value: (r) => r.agreement.rate },
  ], { stacked: false, max: 1, unit: "", format: (v) => `${Math.round(v * 100)} %` });
  barChart(charts.energy, regions, [{ name: "energy per request", cls: "energy", value: (r) => r.energyMjPerRequest }], {
    stacked: false,
    unit: "mJ",
    format: (v) => mj(v),
  });
}

function renderNotes(swap: SwapResponse): void {
  const rows: [string, string][] = [
    ["Speed", swap.speedNote],
    ["Latency quantiles", swap.latencyHistogram],
    ["Energy model", `${swap.energyModel.source}: fp32 ${swap.energyModel.pjPerMac.fp32} pJ/MAC, int8 ${swap.energyModel.pjPerMac.int8} pJ/MAC, ${swap.energyModel.pjPerDramByte} pJ per DRAM byte. ${swap.energyModel.note}`],
    ["Models", swap.totals.models.join(", ") || "–"],
    ["Sources", `${swap.sources.isolates} isolate rollups merged${swap.sources.unreadable ? ` (${swap.sources.unreadable} unreadable or beyond the read cap: figures are partial)` : ""}`],
  ];
  notes.replaceChildren(...rows.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
}

function syncRegions(swap: SwapResponse): void {
  if (swap.region !== null) return;
  const known = new Set([...regionSelect.options].map((o) => o.value));
  for (const r of swap.regions) if (!known.has(r.region)) regionSelect.append(el("option", { value: r.region }, r.region));
}

/** Sets the status line; its text is rewritten only when it changes, so a screen reader hears changes of state, not every refresh. */
function setStatus(state: "ok" | "error", text: string): void {
  status.dataset.state = state;
  if (status.textContent !== text) status.textContent = text;
}

function showProblem(text: string): void {
  setStatus("error", text);
}

async function refresh(): Promise<void> {
  if (inFlight) {
    pending = true;
    return;
  }
  const client = access.client;
  if (!client) {
    showProblem("Enter an API key with the “metrics” scope to load the figures.");
    return;
  }
  const now = Date.now();
  if (now < rateLimitedUntil) {
    showProblem(`The service asked for a pause. ${retryText(rateLimitedUntil, now)}`);
    schedule();
    return;
  }
  inFlight = true;
  keyRefused = false;
  refreshButton.disabled = true;
  try {
    const region = regionSelect.value || undefined;
    const swap = await client.swap(region ? { region } : {});
    access.succeeded();
    // another region was chosen meanwhile: that refresh is pending, this answer is not shown
    if ((regionSelect.value || undefined) !== region) return;
    totalsTitle.textContent = swap.region === null ? "All regions" : `Region ${swap.region}`;
    renderCards(swap.totals);
    renderTable(swap.regions);
    renderCharts(swap.regions);
    renderNotes(swap);
    syncRegions(swap);
    setStatus("ok", swap.region === null ? "Showing all regions" : `Showing region ${swap.region}`);
    updated.textContent = `Updated ${new Date(swap.generatedAt).toLocaleTimeString("en-GB")} · ${int(swap.totals.requests)} requests in ${swap.regions.length} ${swap.regions.length === 1 ? "region" : "regions"}`;
    document.body.dataset.loaded = "true";
  } catch (error) {
    showProblem(`Could not load /v1/swap: ${describeError(error)}`);
    keyRefused = access.refused(error);
    rateLimitedUntil = Math.max(rateLimitedUntil, retryAt(error) ?? 0);
  } finally {
    inFlight = false;
    refreshButton.disabled = false;
    const again = pending && !keyRefused;
    pending = false;
    if (again) void refresh();
    else schedule();
  }
}

/** The next automatic refresh: every REFRESH_MS while the page is visible, later after a 429, none while the key is refused. */
function schedule(): void {
  if (timer !== undefined) clearTimeout(timer);
  const delay = Math.max(REFRESH_MS, rateLimitedUntil - Date.now());
  timer = autoRefresh.checked && document.visibilityState === "visible" && !keyRefused && access.client ? setTimeout(() => void refresh(), delay) : undefined;
}

refreshButton.addEventListener("click", () => void refresh());
autoRefresh.addEventListener("change", schedule);
regionSelect.addEventListener("change", () => void refresh());
document.addEventListener("visibilitychange", () => (document.visibilityState === "visible" && !keyRefused ? void refresh() : schedule()));
void refresh();
