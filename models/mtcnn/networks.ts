/**
 * P-Net, R-Net and O-Net of Zhang et al. (2016) over the original weights, as engine-neutral network
 * descriptions (nets/graph.ts). The weights were trained on transposed images (Caffe/MATLAB column order).
 * R-Net and O-Net flatten their features in that order, so their inputs are transposed crops
 * [batch, width, height, channels]. P-Net is fully convolutional: its filters are transposed instead (kernel
 * rows and columns swapped), so it runs on pyramid levels as they are and its outputs are in image
 * orientation, with no transpose of the levels. Inputs are already normalised to (pixel - 127.5) / 128.
 */
import { FaceError } from '../errors.js';
import type { Layer, NetworkGraph } from '../nets/graph.js';
import { requireWeight, type WeightArray, type WeightMap } from '../weights.js';

export interface MtcnnNetworks {
  /** Fully convolutional, on an untransposed level: outputs `prob` [1, H', W'] and `offsets` [1, H', W', 4]. */
  pnet: NetworkGraph;
  /** On [N, 24, 24, 3] crops: `prob` [N] and `offsets` [N, 4]. */
  rnet: NetworkGraph;
  /**
   * On [N, 48, 48, 3] crops: `prob` [N], `offsets` [N, 4] and `landmarks` [N, 10] (five x fractions of
   * the box width, then five y fractions of its height).
   */
  onet: NetworkGraph;
}

/** A conv filter [kh, kw, in, out] with its kernel rows and columns swapped: the filter for the transposed image. */
function transposedKernel(w: WeightArray): WeightArray {
  const [kh, kw, ci, co] = w.shape as [number, number, number, number];
  const data = new Float32Array(w.data.length);
  const cell = ci * co;
  for (let h = 0; h < kh; h++) {
    for (let x = 0; x < kw; x++) data.set(w.data.subarray((h * kw + x) * cell, (h * kw + x + 1) * cell), (x * kh + h) * cell);
  }
  return { data, shape: [kw, kh, ci, co] };
}

class Builder {
  readonly layers: Layer[] = [];
  private count = 0;
  constructor(
    private readonly weights: WeightMap,
    private readonly net: string,
    private last: string,
    /** P-Net: filters for the untransposed image. */
    private readonly transposeKernels = false,
  ) {}

  private filters(name: string): WeightArray {
    const w = requireWeight(this.weights, name, 4);
    return this.transposeKernels ? transposedKernel(w) : w;
  }

  private next(): string {
    return `${this.net}_${this.count++}`;
  }
  private push(layer: Layer): this {
    this.layers.push(layer);
    this.last = layer.out;
    return this;
  }
  get value(): string {
    return this.last;
  }
  convPrelu(name: string, prelu: string): this {
    return this.push({
      op: 'conv', in: this.last, out: this.next(), stride: 1, pad: 'valid', activation: 'prelu',
      filters: this.filters(`${this.net}/${name}/weights`),
      bias: requireWeight(this.weights, `${this.net}/${name}/bias`, 1),
      alpha: requireWeight(this.weights, `${this.net}/${prelu}`, 1),
    });
  }
  maxPool(size: number, stride: number, pad: 'valid' | 'same'): this {
    return this.push({ op: 'maxPool', in: this.last, out: this.next(), size, stride, pad });
  }
  flatten(): this {
    return this.push({ op: 'flatten', in: this.last, out: this.next() });
  }
  densePrelu(name: string, prelu: string): this {
    return this.push({
      op: 'dense', in: this.last, out: this.next(), activation: 'prelu',
      weights: requireWeight(this.weights, `${this.net}/${name}/weights`, 2),
      bias: requireWeight(this.weights, `${this.net}/${name}/bias`, 1),
      alpha: requireWeight(this.weights, `${this.net}/${prelu}`, 1),
    });
  }
  /** A linear head on `from`: a 1x1 conv on feature maps (P-Net) or a dense layer on features. */
  head(from: string, name: string, out: string, kind: 'conv' | 'dense'): string {
    const weights = kind === 'conv' ? this.filters(`${this.net}/${name}/weights`) : requireWeight(this.weights, `${this.net}/${name}/weights`, 2);
    const bias = requireWeight(this.weights, `${this.net}/${name}/bias`, 1);
    this.layers.push(
      kind === 'conv'
        ? { op: 'conv', in: from, out, filters: weights, bias, stride: 1, pad: 'valid', activation: 'linear' }
        : { op: 'dense', in: from, out, weights, bias, activation: 'linear' },
    );
    return out;
  }
  /** Face probability: softmax over the two classes, then the "face" class. */
  probability(from: string, name: string, kind: 'conv' | 'dense'): void {
    const logits = this.head(from, name, `${this.net}_logits`, kind);
    this.layers.push({ op: 'softmax', in: logits, out: `${this.net}_softmax` });
    this.layers.push({ op: 'channel', in: `${this.net}_softmax`, out: 'prob', index: 1 });
  }
}

function pnet(weights: WeightMap): NetworkGraph {
  const b = new Builder(weights, 'pnet', 'input', true);
  b.convPrelu('conv1', 'prelu1_alpha').maxPool(2, 2, 'same').convPrelu('conv2', 'prelu2_alpha').convPrelu('conv3', 'prelu3_alpha');
  const features = b.value;
  b.probability(features, 'conv4_1', 'conv');
  b.head(features, 'conv4_2', 'offsets', 'conv');
  return { name: 'pnet', input: { name: 'input', channels: 3 }, layers: b.layers, outputs: ['prob', 'offsets'] };
}

function rnet(weights: WeightMap): NetworkGraph {
  const b = new Builder(weights, 'rnet', 'input');
  b.convPrelu('conv1', 'prelu1_alpha').maxPool(3, 2, 'same')
    .convPrelu('conv2', 'prelu2_alpha').maxPool(3, 2, 'valid')
    .convPrelu('conv3', 'prelu3_alpha')
    .flatten().densePrelu('fc1', 'prelu4_alpha');
  const features = b.value;
  b.probability(features, 'fc2_1', 'dense');
  b.head(features, 'fc2_2', 'offsets', 'dense');
  return { name: 'rnet', input: { name: 'input', channels: 3, size: [24, 24] }, layers: b.layers, outputs: ['prob', 'offsets'] };
}

function onet(weights: WeightMap): NetworkGraph {
  const b = new Builder(weights, 'onet', 'input');
  b.convPrelu('conv1', 'prelu1_alpha').maxPool(3, 2, 'same')
    .convPrelu('conv2', 'prelu2_alpha').maxPool(3, 2, 'valid')
    .convPrelu('conv3', 'prelu3_alpha').maxPool(2, 2, 'same')
    .convPrelu('conv4', 'prelu4_alpha')
    .flatten().densePrelu('fc1', 'prelu5_alpha');
  const features = b.value;
  b.probability(features, 'fc2_1', 'dense');
  b.head(features, 'fc2_2', 'offsets', 'dense');
  b.head(features, 'fc2_3', 'landmarks', 'dense');
  return { name: 'onet', input: { name: 'input', channels: 3, size: [48, 48] }, layers: b.layers, outputs: ['prob', 'offsets', 'landmarks'] };
}

/** Describes the three networks over the 50 MTCNN weights; fails on any missing or extra one. */
export function mtcnnNetworks(weights: WeightMap): MtcnnNetworks {
  const count = Object.keys(weights).length;
  if (count !== 50) throw new FaceError('MODEL_LOAD_FAILED', `MTCNN manifest has ${count} tensors, expected 50`);
  return { pnet: pnet(weights), rnet: rnet(weights), onet: onet(weights) };
}
