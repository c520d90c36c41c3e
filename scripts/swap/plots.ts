// The report's plots as small hand-written SVG files.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { LatencyStats } from "./bench";
import type { SwapReport } from "./run";

const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];
const FONT = `font-family="Helvetica,Arial,sans-serif"`;

const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const f = (v: number): string => (Math.round(v * 10) / 10).toString();

function doc(w: number, h: number, title: string, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" ${FONT} font-size="11">`,
    `<rect width="${w}" height="${h}" fill="#fff"/>`,
    `<text x="${w / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`,
    ...body,
    "</svg>",
    "",
  ].join("\n");
}

function text(x: number, y: number, s: string, attrs = ""): string {
  return `<text x="${f(x)}" y="${f(y)}" ${attrs}>${esc(s)}</text>`;
}

interface Axis {
  map: (v: number) => number;
  ticks: number[];
  label: (v: number) => string;
}

function linear(lo: number, hi: number, a: number, b: number, nTicks = 5, label = (v: number) => fmtTick(v)): Axis {
  const span = hi - lo || 1;
  const step = niceStep(span / nTicks);
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return { map: (v) => a + ((v - lo) / span) * (b - a), ticks, label };
}

function logAxis(lo: number, hi: number, a: number, b: number, label = (v: number) => fmtTick(v)): Axis {
  const l0 = Math.log10(lo);
  const l1 = Math.log10(hi);
  const ticks: number[] = [];
  for (let e = Math.floor(l0); e <= Math.ceil(l1); e++)
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= lo * 0.999 && v <= hi * 1.001) ticks.push(v);
    }
  return { map: (v) => a + ((Math.log10(Math.min(Math.max(v, lo), hi)) - l0) / (l1 - l0)) * (b - a), ticks, label };
}

function niceStep(raw: number): number {
  const e = 10 ** Math.floor(Math.log10(raw));
  const m = raw / e;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * e;
}

function fmtTick(v: number): string {
  if (v === 0) return "0";
  if (Math.abs(v) >= 1000) return `${Number((v / 1000).toPrecision(3))}k`;
  return Number(v.toPrecision(3)).toString();
}

function xAxis(ax: Axis, y: number, x0: number, x1: number, label: string, grid?: number): string[] {
  const out = [`<line x1="${f(x0)}" y1="${f(y)}" x2="${f(x1)}" y2="${f(y)}" stroke="#333"/>`];
  for (const t of ax.ticks) {
    const x = ax.map(t);
    if (grid !== undefined) out.push(`<line x1="${f(x)}" y1="${f(grid)}" x2="${f(x)}" y2="${f(y)}" stroke="#eee"/>`);
    out.push(`<line x1="${f(x)}" y1="${f(y)}" x2="${f(x)}" y2="${f(y + 4)}" stroke="#333"/>`);
    out.push(text(x, y + 15, ax.label(t), `text-anchor="middle"`));
  }
  out.push(text((x0 + x1) / 2, y + 32, label, `text-anchor="middle"`));
  return out;
}

function yAxis(ax: Axis, x: number, y0: number, y1: number, label: string, grid?: number): string[] {
  const out = [`<line x1="${f(x)}" y1="${f(y0)}" x2="${f(x)}" y2="${f(y1)}" stroke="#333"/>`];
  for (const t of ax.ticks) {
    const y = ax.map(t);
    if (grid !== undefined) out.push(`<line x1="${f(x)}" y1="${f(y)}" x2="${f(grid)}" y2="${f(y)}" stroke="#eee"/>`);
    out.push(`<line x1="${f(x - 4)}" y1="${f(y)}" x2="${f(x)}" y2="${f(y)}" stroke="#333"/>`);
    out.push(text(x - 7, y + 4, ax.label(t), `text-anchor="end"`));
  }
  const cy = (y0 + y1) / 2;
  out.push(text(x - 42, cy, label, `text-anchor="middle" transform="rotate(-90 ${f(x - 42)} ${f(cy)})"`));
  return out;
}

/** Four bar panels: Speed (p50 ms), Weight (KiB), Accuracy (ACER %), Power (mJ, analytical). */
export function swapBars(r: SwapReport): string {
  const ids = Object.keys(r.models);
  const panels: Array<{ title: string; value: (id: string) => number; fmt: (v: number) => string }> = [
    { title: "Speed: p50 latency (ms, lower is better)", value: (id) => r.models[id]!.latencyMs.p50, fmt: (v) => v.toFixed(2) },
    { title: "Weight: ONNX file (KiB)", value: (id) => r.models[id]!.bytes / 1024, fmt: (v) => v.toFixed(0) },
    { title: "Accuracy: test ACER (%)", value: (id) => r.models[id]!.acer * 100, fmt: (v) => v.toFixed(2) },
    { title: "Power: energy per frame, analytical (mJ)", value: (id) => r.models[id]!.energyMj.analytical, fmt: (v) => v.toPrecision(3) },
  ];
  const W = 760;
  const rowH = 16;
  const labelW = 200;
  const panelH = 40 + ids.length * rowH;
  const H = 30 + panels.length * panelH + 10;
  const body: string[] = [];
  panels.forEach((p, k) => {
    const top = 30 + k * panelH;
    body.push(text(10, top + 16, p.title, `font-weight="bold" font-size="12"`));
    const max = Math.max(...ids.map(p.value).filter(Number.isFinite), 1e-9);
    ids.forEach((id, i) => {
      const y = top + 26 + i * rowH;
      const v = p.value(id);
      const w = Number.isFinite(v) ? ((W - labelW - 80) * v) / max : 0;
      body.push(text(labelW - 6, y + 11, id, `text-anchor="end"`));
      body.push(`<rect x="${labelW}" y="${y + 2}" width="${f(Math.max(w, 0.5))}" height="${rowH - 4}" fill="${PALETTE[i % PALETTE.length]}"/>`);
      body.push(text(labelW + w + 4, y + 11, Number.isFinite(v) ? p.fmt(v) : "n/a"));
    });
  });
  return doc(W, H, `SWAP per model (${r.data.source} data, test split n=${r.data.n})`, body);
}

/** ROC on the test split: 1 - BPCER against pooled APCER (log axis). */
export function rocPlot(r: SwapReport): string {
  const W = 680;
  const H = 420;
  const x0 = 70;
  const x1 = W - 20;
  const y0 = 40;
  const y1 = H - 60;
  const ax = logAxis(0.001, 1, x0, x1, (v) => `${Number((v * 100).toPrecision(2))}%`);
  const ay = linear(0, 1, y1, y0, 5, (v) => `${Math.round(v * 100)}%`);
  const body = [...xAxis(ax, y1, x0, x1, "APCER, attacks pooled (log scale; 0 drawn at 0.1 %)", y0), ...yAxis(ay, x0, y1, y0, "1 - BPCER", x1)];
  const nCurves = Object.keys(r.roc).length;
  const legend = [`<rect x="${x1 - 336}" y="${y1 - 20 - (nCurves - 1) * 15}" width="332" height="${nCurves * 15 + 8}" fill="#fff" fill-opacity="0.85" stroke="#ccc"/>`];
  Object.entries(r.roc).forEach(([id, pts], i) => {
    const d = pts.map(([a, b], k) => `${k ? "L" : "M"}${f(ax.map(Math.max(a, 0.001)))},${f(ay.map(b))}`).join("");
    body.push(`<path d="${d}" fill="none" stroke="${PALETTE[i % PALETTE.length]}" stroke-width="1.6"/>`);
    const m = r.models[id]!;
    legend.push(`<rect x="${x1 - 330}" y="${y1 - 14 - i * 15}" width="10" height="10" fill="${PALETTE[i % PALETTE.length]}"/>`);
    legend.push(text(x1 - 315, y1 - 5 - i * 15, `${id}  AUC ${m.auc.toFixed(4)}  EER ${(m.eer * 100).toFixed(2)}%`));
  });
  body.push(...legend);
  return doc(W, H, "ROC, test split", body);
}

/** Latency distributions: box (p25-p75), median, whiskers p5-p95, on a log axis. */
export function latencyPlot(r: SwapReport, lat: Map<string, LatencyStats>): string {
  const ids = Object.keys(r.models);
  const W = 860;
  const rowH = 34;
  const x0 = 210;
  const x1 = W - 150;
  const top = 40;
  const H = top + ids.length * rowH + 60;
  const all = [...lat.values()].flatMap((l) => [l.p5, l.p95]).concat(ids.map((id) => r.models[id]!.edge?.p50 ?? Number.NaN).filter(Number.isFinite));
  const lo = 10 ** Math.floor(Math.log10(Math.max(Math.min(...all), 1e-3)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...all)));
  const ax = logAxis(lo, hi, x0, x1);
  const yEnd = top + ids.length * rowH;
  const body = xAxis(ax, yEnd, x0, x1, `ms per frame (log scale), ${r.runtime.timedRuns} interleaved runs each; grey dot and line: onnxruntime-node native p50, p5-p95; diamond: workerd p50`, top);
  ids.forEach((id, i) => {
    const l = lat.get(id)!;
    const y = top + i * rowH + rowH / 2;
    const c = PALETTE[i % PALETTE.length];
    body.push(text(x0 - 8, y + 4, id, `text-anchor="end"`));
    body.push(`<line x1="${f(ax.map(l.p5))}" y1="${f(y)}" x2="${f(ax.map(l.p95))}" y2="${f(y)}" stroke="${c}"/>`);
    body.push(`<rect x="${f(ax.map(l.p25))}" y="${f(y - 8)}" width="${f(Math.max(ax.map(l.p75) - ax.map(l.p25), 1))}" height="16" fill="${c}" fill-opacity="0.35" stroke="${c}"/>`);
    body.push(`<line x1="${f(ax.map(l.p50))}" y1="${f(y - 9)}" x2="${f(ax.map(l.p50))}" y2="${f(y + 9)}" stroke="#000" stroke-width="2"/>`);
    body.push(text(ax.map(l.p95) + 5, y + 4, `p50 ${l.p50.toFixed(2)} / p95 ${l.p95.toFixed(2)}`, `font-size="10"`));
    const n = lat.get(`native:${id}`);
    if (n) {
      body.push(`<line x1="${f(ax.map(n.p5))}" y1="${f(y + 11)}" x2="${f(ax.map(n.p95))}" y2="${f(y + 11)}" stroke="#888"/>`);
      body.push(`<circle cx="${f(ax.map(n.p50))}" cy="${f(y + 11)}" r="3" fill="#888"/>`);
    }
    const e = r.models[id]!.edge?.p50;
    if (e !== undefined && Number.isFinite(e)) {
      const x = ax.map(e);
      body.push(`<path d="M${f(x)},${f(y - 6)}L${f(x + 5)},${f(y)}L${f(x)},${f(y + 6)}L${f(x - 5)},${f(y)}Z" fill="#000"/>`);
    }
  });
  return doc(W, H, "Latency per frame, onnxruntime-web wasm, 1 thread, Node (box p25-p75, whiskers p5-p95)", body);
}

/** Cascade trade-off: every band of the grid on the test split, fallback rate vs ACER. */
export function cascadePlot(r: SwapReport): string {
  const W = 620;
  const H = 440;
  const x0 = 70;
  const x1 = W - 30;
  const y0 = 60;
  const y1 = H - 60;
  const c = r.cascade;
  const pts = c.grid;
  const maxX = Math.max(0.12, ...pts.map((p) => p.fallbackRate));
  const accs = pts.map((p) => p.acer).concat([c.teacherAcer + 0.002, c.studentAcer]);
  const maxY = Math.max(...accs) * 1.1 || 0.01;
  const ax = linear(0, maxX, x0, x1, 6, (v) => `${Number((v * 100).toPrecision(3))}%`);
  const ay = linear(0, maxY, y1, y0, 5, (v) => `${Number((v * 100).toPrecision(3))}%`);
  const body = [...xAxis(ax, y1, x0, x1, "fallback rate (share of frames the teacher re-scores)", y0), ...yAxis(ay, x0, y1, y0, "cascade ACER (test)", x1)];
  const line = (x: number, y: number, x2: number, y2: number, color: string, dash = "4 3"): string =>
    `<line x1="${f(x)}" y1="${f(y)}" x2="${f(x2)}" y2="${f(y2)}" stroke="${color}" stroke-dasharray="${dash}"/>`;
  body.push(line(ax.map(0.1), y0, ax.map(0.1), y1, "#d62728"));
  body.push(text(ax.map(0.1) + 4, y0 + 12, "fallback 10 %", `fill="#d62728"`));
  const tY = ay.map(c.teacherAcer + 0.002);
  body.push(line(x0, tY, x1, tY, "#d62728"));
  body.push(text(x1 - 4, tY - 4, `teacher ACER + 0.2 pt (${((c.teacherAcer + 0.002) * 100).toFixed(2)} %)`, `text-anchor="end" fill="#d62728"`));
  const sY = ay.map(c.studentAcer);
  body.push(line(x0, sY, x1, sY, "#777", "2 3"));
  body.push(text(x1 - 4, sY - 4, `student alone (${(c.studentAcer * 100).toFixed(2)} %)`, `text-anchor="end" fill="#555"`));
  for (const p of pts) body.push(`<circle cx="${f(ax.map(p.fallbackRate))}" cy="${f(ay.map(p.acer))}" r="2.5" fill="#1f77b4" fill-opacity="0.5"/>`);
  if (c.band) {
    const x = ax.map(c.fallbackRate);
    const y = ay.map(c.acer);
    body.push(`<circle cx="${f(x)}" cy="${f(y)}" r="6" fill="none" stroke="#000" stroke-width="2"/>`);
    body.push(text(x + 9, y - 8, `chosen [${c.band.map((v) => Number(v.toPrecision(4))).join(", ")}]: ${c.meanLatencyMs.toFixed(2)} ms mean`, `font-weight="bold"`));
  }
  if (!c.band) body.push(text(x0 + 10, y0 + 14, "no band meets both targets on val: none chosen", `font-weight="bold" fill="#d62728"`));
  body.push(
    text(W / 2, 36, `each dot: one uncertainty band [lo, hi]; mean latency = student p50 + fallback x teacher p50`, `text-anchor="middle" fill="#555"`),
  );
  return doc(W, H, "Cascade trade-off: fallback rate vs ACER (band chosen on val)", body);
}

export function writePlots(dir: string, r: SwapReport, lat: Map<string, LatencyStats>): Record<string, string> {
  const files: Record<string, string> = {
    swap: "swap-per-model.svg",
    roc: "roc.svg",
    latency: "latency.svg",
    cascade: "cascade.svg",
  };
  writeFileSync(join(dir, files.swap!), swapBars(r));
  writeFileSync(join(dir, files.roc!), rocPlot(r));
  writeFileSync(join(dir, files.latency!), latencyPlot(r, lat));
  writeFileSync(join(dir, files.cascade!), cascadePlot(r));
  return files;
}
