/** Runs network descriptions (nets/graph.ts) with TF.js ops on the thread's TF.js backend. */
import { tf } from '../tf.js';
import type { RgbImage } from '../types.js';
import type { WeightArray } from '../weights.js';
import type { Engine, NetworkRunner, Output, PyramidRunner, PyramidScan } from './engine.js';
import type { Layer, NetworkGraph } from './graph.js';

type Values = Map<string, tf.Tensor>;

/** The graph's weights uploaded once as tensors, and a forward pass over them. */
class TfNetwork {
  private readonly weights = new Map<WeightArray, tf.Tensor>();

  constructor(private readonly graph: NetworkGraph) {
    for (const layer of graph.layers) {
      for (const w of weightsOf(layer)) if (!this.weights.has(w)) this.weights.set(w, tf.tensor(w.data, w.shape, 'float32'));
    }
  }

  private w<T extends tf.Tensor>(array: WeightArray | undefined): T {
    const t = array && this.weights.get(array);
    if (!t) throw new Error(`${this.graph.name}: layer weight missing`);
    return t as T;
  }

  /** The graph's outputs for input x; call inside tf.tidy (the outputs belong to the caller). */
  forward(x: tf.Tensor4D): tf.Tensor[] {
    const values: Values = new Map([[this.graph.input.name, x]]);
    const get = <T extends tf.Tensor>(name: string): T => {
      const v = values.get(name);
      if (!v) throw new Error(`${this.graph.name}: value ${name} used before it is defined`);
      return v as T;
    };
    for (const layer of this.graph.layers) values.set(layer.out, this.layer(layer, get));
    return this.graph.outputs.map((name) => get(name));
  }

  private layer(l: Layer, get: <T extends tf.Tensor>(name: string) => T): tf.Tensor {
    switch (l.op) {
      case 'conv':
        return tf.fused.conv2d({
          x: get<tf.Tensor4D>(l.in), filter: this.w<tf.Tensor4D>(l.filters), strides: l.stride, pad: l.pad,
          bias: this.w(l.bias), activation: l.activation, preluActivationWeights: l.alpha && this.w(l.alpha),
        });
      case 'maxPool':
        return tf.maxPool(get<tf.Tensor4D>(l.in), l.size, l.stride, l.pad);
      case 'avgPool':
        return tf.avgPool(get<tf.Tensor4D>(l.in), l.size, l.stride, 'valid');
      case 'dense':
        if (!l.bias && l.activation === 'linear') return tf.matMul(get<tf.Tensor2D>(l.in), this.w<tf.Tensor2D>(l.weights));
        return tf.fused.matMul({
          a: get<tf.Tensor2D>(l.in), b: this.w<tf.Tensor2D>(l.weights), bias: l.bias && this.w(l.bias),
          activation: l.activation, preluActivationWeights: l.alpha && this.w(l.alpha),
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
    tf.dispose([...this.weights.values()]);
    this.weights.clear();
  }
}

function weightsOf(l: Layer): WeightArray[] {
  if (l.op === 'conv') return [l.filters, l.bias, ...(l.alpha ? [l.alpha] : [])];
  if (l.op === 'dense') return [l.weights, ...(l.bias ? [l.bias] : []), ...(l.alpha ? [l.alpha] : [])];
  return [];
}

function read(tensors: tf.Tensor[]): Output[] {
  try {
    return tensors.map((t) => ({ data: t.dataSync() as Float32Array, shape: [...t.shape] }));
  } finally {
    tf.dispose(tensors);
  }
}

function normaliseAndTranspose(x: tf.Tensor4D): tf.Tensor4D {
  return tf.transpose(tf.mul<tf.Tensor4D>(tf.sub<tf.Tensor4D>(x, 127.5), 0.0078125), [0, 2, 1, 3]);
}

class TfPyramidScan implements PyramidScan {
  private current: tf.Tensor4D;

  constructor(
    private readonly net: TfNetwork,
    image: RgbImage,
  ) {
    this.current = tf.tensor4d(Float32Array.from(image.data), [1, image.height, image.width, 3]);
  }

  level(height: number, width: number): Output[] {
    // Each level is resized from the previous one: every step shrinks by at most ~0.7, so bilinear
    // sampling does not alias the way a single large downscale would.
    const next = tf.image.resizeBilinear(this.current, [height, width], false, true);
    this.current.dispose();
    this.current = next;
    return read(tf.tidy(() => this.net.forward(normaliseAndTranspose(next))));
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
    return { scan: (image) => new TfPyramidScan(net, image), dispose: () => net.dispose() };
  }

  tensorCount(): number {
    return tf.memory().numTensors;
  }
}
