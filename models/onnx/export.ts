/**
 * Compiles network descriptions (nets/graph.ts) to ONNX graphs, in memory, from the same weight arrays
 * the TF.js engine uses. ONNX convolutions are NCHW: filters are permuted HWIO -> OIHW here, feature maps
 * stay NCHW inside the graph, and outputs are transposed back to the description's NHWC layout.
 */
import type { WeightArray } from '../weights.js';
import type { Layer, NetworkGraph } from '../nets/graph.js';
import { type AttributeValue, DataType, type Dim, type ModelProto, type NodeProto, type TensorProto, type ValueInfo, encodeModel } from './proto.js';

/** ONNX opset and IR version of opset 17 (ONNX 1.12), well inside what ONNX Runtime 1.30 supports. */
const OPSET = 17;
const IR_VERSION = 8;

export class OnnxGraph {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  readonly inputs: ValueInfo[] = [];
  readonly outputs: ValueInfo[] = [];
  private count = 0;

  constructor(readonly name: string) {}

  private fresh(hint: string): string {
    return `${hint}_${this.count++}`;
  }

  input(name: string, elemType: number, dims: readonly Dim[]): string {
    this.inputs.push({ name, elemType, dims });
    return name;
  }

  /** Declares `value` as a graph output named `name` (an Identity node when the names differ). */
  output(value: string, name: string): void {
    if (value !== name) this.node('Identity', [value], {}, name);
    this.outputs.push({ name, elemType: DataType.FLOAT });
  }

  floats(data: Float32Array, dims: readonly number[], hint = 'w'): string {
    const name = this.fresh(hint);
    this.initializers.push({ name, dataType: DataType.FLOAT, dims, raw: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
    return name;
  }

  int64s(values: readonly number[], dims: readonly number[] = [values.length]): string {
    const raw = new Uint8Array(values.length * 8);
    const view = new DataView(raw.buffer);
    values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
    const name = this.fresh('i');
    this.initializers.push({ name, dataType: DataType.INT64, dims, raw });
    return name;
  }

  scalar(value: number): string {
    return this.floats(Float32Array.of(value), [], 'c');
  }

  /** Adds a node and returns its (single) output's name. */
  node(opType: string, inputs: readonly string[], attributes: Record<string, AttributeValue> = {}, out?: string): string {
    const output = out ?? this.fresh(opType.toLowerCase());
    this.nodes.push({ opType, inputs, outputs: [output], name: output, attributes });
    return output;
  }

  encode(): Uint8Array {
    const model: ModelProto = {
      irVersion: IR_VERSION,
      opset: OPSET,
      producer: 'facegate',
      graph: { name: this.name, nodes: this.nodes, initializers: this.initializers, inputs: this.inputs, outputs: this.outputs },
    };
    return encodeModel(model);
  }
}

/** Channels per block of ORT's blocked (NCHWc) CPU kernels: 16 with AVX-512, 8 with AVX2. */
const CHANNEL_BLOCK = 16;

function readersOf(layers: readonly Layer[], value: string): Layer[] {
  return layers.filter((l) => (l.op === 'add' ? l.a === value || l.b === value : l.in === value));
}

/** HWIO filters with zero output channels (`axis` 3) or zero input channels (`axis` 2) up to `to`. */
function zeroChannels(w: WeightArray, axis: 2 | 3, to: number): WeightArray {
  const [kh, kw, ci, co] = w.shape as [number, number, number, number];
  const [ci2, co2] = axis === 3 ? [ci, to] : [to, co];
  const data = new Float32Array(kh * kw * ci2 * co2);
  for (let p = 0; p < kh * kw; p++) {
    for (let i = 0; i < ci; i++) data.set(w.data.subarray((p * ci + i) * co, (p * ci + i + 1) * co), (p * ci2 + i) * co2);
  }
  return { data, shape: [kh, kw, ci2, co2] };
}

function zeroExtend(v: WeightArray, to: number): WeightArray {
  const data = new Float32Array(to);
  data.set(v.data);
  return { data, shape: [to] };
}

/**
 * A convolution whose channels are not a whole number of blocks, read (through max pools only) by one
 * other convolution, gets zero filters up to the next block and its reader zero weights for them: the
 * same numbers, but the pools between them stay in ORT's blocked layout instead of a reorder out of it,
 * a pool on plain NCHW and a reorder back. R-Net's first layer (28 channels) and P-Net's (10) are the
 * two. Measured on the 2-core Intel machine: R-Net on 53 crops 1.65 -> 1.28 ms (outputs bit for bit the
 * same); detect 8.98 -> 8.41 and 8.53 -> 7.99 ms per LFW image with both (interleaved in one process, the
 * same faces to the last bit on 100 images; P-Net's scores can move in the last bits, its second convolution
 * no longer taking the kernel for plain inputs). On the AMD machine an earlier try of R-Net's padding
 * saved nothing.
 */
function padChannelsToBlocks(net: NetworkGraph): NetworkGraph {
  const layers = [...net.layers];
  for (let i = 0; i < layers.length; i++) {
    const conv = layers[i]!;
    if (conv.op !== 'conv') continue;
    const channels = conv.filters.shape[3]!;
    const padded = Math.ceil(channels / CHANNEL_BLOCK) * CHANNEL_BLOCK;
    if (padded === channels) continue;
    let value = conv.out;
    let reader: Layer | undefined;
    for (;;) {
      const readers = readersOf(layers, value);
      if (net.outputs.includes(value) || readers.length !== 1) break;
      if (readers[0]!.op !== 'maxPool') {
        reader = readers[0];
        break;
      }
      value = readers[0]!.out;
    }
    if (reader?.op !== 'conv') continue;
    layers[i] = {
      ...conv,
      filters: zeroChannels(conv.filters, 3, padded),
      bias: zeroExtend(conv.bias, padded),
      ...(conv.alpha ? { alpha: zeroExtend(conv.alpha, padded) } : {}),
    };
    layers[layers.indexOf(reader)] = { ...reader, filters: zeroChannels(reader.filters, 2, padded) };
  }
  return { ...net, layers };
}

/** HWIO -> OIHW. */
function filtersOIHW(w: WeightArray): { data: Float32Array; dims: number[] } {
  const [kh, kw, ci, co] = w.shape as [number, number, number, number];
  const out = new Float32Array(w.data.length);
  for (let h = 0; h < kh; h++) {
    for (let x = 0; x < kw; x++) {
      for (let i = 0; i < ci; i++) {
        const src = ((h * kw + x) * ci + i) * co;
        for (let o = 0; o < co; o++) out[((o * ci + i) * kh + h) * kw + x] = w.data[src + o]!;
      }
    }
  }
  return { data: out, dims: [co, ci, kh, kw] };
}

/** ONNX's SAME_UPPER is TF's 'same': the odd padding pixel goes at the end. */
function padding(pad: 'valid' | 'same'): Record<string, AttributeValue> {
  return { auto_pad: { string: pad === 'same' ? 'SAME_UPPER' : 'VALID' } };
}

function activate(g: OnnxGraph, x: string, activation: string, alpha: WeightArray | undefined, rank: number): string {
  if (activation === 'relu') return g.node('Relu', [x]);
  if (activation === 'prelu') {
    if (!alpha) throw new Error('prelu without alpha');
    // Written as alpha*x + (1 - alpha)*relu(x), equal to PRelu for every slope (some are negative or
    // above 1), because ORT 1.30's PRelu kernel is slow: it took 40% of R-Net's time, and this form
    // halves R-Net's run (ORT fuses the relu into the convolution and runs the rest vectorised).
    const dims = rank === 4 ? [alpha.data.length, 1, 1] : [alpha.data.length]; // per channel, broadcast over [N, C, H, W] or [N, C]
    const slope = g.floats(alpha.data, dims, 'alpha');
    const rest = g.floats(Float32Array.from(alpha.data, (a) => 1 - a), dims, 'alpha');
    return g.node('Add', [g.node('Mul', [x, slope]), g.node('Mul', [g.node('Relu', [x]), rest])]);
  }
  return x;
}

/**
 * Emits the description's layers onto `g`, starting from `input` (the description's input as NCHW).
 * Returns the ONNX names of the description's outputs, converted to its NHWC layout.
 */
export function emitNetwork(g: OnnxGraph, description: NetworkGraph, input: string): string[] {
  const net = padChannelsToBlocks(description);
  const values = new Map<string, Value>([[net.input.name, { onnx: input, rank: 4, channels: net.input.channels }]]);
  const get = (name: string): Value => {
    const value = values.get(name);
    if (value === undefined) throw new Error(`${net.name}: value ${name} used before it is defined`);
    return value;
  };
  for (const layer of net.layers) values.set(layer.out, emitLayer(g, layer, get));
  return net.outputs.map((name) => {
    const { onnx, rank, channelsLast } = get(name);
    return rank === 4 && !channelsLast ? g.node('Transpose', [onnx], { perm: { ints: [0, 2, 3, 1] } }) : onnx;
  });
}

/**
 * An emitted value: its ONNX name, its rank (4: NCHW, 2: [N, C]) and its channels where known. A softmax
 * over feature maps is the one rank-4 value in NHWC (`channelsLast`), read only by `channel` and outputs.
 */
interface Value {
  onnx: string;
  rank: number;
  channels: number | undefined;
  channelsLast?: boolean;
}

function emitLayer(g: OnnxGraph, l: Layer, lookup: (name: string) => Value): Value {
  const get = (name: string): Value => {
    const value = lookup(name);
    if (value.channelsLast && l.op !== 'channel') throw new Error(`${l.out}: ${l.op} of a softmax over feature maps (NHWC) is not supported`);
    return value;
  };
  const map = (x: Value, onnx: string, rank = x.rank): Value => ({ onnx, rank, channels: x.channels });
  switch (l.op) {
    case 'conv': {
      const f = filtersOIHW(l.filters);
      const y = g.node('Conv', [get(l.in).onnx, g.floats(f.data, f.dims, 'filters'), g.floats(l.bias.data, [l.bias.data.length], 'bias')], {
        kernel_shape: { ints: f.dims.slice(2) },
        strides: { ints: [l.stride, l.stride] },
        ...padding(l.pad),
      });
      return { onnx: activate(g, y, l.activation, l.alpha, 4), rank: 4, channels: f.dims[0] };
    }
    case 'depthwiseConv': {
      // [kh, kw, C, 1] has the memory layout of HWIO [kh, kw, 1, C]: OIHW [C, 1, kh, kw], one group per channel
      const [kh, kw, channels] = l.filters.shape as [number, number, number, number];
      const f = filtersOIHW({ data: l.filters.data, shape: [kh, kw, 1, channels] });
      const y = g.node('Conv', [get(l.in).onnx, g.floats(f.data, f.dims, 'filters')], {
        kernel_shape: { ints: [kh, kw] },
        strides: { ints: [l.stride, l.stride] },
        group: { int: channels },
        ...padding(l.pad),
      });
      return { onnx: y, rank: 4, channels };
    }
    case 'maxPool': {
      const x = get(l.in);
      return map(x, g.node('MaxPool', [x.onnx], { kernel_shape: { ints: [l.size, l.size] }, strides: { ints: [l.stride, l.stride] }, ...padding(l.pad) }));
    }
    case 'avgPool': {
      const x = get(l.in);
      return map(x, g.node('AveragePool', [x.onnx], { kernel_shape: { ints: [l.size, l.size] }, strides: { ints: [l.stride, l.stride] }, ...padding('valid') }));
    }
    case 'dense': {
      const x = get(l.in).onnx;
      const w = g.floats(l.weights.data, l.weights.shape, 'weights');
      const y = l.bias ? g.node('Gemm', [x, w, g.floats(l.bias.data, [l.bias.data.length], 'bias')]) : g.node('MatMul', [x, w]);
      return { onnx: activate(g, y, l.activation, l.alpha, 2), rank: 2, channels: l.weights.shape[1] };
    }
    case 'flatten': {
      const x = get(l.in);
      // the description flattens in NHWC order
      const nhwc = x.rank === 4 ? g.node('Transpose', [x.onnx], { perm: { ints: [0, 2, 3, 1] } }) : x.onnx;
      return { onnx: g.node('Flatten', [nhwc], { axis: { int: 1 } }), rank: 2, channels: undefined };
    }
    case 'softmax': {
      const x = get(l.in);
      if (x.rank === 2) return map(x, g.node('Softmax', [x.onnx], { axis: { int: 1 } }));
      // Over the channels of a feature map: in NHWC, where they are the last axis. ORT's Softmax over any
      // other axis transposes there and back around the same kernel (P-Net's two classes: 110 us of a
      // 1.4 ms run on a 150 px level); the one transpose here merges into the head's layout reorder.
      const nhwc = g.node('Transpose', [x.onnx], { perm: { ints: [0, 2, 3, 1] } });
      return { onnx: g.node('Softmax', [nhwc], { axis: { int: 3 } }), rank: 4, channels: x.channels, channelsLast: true };
    }
    case 'channel': {
      const x = get(l.in);
      const axis = x.channelsLast ? 3 : 1;
      return { onnx: g.node('Gather', [x.onnx, g.int64s([l.index], [])], { axis: { int: axis } }), rank: x.rank === 4 ? 3 : x.rank - 1, channels: undefined };
    }
    case 'add': {
      const a = get(l.a);
      return map(a, g.node('Add', [a.onnx, get(l.b).onnx]));
    }
    case 'relu': {
      const x = get(l.in);
      return map(x, g.node('Relu', [x.onnx]));
    }
    case 'pad':
      return emitPad(g, l, get(l.in));
    case 'globalMean': {
      const x = get(l.in);
      return map(x, g.node('Flatten', [g.node('GlobalAveragePool', [x.onnx])], { axis: { int: 1 } }), 2);
    }
    case 'l2normalize': {
      const x = get(l.in);
      return map(x, g.node('LpNormalization', [x.onnx], { axis: { int: 1 }, p: { int: 2 } }));
    }
  }
}

/**
 * Zero padding, written as a 1x1 convolution with identity weights (zero rows for new channels) and the
 * rows and columns as the convolution's own padding: the same numbers, but ORT's blocked (NCHWc)
 * convolutions take it where a Pad node is not, so the ResNet's down-sampling blocks do not force its
 * feature maps out of that layout and back around every residual add (measured: 25 reorders per run and
 * unfused adds; removing them took the ResNet's run from 5.15 to about 4.6 ms).
 */
function emitPad(g: OnnxGraph, l: Extract<Layer, { op: 'pad' }>, x: Value): Value {
  const [before, after] = l.channels;
  // every feature map (rank 4) knows its channels; only flattened values do not
  if (x.channels === undefined || x.rank !== 4) throw new Error(`pad ${l.out}: its input is not a feature map`);
  const channels = x.channels + before + after;
  const identity = new Float32Array(channels * x.channels);
  for (let c = 0; c < x.channels; c++) identity[(before + c) * x.channels + c] = 1;
  const y = g.node('Conv', [x.onnx, g.floats(identity, [channels, x.channels, 1, 1], 'pad')], {
    kernel_shape: { ints: [1, 1] },
    pads: { ints: [l.rows[0], l.cols[0], l.rows[1], l.cols[1]] },
  });
  return { onnx: y, rank: 4, channels };
}

/** A model that takes an NHWC float batch, as the TF.js engine does, and returns the description's outputs. */
export function networkModel(net: NetworkGraph): Uint8Array {
  const g = new OnnxGraph(net.name);
  const [h, w] = net.input.size ?? ['h', 'w'];
  const x = g.input('input', DataType.FLOAT, ['n', h, w, net.input.channels]);
  const outputs = emitNetwork(g, net, g.node('Transpose', [x], { perm: { ints: [0, 3, 1, 2] } }));
  outputs.forEach((o, i) => g.output(o, net.outputs[i]!));
  return g.encode();
}

/**
 * P-Net with its pyramid step, in two forms. `from: 'image'` takes the decoded bytes as they are, `level`
 * [1, H, W, 3] uint8, and `sizes` [1, h, w, 3]; `from: 'level'` takes the previous level, `level`
 * [1, 3, H, W] float (planar), and `sizes` [1, 3, h, w]. Both output `next` (the level resized to h x w,
 * bilinear with half-pixel centres, planar, fed back for the next level), `prob` and `offsets`. Only the
 * first level is transposed to planar, after the resize; normalisation happens in the graph.
 */
export function pyramidModel(pnet: NetworkGraph, from: 'image' | 'level'): Uint8Array {
  const g = new OnnxGraph(`${pnet.name}_pyramid_${from}`);
  const resize = { mode: { string: 'linear' }, coordinate_transformation_mode: { string: 'half_pixel' } };
  let next: string;
  if (from === 'image') {
    const image = g.input('level', DataType.UINT8, [1, 'h', 'w', 3]);
    const sizes = g.input('sizes', DataType.INT64, [4]);
    const resized = g.node('Resize', [g.node('Cast', [image], { to: { int: DataType.FLOAT } }), '', '', sizes], resize);
    next = g.node('Transpose', [resized], { perm: { ints: [0, 3, 1, 2] } }, 'next');
  } else {
    const level = g.input('level', DataType.FLOAT, [1, 3, 'h', 'w']);
    const sizes = g.input('sizes', DataType.INT64, [4]);
    next = g.node('Resize', [level, '', '', sizes], resize, 'next');
  }
  g.output(next, 'next');
  const normalised = g.node('Mul', [g.node('Sub', [next, g.scalar(127.5)]), g.scalar(0.0078125)]);
  const outputs = emitNetwork(g, pnet, normalised);
  outputs.forEach((o, i) => g.output(o, pnet.outputs[i]!));
  return g.encode();
}
