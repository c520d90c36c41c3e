// The evaluation data: a manifest.csv written by the data generator (or an adapter), with columns
// path,label,species,instrument,subject,split,box_x,box_y,box_w,box_h,source. Image paths are
// relative to the CSV's folder unless absolute.

import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { decodeImage } from "../../src/image/decode-image";
import type { RgbImage } from "../../src/image/rgb-image";
import type { FaceBox } from "../../src/preprocess/crop";

export interface Sample {
  path: string;
  label: "bonafide" | "attack";
  species: string;
  instrument: string;
  subject: string;
  split: string;
  box: FaceBox | undefined;
  source: string;
}

const REQUIRED = ["path", "label", "species", "instrument", "subject", "split", "box_x", "box_y", "box_w", "box_h"];

function parseLine(line: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  out.push(cur);
  return out;
}

export function readManifestCsv(csvPath: string): Sample[] {
  const text = readFileSync(csvPath, "utf8");
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  const header = parseLine(lines[0] ?? "");
  const missing = REQUIRED.filter((c) => !header.includes(c));
  if (missing.length) throw new Error(`${csvPath}: missing columns ${missing.join(", ")}`);
  const col = (row: string[], name: string): string => row[header.indexOf(name)] ?? "";
  const base = dirname(csvPath);
  return lines.slice(1).map((line, i) => {
    const row = parseLine(line);
    const label = col(row, "label");
    if (label !== "bonafide" && label !== "attack") throw new Error(`${csvPath}:${i + 2}: label "${label}"`);
    const nums = ["box_x", "box_y", "box_w", "box_h"].map((c) => col(row, c));
    const box = nums.every((v) => v !== "") ? (nums.map(Number) as unknown as FaceBox) : undefined;
    if (box && box.some((v) => !Number.isFinite(v))) throw new Error(`${csvPath}:${i + 2}: bad box`);
    const p = col(row, "path");
    return {
      path: isAbsolute(p) ? p : resolve(base, p),
      label,
      species: label === "bonafide" ? "bonafide" : col(row, "species"),
      instrument: col(row, "instrument") || "none",
      subject: col(row, "subject"),
      split: col(row, "split"),
      box,
      source: col(row, "source") || "synthetic",
    };
  });
}

/** Large enough for any frame the generator or a dataset adapter writes. */
const LIMITS = { minSide: 1, maxPixels: 64 * 1024 * 1024 };

export function loadImage(path: string): RgbImage {
  return decodeImage(new Uint8Array(readFileSync(path)), LIMITS).image;
}

/**
 * Keeps at most `perSplit` samples of a split, taking every k-th sample within each
 * (label, species) group so that each group keeps its share.
 */
export function subsample(samples: Sample[], perSplit: number): Sample[] {
  if (samples.length <= perSplit) return samples;
  const groups = new Map<string, Sample[]>();
  for (const s of samples) {
    const k = `${s.label}/${s.species}`;
    const g = groups.get(k);
    if (g) g.push(s);
    else groups.set(k, [s]);
  }
  const out: Sample[] = [];
  for (const g of groups.values()) {
    const take = Math.max(1, Math.round((g.length * perSplit) / samples.length));
    const step = g.length / take;
    for (let i = 0; i < take; i++) out.push(g[Math.floor(i * step)]!);
  }
  return out;
}
