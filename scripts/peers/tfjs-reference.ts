// A direct float64 interpreter of the TF.js graph ops the converter supports, in TF's own NHWC
// layout with HWIO kernels. It shares no code with the ONNX path, so agreement between the two is
// a check of the conversion (transposes, padding, flatten order, the sigmoid-as-logits output).

import { attrInts, attrString, attrStrings, type TfGraphModel, type TfNode } from "./tfjs-graph";

interface T {
  shape: number[];
  data: Float64Array;
}

function pads(n: number, k: number, s: number, d: number, padding: string): { out: number; before: number } {
  if (padding === "VALID") return { out: Math.floor((n - (k - 1) * d - 1) / s) + 1, before: 0 };
  const out = Math.ceil(n / s);
  const total = Math.max((out - 1) * s + (k - 1) * d + 1 - n, 0);
  return { out, before: Math.floor(total / 2) };
}

function conv2d(x: T, w: T, strides: number[], dil: number[], padding: string): T {
  const [, H, W, C] = x.shape as [number, number, number, number];
  const [KH, KW, CI, CO] = w.shape as [number, number, number, number];
  if (C !== CI) throw new Error("channel mismatch");
  const ph = pads(H, KH, strides[0]!, dil[0]!, padding);
  const pw = pads(W, KW, strides[1]!, dil[1]!, padding);
  const out = new Float64Array(ph.out * pw.out * CO);
  for (let oy = 0; oy < ph.out; oy++)
    for (let ox = 0; ox < pw.out; ox++)
      for (let co = 0; co < CO; co++) {
        let acc = 0;
        for (let ky = 0; ky < KH; ky++) {
          const iy = oy * strides[0]! + ky * dil[0]! - ph.before;
          if (iy < 0 || iy >= H) continue;
          for (let kx = 0; kx < KW; kx++) {
            const ix = ox * strides[1]! + kx * dil[1]! - pw.before;
            if (ix < 0 || ix >= W) continue;
            for (let ci = 0; ci < C; ci++) acc += x.data[(iy * W + ix) * C + ci]! * w.data[((ky * KW + kx) * CI + ci) * CO + co]!;
          }
        }
        out[(oy * pw.out + ox) * CO + co] = acc;
      }
  return { shape: [1, ph.out, pw.out, CO], data: out };
}

function pool(x: T, k: number[], s: number[], padding: string, kind: "max" | "avg"): T {
  const [, H, W, C] = x.shape as [number, number, number, number];
  const ph = pads(H, k[0]!, s[0]!, 1, padding);
  const pw = pads(W, k[1]!, s[1]!, 1, padding);
  const out = new Float64Array(ph.out * pw.out * C);
  for (let oy = 0; oy < ph.out; oy++)
    for (let ox = 0; ox < pw.out; ox++)
      for (let c = 0; c < C; c++) {
        let m = Number.NEGATIVE_INFINITY;
        let sum = 0;
        let cnt = 0;
        for (let ky = 0; ky < k[0]!; ky++)
          for (let kx = 0; kx < k[1]!; kx++) {
            const iy = oy * s[0]! + ky - ph.before;
            const ix = ox * s[1]! + kx - pw.before;
            if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
            const v = x.data[(iy * W + ix) * C + c]!;
            m = Math.max(m, v);
            sum += v;
            cnt++;
          }
        out[(oy * pw.out + ox) * C + c] = kind === "max" ? m : sum / cnt;
      }
  return { shape: [1, ph.out, pw.out, C], data: out };
}

function addBias(x: T, b: T): T {
  const C = x.shape[x.shape.length - 1]!;
  const out = new Float64Array(x.data.length);
  for (let i = 0; i < out.length; i++) out[i] = x.data[i]! + b.data[i % C]!;
  return { shape: x.shape, data: out };
}

const map = (x: T, f: (v: number) => number): T => ({ shape: x.shape, data: x.data.map(f) });

/** Runs the graph on one NHWC image (batch 1) and returns the signature's output. */
export function runReference(g: TfGraphModel, inputNHWC: Float32Array | Float64Array): Float64Array {
  const env = new Map<string, T>();
  const get = (n: TfNode, k: number): T => {
    const ref = (n.input ?? [])[k]!.replace(/:\d+$/, "");
    const v = env.get(ref);
    if (v) return v;
    const w = g.weights.get(ref);
    if (!w) throw new Error(`${n.name}: ${ref} unknown`);
    return { shape: w.shape, data: Float64Array.from(w.values) };
  };
  for (const n of g.nodes) {
    let r: T | undefined;
    switch (n.op) {
      case "Const":
        break;
      case "Placeholder": {
        const shape = (g.inputs.find((i) => i.name === n.name)?.shape ?? []).map((d) => (d < 0 ? 1 : d));
        r = { shape, data: Float64Array.from(inputNHWC) };
        break;
      }
      case "_FusedConv2D":
      case "Conv2D": {
        const st = attrInts(n.attr?.strides);
        const dl = attrInts(n.attr?.dilations);
        r = conv2d(get(n, 0), get(n, 1), [st[1] ?? 1, st[2] ?? 1], [dl[1] ?? 1, dl[2] ?? 1], attrString(n.attr?.padding) ?? "VALID");
        break;
      }
      case "MaxPool":
      case "AvgPool": {
        const k = attrInts(n.attr?.ksize);
        const st = attrInts(n.attr?.strides);
        r = pool(get(n, 0), [k[1]!, k[2]!], [st[1]!, st[2]!], attrString(n.attr?.padding) ?? "VALID", n.op === "MaxPool" ? "max" : "avg");
        break;
      }
      case "Relu":
        r = map(get(n, 0), (v) => Math.max(0, v));
        break;
      case "Sigmoid":
        r = map(get(n, 0), (v) => 1 / (1 + Math.exp(-v)));
        break;
      case "Identity":
        r = get(n, 0);
        break;
      case "Reshape": {
        const x = get(n, 0);
        const target = Array.from(get(n, 1).data);
        const known = target.filter((d) => d >= 0).reduce((a, d) => a * d, 1);
        r = { shape: target.map((d) => (d < 0 ? x.data.length / known : d)), data: x.data };
        break;
      }
      case "_FusedMatMul":
      case "MatMul": {
        const x = get(n, 0);
        const w = get(n, 1);
        const [K, M] = w.shape as [number, number];
        const out = new Float64Array(M);
        for (let m = 0; m < M; m++) {
          let acc = 0;
          for (let k = 0; k < K; k++) acc += x.data[k]! * w.data[k * M + m]!;
          out[m] = acc;
        }
        r = { shape: [1, M], data: out };
        break;
      }
      default:
        throw new Error(`reference: op ${n.op} is not implemented`);
    }
    if (r && (n.op === "_FusedConv2D" || n.op === "_FusedMatMul")) {
      for (const f of attrStrings(n.attr?.fused_ops)) {
        if (f === "BiasAdd") r = addBias(r, get(n, 2));
        else if (f === "Relu") r = map(r, (v) => Math.max(0, v));
        else throw new Error(`reference: fused ${f}`);
      }
    }
    if (r) env.set(n.name, r);
  }
  const out = env.get(g.outputs[0]!.name);
  if (!out) throw new Error("reference: output not computed");
  return out.data;
}
