// A small encoder for the subset of the ONNX protobuf schema (onnx/onnx.proto, IR version 8)
// that a feed-forward CNN needs: ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto,
// ValueInfoProto. Field numbers follow onnx.proto.

export const DataType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7 } as const;
export type DataTypeCode = (typeof DataType)[keyof typeof DataType];

const Wire = { Varint: 0, Fixed32: 5, Bytes: 2 } as const;
type Wire = (typeof Wire)[keyof typeof Wire];

class Buf {
  private chunks: Uint8Array[] = [];
  private len = 0;

  push(b: Uint8Array): void {
    this.chunks.push(b);
    this.len += b.length;
  }
  varint(v: number | bigint): void {
    let x = BigInt.asUintN(64, BigInt(v));
    const out: number[] = [];
    do {
      let byte = Number(x & 0x7fn);
      x >>= 7n;
      if (x !== 0n) byte |= 0x80;
      out.push(byte);
    } while (x !== 0n);
    this.push(Uint8Array.from(out));
  }
  tag(field: number, wire: Wire): void {
    this.varint((field << 3) | wire);
  }
  int(field: number, v: number | bigint): void {
    this.tag(field, Wire.Varint);
    this.varint(v);
  }
  float(field: number, v: number): void {
    this.tag(field, Wire.Fixed32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.push(b);
  }
  bytes(field: number, b: Uint8Array): void {
    this.tag(field, Wire.Bytes);
    this.varint(b.length);
    this.push(b);
  }
  string(field: number, s: string): void {
    this.bytes(field, new TextEncoder().encode(s));
  }
  message(field: number, m: Buf): void {
    this.bytes(field, m.finish());
  }
  finish(): Uint8Array {
    const out = new Uint8Array(this.len);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

export type AttrValue =
  | { kind: "int"; value: number }
  | { kind: "float"; value: number }
  | { kind: "string"; value: string }
  | { kind: "ints"; value: number[] }
  | { kind: "floats"; value: number[] };

export interface NodeSpec {
  opType: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  attributes?: Record<string, AttrValue>;
}

export interface TensorSpec {
  name: string;
  dataType: DataTypeCode;
  dims: number[];
  /** little-endian element bytes */
  raw: Uint8Array;
}

export interface ValueInfoSpec {
  name: string;
  elemType: DataTypeCode;
  /** a number is a fixed size, a string a symbolic one */
  shape: Array<number | string>;
}

export interface ModelSpec {
  graphName: string;
  nodes: NodeSpec[];
  initializers: TensorSpec[];
  inputs: ValueInfoSpec[];
  outputs: ValueInfoSpec[];
  opsetVersion: number;
  producerName: string;
  producerVersion?: string;
  docString?: string;
  irVersion?: number;
}

export const ints = (value: number[]): AttrValue => ({ kind: "ints", value });
export const int = (value: number): AttrValue => ({ kind: "int", value });

function attribute(name: string, a: AttrValue): Buf {
  const b = new Buf();
  b.string(1, name);
  switch (a.kind) {
    case "float":
      b.float(2, a.value);
      b.int(20, 1);
      break;
    case "int":
      b.int(3, a.value);
      b.int(20, 2);
      break;
    case "string":
      b.string(4, a.value);
      b.int(20, 3);
      break;
    case "floats":
      for (const v of a.value) b.float(7, v);
      b.int(20, 6);
      break;
    case "ints":
      for (const v of a.value) b.int(8, v);
      b.int(20, 7);
      break;
  }
  return b;
}

function node(n: NodeSpec): Buf {
  const b = new Buf();
  for (const i of n.inputs) b.string(1, i);
  for (const o of n.outputs) b.string(2, o);
  if (n.name) b.string(3, n.name);
  b.string(4, n.opType);
  for (const [k, v] of Object.entries(n.attributes ?? {})) b.message(5, attribute(k, v));
  return b;
}

function tensor(t: TensorSpec): Buf {
  const b = new Buf();
  for (const d of t.dims) b.int(1, d);
  b.int(2, t.dataType);
  b.string(8, t.name);
  b.bytes(9, t.raw);
  return b;
}

function valueInfo(v: ValueInfoSpec): Buf {
  const shape = new Buf();
  for (const d of v.shape) {
    const dim = new Buf();
    if (typeof d === "number") dim.int(1, d);
    else dim.string(2, d);
    shape.message(1, dim);
  }
  const tensorType = new Buf();
  tensorType.int(1, v.elemType);
  tensorType.message(2, shape);
  const type = new Buf();
  type.message(1, tensorType);
  const b = new Buf();
  b.string(1, v.name);
  b.message(2, type);
  return b;
}

/** Serialises a ModelProto. */
export function encodeModel(m: ModelSpec): Uint8Array {
  const g = new Buf();
  for (const n of m.nodes) g.message(1, node(n));
  g.string(2, m.graphName);
  for (const t of m.initializers) g.message(5, tensor(t));
  for (const v of m.inputs) g.message(11, valueInfo(v));
  for (const v of m.outputs) g.message(12, valueInfo(v));

  const opset = new Buf();
  opset.string(1, "");
  opset.int(2, m.opsetVersion);

  const b = new Buf();
  b.int(1, m.irVersion ?? 8);
  b.string(2, m.producerName);
  if (m.producerVersion) b.string(3, m.producerVersion);
  if (m.docString) b.string(6, m.docString);
  b.message(7, g);
  b.message(8, opset);
  return b.finish();
}

export function float32Tensor(name: string, dims: number[], values: Float32Array): TensorSpec {
  const expected = dims.reduce((a, d) => a * d, 1);
  if (values.length !== expected) throw new Error(`${name}: ${values.length} values for dims [${dims}]`);
  const raw = new Uint8Array(values.length * 4);
  const dv = new DataView(raw.buffer);
  values.forEach((v, i) => dv.setFloat32(i * 4, v, true));
  return { name, dataType: DataType.FLOAT, dims, raw };
}

export function int64Tensor(name: string, values: number[]): TensorSpec {
  const raw = new Uint8Array(values.length * 8);
  const dv = new DataView(raw.buffer);
  values.forEach((v, i) => dv.setBigInt64(i * 8, BigInt(v), true));
  return { name, dataType: DataType.INT64, dims: [values.length], raw };
}
