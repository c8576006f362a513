/** Runs network descriptions (nets/graph.ts) with TF.js ops on the thread's TF.js backend. */
import { tf } from '../tf.js';
import type { RgbImage } from '../types.js';
import type { WeightArray } from '../weights.js';
import type { Engine, NetworkRunner, Output, PyramidRunner, PyramidScan } from './engine.js';
import type { Layer, NetworkGraph } from './graph.js';
import { ScratchBuffer } from './scratch.js';

type Values = Map<string, tf.Tensor>;

interface LayerTensors {
  filters?: tf.Tensor4D;
  weights?: tf.Tensor2D;
  bias?: tf.Tensor1D;
  alpha?: tf.Tensor1D;
}

/** The graph's weights uploaded once as tensors (the float arrays are not kept), and a forward pass over them. */
class TfNetwork {
  private readonly tensors: LayerTensors[];
  private readonly layers: Layer[];
  private readonly graph: Pick<NetworkGraph, 'name' | 'input' | 'outputs'>;

  constructor(graph: NetworkGraph) {
    this.graph = { name: graph.name, input: graph.input, outputs: graph.outputs };
    const upload = <T extends tf.Tensor>(w: WeightArray | undefined) => (w ? (tf.tensor(w.data, w.shape, 'float32') as T) : undefined);
    this.tensors = graph.layers.map((l) =>
      l.op === 'conv'
        ? { filters: upload<tf.Tensor4D>(l.filters), bias: upload<tf.Tensor1D>(l.bias), alpha: upload<tf.Tensor1D>(l.alpha) }
        : l.op === 'depthwiseConv'
          ? { filters: upload<tf.Tensor4D>(l.filters) }
          : l.op === 'dense'
          ? { weights: upload<tf.Tensor2D>(l.weights), bias: upload<tf.Tensor1D>(l.bias), alpha: upload<tf.Tensor1D>(l.alpha) }
          : {},
    );
    this.layers = graph.layers.map(withoutData);
  }

  /** The graph's outputs for input x; call inside tf.tidy (the outputs belong to the caller). */
  forward(x: tf.Tensor4D): tf.Tensor[] {
    const values: Values = new Map([[this.graph.input.name, x]]);
    const get = <T extends tf.Tensor>(name: string): T => {
      const v = values.get(name);
      if (!v) throw new Error(`${this.graph.name}: value ${name} used before it is defined`);
      return v as T;
    };
    this.layers.forEach((layer, i) => values.set(layer.out, this.layer(layer, this.tensors[i]!, get)));
    return this.graph.outputs.map((name) => get(name));
  }

  private layer(l: Layer, w: LayerTensors, get: <T extends tf.Tensor>(name: string) => T): tf.Tensor {
    switch (l.op) {
      case 'conv':
        return tf.fused.conv2d({
          x: get<tf.Tensor4D>(l.in), filter: w.filters!, strides: l.stride, pad: l.pad,
          bias: w.bias, activation: l.activation, preluActivationWeights: w.alpha,
        });
      case 'depthwiseConv':
        return tf.depthwiseConv2d(get<tf.Tensor4D>(l.in), w.filters!, l.stride, l.pad);
      case 'maxPool':
        return tf.maxPool(get<tf.Tensor4D>(l.in), l.size, l.stride, l.pad);
      case 'avgPool':
        return tf.avgPool(get<tf.Tensor4D>(l.in), l.size, l.stride, 'valid');
      case 'dense':
        if (!w.bias && l.activation === 'linear') return tf.matMul(get<tf.Tensor2D>(l.in), w.weights!);
        return tf.fused.matMul({
          a: get<tf.Tensor2D>(l.in), b: w.weights!, bias: w.bias,
          activation: l.activation, preluActivationWeights: w.alpha,
        });
      case 'flatten': {
        const x = get(l.in);
        return tf.reshape(x, [x.shape[0]!, x.size / x.shape[0]!]);
      }
      case 'softmax':
        return tf.softmax(get(l.in));
      case 'channel': {
        const x = get(l.in);
        const last = x.rank - 1;
        const begin = x.shape.map((_, i) => (i === last ? l.index : 0));
        const size = x.shape.map((_, i) => (i === last ? 1 : -1));
        return tf.squeeze(tf.slice(x, begin, size), [last]);
      }
      case 'add':
        return tf.add(get(l.a), get(l.b));
      case 'relu':
        return tf.relu(get(l.in));
      case 'pad':
        return tf.pad(get<tf.Tensor4D>(l.in), [[0, 0], l.rows, l.cols, l.channels]);
      case 'globalMean':
        return tf.mean(get(l.in), [1, 2]);
      case 'l2normalize': {
        const x = get(l.in);
        return tf.div(x, tf.norm(x, 'euclidean', 1, true));
      }
    }
  }

  dispose(): void {
    for (const t of this.tensors) tf.dispose([t.filters, t.weights, t.bias, t.alpha].filter((x) => x !== undefined) as tf.Tensor[]);
    this.tensors.length = 0;
  }
}

const NO_DATA = new Float32Array(0);
const hollow = (w: WeightArray): WeightArray => ({ data: NO_DATA, shape: w.shape });

/** The layer with its weight arrays emptied (their values live in tensors now). */
function withoutData(l: Layer): Layer {
  if (l.op === 'conv') return { ...l, filters: hollow(l.filters), bias: hollow(l.bias), ...(l.alpha ? { alpha: hollow(l.alpha) } : {}) };
  if (l.op === 'depthwiseConv') return { ...l, filters: hollow(l.filters) };
  if (l.op === 'dense') return { ...l, weights: hollow(l.weights), ...(l.bias ? { bias: hollow(l.bias) } : {}), ...(l.alpha ? { alpha: hollow(l.alpha) } : {}) };
  return l;
}

function read(tensors: tf.Tensor[]): Output[] {
  try {
    return tensors.map((t) => ({ data: t.dataSync() as Float32Array, shape: [...t.shape] }));
  } finally {
    tf.dispose(tensors);
  }
}

function normalise(x: tf.Tensor4D): tf.Tensor4D {
  return tf.mul<tf.Tensor4D>(tf.sub<tf.Tensor4D>(x, 127.5), 0.0078125);
}

class TfPyramidScan implements PyramidScan {
  private current: tf.Tensor4D;

  constructor(
    private readonly net: TfNetwork,
    image: RgbImage,
    scratch: ScratchBuffer,
  ) {
    // A reused buffer (tensor creation copies it) instead of a fresh array per image: the 0.75 MB of
    // garbage per 250 px image it left was half of the wasm engine's typed-array churn, which V8 answers
    // with major collections (in a side-by-side bench, about 20 of them per 100 images paid by whichever
    // engine decoded next).
    const pixels = scratch.take(image.data.length);
    pixels.set(image.data);
    this.current = tf.tensor4d(pixels, [1, image.height, image.width, 3]);
  }

  level(height: number, width: number): Output[] {
    // Each level is resized from the previous one: every step shrinks by at most ~0.7, so bilinear
    // sampling does not alias the way a single large downscale would.
    const next = tf.image.resizeBilinear(this.current, [height, width], false, true);
    this.current.dispose();
    this.current = next;
    return read(tf.tidy(() => this.net.forward(normalise(next))));
  }

  dispose(): void {
    this.current.dispose();
  }
}

export class TfEngine implements Engine {
  constructor(readonly backend: string) {}

  network(graph: NetworkGraph): NetworkRunner {
    const net = new TfNetwork(graph);
    return {
      run: (input, shape) => read(tf.tidy(() => net.forward(tf.tensor4d(input, [...shape])))),
      dispose: () => net.dispose(),
    };
  }

  pyramid(pnet: NetworkGraph): PyramidRunner {
    const net = new TfNetwork(pnet);
    const scratch = new ScratchBuffer();
    return { scan: (image) => new TfPyramidScan(net, image, scratch), dispose: () => net.dispose() };
  }

  tensorCount(): number {
    return tf.memory().numTensors;
  }
}
