/**
 * The subset of ONNX's protobuf schema (onnx/onnx.proto) that our generated models use, written with a
 * minimal protobuf encoder. Field numbers are those of onnx.proto; ONNX Runtime validates the result when
 * it loads the model.
 */

/** TensorProto.DataType values we use. */
export const DataType = { FLOAT: 1, UINT8: 2, INT64: 7 } as const;

export interface TensorProto {
  name: string;
  dataType: number;
  dims: readonly number[];
  /** Little-endian bytes of the values. */
  raw: Uint8Array;
}

export type AttributeValue =
  | { float: number }
  | { int: number }
  | { ints: readonly number[] }
  | { string: string }
  | { tensor: TensorProto };

export interface NodeProto {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name?: string;
  attributes?: Record<string, AttributeValue>;
}

/** A dimension: a fixed size or a symbolic name. */
export type Dim = number | string;

export interface ValueInfo {
  name: string;
  elemType: number;
  /** Absent: shape left to ONNX Runtime's inference. */
  dims?: readonly Dim[];
}

export interface ModelProto {
  irVersion: number;
  opset: number;
  producer: string;
  graph: { name: string; nodes: NodeProto[]; initializers: TensorProto[]; inputs: ValueInfo[]; outputs: ValueInfo[] };
}

const text = new TextEncoder();

/** Protobuf wire-format writer: varints, length-delimited fields, fixed32 floats. */
class Writer {
  private chunks: Uint8Array[] = [];
  private buffer = new Uint8Array(256);
  private used = 0;

  private reserve(n: number): void {
    if (this.used + n <= this.buffer.length) return;
    this.flush();
    if (n > this.buffer.length) this.buffer = new Uint8Array(Math.max(n, this.buffer.length * 2));
  }
  private flush(): void {
    if (this.used > 0) this.chunks.push(this.buffer.slice(0, this.used));
    this.used = 0;
  }
  varint(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) throw new Error(`protobuf varint out of range: ${value}`);
    this.reserve(10);
    let v = value;
    while (v >= 0x80) {
      this.buffer[this.used++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buffer[this.used++] = v;
  }
  tag(field: number, wire: 0 | 2 | 5): void {
    this.varint(field * 8 + wire);
  }
  bytes(field: number, value: Uint8Array): void {
    this.tag(field, 2);
    this.varint(value.length);
    this.flush();
    this.chunks.push(value);
  }
  string(field: number, value: string): void {
    this.bytes(field, text.encode(value));
  }
  int(field: number, value: number): void {
    this.tag(field, 0);
    this.varint(value);
  }
  float(field: number, value: number): void {
    this.tag(field, 5);
    this.reserve(4);
    new DataView(this.buffer.buffer).setFloat32(this.used, value, true);
    this.used += 4;
  }
  message(field: number, write: (w: Writer) => void): void {
    const inner = new Writer();
    write(inner);
    this.bytes(field, inner.finish());
  }
  finish(): Uint8Array {
    this.flush();
    const total = this.chunks.reduce((n, c) => n + c.length, 0);
    const out = new Uint8Array(total);
    let offset = 0;
    for (const c of this.chunks) {
      out.set(c, offset);
      offset += c.length;
    }
    return out;
  }
}

function writeTensor(w: Writer, t: TensorProto): void {
  for (const d of t.dims) w.int(1, d);
  w.int(2, t.dataType);
  w.string(8, t.name);
  w.bytes(9, t.raw);
}

// AttributeProto.AttributeType
const ATTRIBUTE = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, INTS: 7 } as const;

function writeAttribute(w: Writer, name: string, value: AttributeValue): void {
  w.string(1, name);
  if ('float' in value) {
    w.float(2, value.float);
    w.int(20, ATTRIBUTE.FLOAT);
  } else if ('int' in value) {
    w.int(3, value.int);
    w.int(20, ATTRIBUTE.INT);
  } else if ('ints' in value) {
    for (const i of value.ints) {
      if (i < 0) throw new Error('negative int attributes are not supported by this encoder');
      w.int(8, i);
    }
    w.int(20, ATTRIBUTE.INTS);
  } else if ('string' in value) {
    w.string(4, value.string);
    w.int(20, ATTRIBUTE.STRING);
  } else {
    w.message(5, (m) => writeTensor(m, value.tensor));
    w.int(20, ATTRIBUTE.TENSOR);
  }
}

function writeNode(w: Writer, n: NodeProto): void {
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  if (n.name) w.string(3, n.name);
  w.string(4, n.opType);
  for (const [name, value] of Object.entries(n.attributes ?? {})) w.message(5, (a) => writeAttribute(a, name, value));
}

function writeValueInfo(w: Writer, v: ValueInfo): void {
  w.string(1, v.name);
  // TypeProto { tensor_type (1): { elem_type (1), shape (2): { dim (1): { dim_value (1) | dim_param (2) } } } }
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, v.elemType);
      const dims = v.dims;
      if (dims) {
        tensor.message(2, (shape) => {
          for (const d of dims) shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
        });
      }
    }),
  );
}

/** Serialises a model to ONNX bytes. */
export function encodeModel(model: ModelProto): Uint8Array {
  const w = new Writer();
  w.int(1, model.irVersion);
  w.string(2, model.producer);
  w.message(7, (g) => {
    for (const n of model.graph.nodes) g.message(1, (m) => writeNode(m, n));
    g.string(2, model.graph.name);
    for (const t of model.graph.initializers) g.message(5, (m) => writeTensor(m, t));
    for (const v of model.graph.inputs) g.message(11, (m) => writeValueInfo(m, v));
    for (const v of model.graph.outputs) g.message(12, (m) => writeValueInfo(m, v));
  });
  // OperatorSetIdProto { domain (1) = "" (the default ONNX domain), version (2) }
  w.message(8, (o) => o.int(2, model.opset));
  return w.finish();
}
