// Reads a TensorFlow.js graph model: model.json (GraphDef topology + weightsManifest) and its
// binary weight shards, dequantising float16 / uint8 / uint16 weights to float32.

import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";

export interface TfAttr {
  s?: string; // base64
  i?: string | number;
  f?: number;
  b?: boolean;
  type?: string;
  list?: { i?: Array<string | number>; s?: string[]; f?: number[] };
  shape?: unknown;
  tensor?: unknown;
}

export interface TfNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, TfAttr>;
}

interface WeightEntry {
  name: string;
  shape: number[];
  dtype: "float32" | "int32" | "bool";
  quantization?: { dtype: "float16" | "uint8" | "uint16"; scale?: number; min?: number };
}

export interface TfWeight {
  name: string;
  shape: number[];
  dtype: "float32" | "int32";
  /** float32 values (dequantised) or int32 values */
  values: Float32Array | Int32Array;
  /** bytes this weight takes in the shards */
  storedBytes: number;
}

export interface TfGraphModel {
  format: string;
  generatedBy?: string;
  convertedBy?: string;
  nodes: TfNode[];
  weights: Map<string, TfWeight>;
  inputs: Array<{ name: string; shape: number[] }>;
  outputs: Array<{ name: string; shape: number[] }>;
  shardBytes: number;
}

/** IEEE 754 binary16 to number. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

const count = (shape: number[]): number => shape.reduce((a, d) => a * d, 1);

export function decodeWeights(entries: WeightEntry[], data: Uint8Array): Map<string, TfWeight> {
  const out = new Map<string, TfWeight>();
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let o = 0;
  for (const e of entries) {
    const n = count(e.shape);
    const q = e.quantization;
    let values: Float32Array | Int32Array;
    let bytes: number;
    if (q) {
      if (e.dtype !== "float32") throw new Error(`${e.name}: quantised ${e.dtype} is not supported`);
      values = new Float32Array(n);
      if (q.dtype === "float16") {
        bytes = 2 * n;
        for (let i = 0; i < n; i++) values[i] = halfToFloat(dv.getUint16(o + 2 * i, true));
      } else if (q.dtype === "uint8" || q.dtype === "uint16") {
        const w = q.dtype === "uint8" ? 1 : 2;
        bytes = w * n;
        const scale = q.scale ?? 1;
        const min = q.min ?? 0;
        for (let i = 0; i < n; i++) {
          const v = w === 1 ? dv.getUint8(o + i) : dv.getUint16(o + 2 * i, true);
          values[i] = v * scale + min;
        }
      } else throw new Error(`${e.name}: unknown quantisation ${String(q.dtype)}`);
    } else if (e.dtype === "float32") {
      bytes = 4 * n;
      values = new Float32Array(n);
      for (let i = 0; i < n; i++) values[i] = dv.getFloat32(o + 4 * i, true);
    } else if (e.dtype === "int32") {
      bytes = 4 * n;
      values = new Int32Array(n);
      for (let i = 0; i < n; i++) values[i] = dv.getInt32(o + 4 * i, true);
    } else throw new Error(`${e.name}: dtype ${e.dtype} is not supported`);
    if (o + bytes > data.length) throw new Error(`${e.name}: weights run past the end of the shards`);
    out.set(e.name, {
      name: e.name,
      shape: e.shape,
      dtype: e.dtype === "int32" ? "int32" : "float32",
      values,
      storedBytes: bytes,
    });
    o += bytes;
  }
  if (o !== data.length) throw new Error(`shards hold ${data.length} bytes, the manifest describes ${o}`);
  return out;
}

interface SignatureTensor {
  name: string;
  tensorShape?: { dim?: Array<{ size?: string }> };
}

function sigShape(t: SignatureTensor): number[] {
  return (t.tensorShape?.dim ?? []).map((d) => Number(d.size ?? -1));
}

export function readGraphModel(modelJsonPath: string): TfGraphModel {
  const j = JSON.parse(readFileSync(modelJsonPath, "utf8")) as {
    format: string;
    generatedBy?: string;
    convertedBy?: string;
    modelTopology: { node: TfNode[] };
    weightsManifest: Array<{ paths: string[]; weights: WeightEntry[] }>;
    signature?: { inputs?: Record<string, SignatureTensor>; outputs?: Record<string, SignatureTensor> };
  };
  if (j.format !== "graph-model") throw new Error(`${modelJsonPath}: format ${j.format}, expected graph-model`);
  const weights = new Map<string, TfWeight>();
  let shardBytes = 0;
  for (const group of j.weightsManifest) {
    const parts = group.paths.map((p) => readFileSync(join(dirname(modelJsonPath), p)));
    const total = parts.reduce((a, p) => a + p.length, 0);
    const data = new Uint8Array(total);
    let o = 0;
    for (const p of parts) {
      data.set(p, o);
      o += p.length;
    }
    shardBytes += total;
    for (const [k, v] of decodeWeights(group.weights, data)) weights.set(k, v);
  }
  const strip = (n: string): string => n.replace(/:\d+$/, "");
  return {
    format: j.format,
    generatedBy: j.generatedBy,
    convertedBy: j.convertedBy,
    nodes: j.modelTopology.node,
    weights,
    inputs: Object.values(j.signature?.inputs ?? {}).map((t) => ({ name: strip(t.name), shape: sigShape(t) })),
    outputs: Object.values(j.signature?.outputs ?? {}).map((t) => ({ name: strip(t.name), shape: sigShape(t) })),
    shardBytes,
  };
}

export function attrString(a: TfAttr | undefined): string | undefined {
  return a?.s === undefined ? undefined : Buffer.from(a.s, "base64").toString("utf8");
}

export function attrInts(a: TfAttr | undefined): number[] {
  return (a?.list?.i ?? []).map(Number);
}

export function attrStrings(a: TfAttr | undefined): string[] {
  return (a?.list?.s ?? []).map((s) => Buffer.from(s, "base64").toString("utf8"));
}
