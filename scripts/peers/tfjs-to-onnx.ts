// Converts a feed-forward TF.js graph model (NHWC, the ops a small Keras CNN exports to) into an
// ONNX model with an NCHW float input named `input` and an output named `logits`.
//
// Layout: every 4-D tensor is kept NCHW on the ONNX side; a Transpose back to NHWC is inserted
// where TF semantics depend on the memory order (Reshape/flatten). A graph that ends in a Sigmoid
// over one unit (a "real-ness" probability) is exported as two logits [0, z], so that
// softmax(logits)[1] = sigmoid(z) reproduces the original score under the models/ contract
// (bonafideIndex 1).

import {
  DataType,
  encodeModel,
  float32Tensor,
  int,
  int64Tensor,
  ints,
  type ModelSpec,
  type NodeSpec,
  type TensorSpec,
} from "./onnx-proto";
import { attrInts, attrString, attrStrings, type TfGraphModel, type TfNode, type TfWeight } from "./tfjs-graph";

export interface ConvertedModel {
  onnx: Uint8Array;
  /** float parameters (weights and biases) */
  params: number;
  /** multiply-accumulates per frame at batch 1 */
  macs: number;
  inputShape: [number, number, number, number]; // NCHW
  outputKind: "sigmoid-as-two-logits" | "logits";
  ops: Record<string, number>;
}

interface Val {
  name: string;
  /** TF (NHWC) shape */
  shape: number[];
}

function transposeHWIOtoOIHW(w: TfWeight): Float32Array {
  const [kh, kw, ci, co] = w.shape as [number, number, number, number];
  const src = w.values as Float32Array;
  const out = new Float32Array(src.length);
  for (let h = 0; h < kh; h++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < ci; i++)
        for (let o = 0; o < co; o++) out[((o * ci + i) * kh + h) * kw + x] = src[((h * kw + x) * ci + i) * co + o]!;
  return out;
}

function outSize(n: number, k: number, s: number, d: number, padding: string): number {
  if (padding === "SAME") return Math.ceil(n / s);
  if (padding === "VALID") return Math.floor((n - (k - 1) * d - 1) / s) + 1;
  throw new Error(`padding ${padding} is not supported`);
}

export function convertGraph(g: TfGraphModel, opts: { opsetVersion?: number; producerName?: string; docString?: string } = {}): ConvertedModel {
  const nodes: NodeSpec[] = [];
  const inits: TensorSpec[] = [];
  const vals = new Map<string, Val>();
  const ops: Record<string, number> = {};
  let params = 0;
  let macs = 0;
  let uid = 0;
  const fresh = (base: string): string => `${base.replace(/[^A-Za-z0-9_]/g, "_")}_${uid++}`;
  const weight = (name: string): TfWeight => {
    const w = g.weights.get(name);
    if (!w) throw new Error(`weight ${name} is missing`);
    return w;
  };
  const floatInit = (base: string, dims: number[], v: Float32Array): string => {
    const name = fresh(base);
    inits.push(float32Tensor(name, dims, v));
    params += v.length;
    return name;
  };
  const input = (n: TfNode, k: number): Val => {
    const ref = (n.input ?? [])[k];
    if (ref === undefined) throw new Error(`${n.name}: input ${k} missing`);
    const v = vals.get(ref.replace(/:\d+$/, ""));
    if (!v) throw new Error(`${n.name}: input ${ref} is not computed yet`);
    return v;
  };
  const fused = (n: TfNode, out: string, pre: string): void => {
    const f = attrStrings(n.attr?.fused_ops);
    const bias = (n.input ?? [])[2];
    let cur = pre;
    for (const op of f) {
      if (op === "BiasAdd") {
        if (!bias) throw new Error(`${n.name}: BiasAdd without a bias input`);
        const b = weight(bias);
        const isConv = n.op === "_FusedConv2D";
        const bName = floatInit(bias, isConv ? [1, b.shape[0]!, 1, 1] : [b.shape[0]!], b.values as Float32Array);
        const next = fresh(`${n.name}_bias`);
        nodes.push({ opType: "Add", inputs: [cur, bName], outputs: [next] });
        cur = next;
      } else if (op === "Relu") {
        const next = fresh(`${n.name}_relu`);
        nodes.push({ opType: "Relu", inputs: [cur], outputs: [next] });
        cur = next;
      } else throw new Error(`${n.name}: fused op ${op} is not supported`);
    }
    nodes.push({ opType: "Identity", inputs: [cur], outputs: [out] });
  };

  for (const n of g.nodes) {
    ops[n.op] = (ops[n.op] ?? 0) + 1;
    switch (n.op) {
      case "Const":
        break; // weights are read by the nodes that use them
      case "Placeholder": {
        const sig = g.inputs.find((i) => i.name === n.name);
        const shape = (sig?.shape ?? []).map((d) => (d < 0 ? 1 : d));
        if (shape.length !== 4) throw new Error(`input ${n.name}: expected NHWC, got [${shape}]`);
        vals.set(n.name, { name: "input", shape });
        break;
      }
      case "_FusedConv2D":
      case "Conv2D": {
        const x = input(n, 0);
        const wName = (n.input ?? [])[1]!;
        const w = weight(wName);
        const [kh, kw, ci, co] = w.shape as [number, number, number, number];
        if (x.shape[3] !== ci) throw new Error(`${n.name}: ${x.shape[3]} channels in, kernel expects ${ci}`);
        if (attrString(n.attr?.data_format) && attrString(n.attr?.data_format) !== "NHWC") throw new Error(`${n.name}: only NHWC`);
        const st = attrInts(n.attr?.strides);
        const dl = attrInts(n.attr?.dilations);
        const s = [st[1] ?? 1, st[2] ?? 1];
        const d = [dl[1] ?? 1, dl[2] ?? 1];
        const padding = attrString(n.attr?.padding) ?? "VALID";
        const oh = outSize(x.shape[1]!, kh, s[0]!, d[0]!, padding);
        const ow = outSize(x.shape[2]!, kw, s[1]!, d[1]!, padding);
        const wInit = floatInit(wName, [co, ci, kh, kw], transposeHWIOtoOIHW(w));
        const conv = fresh(`${n.name}_conv`);
        const attributes = {
          kernel_shape: ints([kh, kw]),
          strides: ints(s),
          dilations: ints(d),
          ...(padding === "SAME" ? { auto_pad: { kind: "string" as const, value: "SAME_UPPER" } } : { pads: ints([0, 0, 0, 0]) }),
        };
        nodes.push({ opType: "Conv", inputs: [x.name, wInit], outputs: [conv], attributes });
        macs += oh * ow * co * kh * kw * ci;
        const out = fresh(n.name);
        if (n.op === "_FusedConv2D") fused(n, out, conv);
        else nodes.push({ opType: "Identity", inputs: [conv], outputs: [out] });
        vals.set(n.name, { name: out, shape: [x.shape[0]!, oh, ow, co] });
        break;
      }
      case "MaxPool":
      case "AvgPool": {
        const x = input(n, 0);
        const k = attrInts(n.attr?.ksize);
        const st = attrInts(n.attr?.strides);
        const padding = attrString(n.attr?.padding) ?? "VALID";
        const kk = [k[1] ?? 1, k[2] ?? 1];
        const s = [st[1] ?? 1, st[2] ?? 1];
        if (n.op === "AvgPool" && padding === "SAME") throw new Error(`${n.name}: AvgPool SAME is not supported`);
        const oh = outSize(x.shape[1]!, kk[0]!, s[0]!, 1, padding);
        const ow = outSize(x.shape[2]!, kk[1]!, s[1]!, 1, padding);
        const out = fresh(n.name);
        nodes.push({
          opType: n.op === "MaxPool" ? "MaxPool" : "AveragePool",
          inputs: [x.name],
          outputs: [out],
          attributes: {
            kernel_shape: ints(kk),
            strides: ints(s),
            ...(padding === "SAME" ? { auto_pad: { kind: "string" as const, value: "SAME_UPPER" } } : { pads: ints([0, 0, 0, 0]) }),
          },
        });
        vals.set(n.name, { name: out, shape: [x.shape[0]!, oh, ow, x.shape[3]!] });
        break;
      }
      case "Relu":
      case "Sigmoid":
      case "Identity": {
        const x = input(n, 0);
        const out = fresh(n.name);
        nodes.push({ opType: n.op, inputs: [x.name], outputs: [out] });
        vals.set(n.name, { name: out, shape: x.shape });
        break;
      }
      case "Reshape": {
        const x = input(n, 0);
        const target = Array.from(weight((n.input ?? [])[1]!).values as Int32Array);
        let src = x.name;
        if (x.shape.length === 4) {
          src = fresh(`${n.name}_nhwc`);
          nodes.push({ opType: "Transpose", inputs: [x.name], outputs: [src], attributes: { perm: ints([0, 2, 3, 1]) } });
        }
        const total = x.shape.reduce((a, d) => a * d, 1);
        const known = target.filter((d) => d >= 0).reduce((a, d) => a * d, 1);
        const shape = target.map((d) => (d < 0 ? total / known : d));
        if (shape.length === 4) throw new Error(`${n.name}: reshape to 4-D is not supported`);
        const shapeName = fresh(`${n.name}_shape`);
        inits.push(int64Tensor(shapeName, target));
        const out = fresh(n.name);
        nodes.push({ opType: "Reshape", inputs: [src, shapeName], outputs: [out] });
        vals.set(n.name, { name: out, shape });
        break;
      }
      case "_FusedMatMul":
      case "MatMul": {
        const x = input(n, 0);
        if (n.attr?.transpose_a?.b || n.attr?.transpose_b?.b) throw new Error(`${n.name}: transposed MatMul is not supported`);
        const wName = (n.input ?? [])[1]!;
        const w = weight(wName);
        const [k, m] = w.shape as [number, number];
        if (x.shape[1] !== k) throw new Error(`${n.name}: ${x.shape[1]} features in, weight expects ${k}`);
        const wInit = floatInit(wName, [k, m], w.values as Float32Array);
        const mm = fresh(`${n.name}_matmul`);
        nodes.push({ opType: "MatMul", inputs: [x.name, wInit], outputs: [mm] });
        macs += k * m;
        const out = fresh(n.name);
        if (n.op === "_FusedMatMul") fused(n, out, mm);
        else nodes.push({ opType: "Identity", inputs: [mm], outputs: [out] });
        vals.set(n.name, { name: out, shape: [x.shape[0]!, m] });
        break;
      }
      default:
        throw new Error(`op ${n.op} (${n.name}) is not supported`);
    }
  }

  const outName = g.outputs[0]?.name;
  if (!outName || g.outputs.length !== 1) throw new Error("expected exactly one output in the signature");
  // follow Identity nodes back from the output to find a final Sigmoid
  const byName = new Map(g.nodes.map((n) => [n.name, n]));
  let tail = byName.get(outName);
  while (tail && tail.op === "Identity") tail = byName.get((tail.input ?? [])[0]!.replace(/:\d+$/, ""));
  const finalVal = vals.get(outName);
  if (!finalVal) throw new Error(`output ${outName} was not computed`);
  let outputKind: ConvertedModel["outputKind"];
  let logitsShape: number[];
  if (tail?.op === "Sigmoid" && finalVal.shape[1] === 1) {
    const z = input(tail, 0);
    const zero = floatInit("zero_logit", [1, 1], new Float32Array([0]));
    params -= 1; // the constant is not a learned parameter
    nodes.push({ opType: "Concat", inputs: [zero, z.name], outputs: ["logits"], attributes: { axis: int(1) } });
    outputKind = "sigmoid-as-two-logits";
    logitsShape = [1, 2];
  } else {
    nodes.push({ opType: "Identity", inputs: [finalVal.name], outputs: ["logits"] });
    outputKind = "logits";
    logitsShape = finalVal.shape;
  }
  // drop nodes that no longer lead to the output (the Sigmoid replaced by the logits)
  const needed = new Set(["logits"]);
  for (let i = nodes.length - 1; i >= 0; i--) {
    if (nodes[i]!.outputs.some((o) => needed.has(o))) for (const inp of nodes[i]!.inputs) needed.add(inp);
  }
  const live = nodes.filter((n) => n.outputs.some((o) => needed.has(o)));
  const usedInits = inits.filter((t) => needed.has(t.name));

  const inShape = vals.get(g.inputs[0]!.name)!.shape;
  const inputShape: [number, number, number, number] = [1, inShape[3]!, inShape[1]!, inShape[2]!];
  const spec: ModelSpec = {
    graphName: "converted",
    nodes: live,
    initializers: usedInits,
    inputs: [{ name: "input", elemType: DataType.FLOAT, shape: inputShape }],
    outputs: [{ name: "logits", elemType: DataType.FLOAT, shape: logitsShape }],
    opsetVersion: opts.opsetVersion ?? 13,
    producerName: opts.producerName ?? "fas-edge tfjs-to-onnx",
    docString: opts.docString,
  };
  return { onnx: encodeModel(spec), params, macs, inputShape, outputKind, ops };
}
