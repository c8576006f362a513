/**
 * dlib's face recognition ResNet (dlib_face_recognition_resnet_model_v1: 29 conv layers, 150x150 RGB in,
 * 128-d out; LFW 99.38% in dlib's report), described once (nets/graph.ts) over the weights that
 * @vladmandic/face-api ships (converted from dlib, 8-bit quantised) and run by either engine.
 */
import { FaceError } from '../errors.js';
import type { Engine, NetworkRunner } from '../nets/engine.js';
import { normalisedBatch } from '../nets/pixels.js';
import { ScratchBuffer } from '../nets/scratch.js';
import { type Layer, type NetworkGraph, windowOutput } from '../nets/graph.js';
import type { Point } from '../types.js';
import { loadWeights, requireWeight, type WeightArray, type WeightMap, type WeightSource } from '../weights.js';
import type { Embedder, EmbedderSpec } from './embedder.js';

export const DLIB_RESNET_WEIGHTS: WeightSource = {
  packageName: '@vladmandic/face-api',
  version: '1.7.15',
  manifest: 'model/face_recognition_model-weights_manifest.json',
  sha256: {
    'model/face_recognition_model-weights_manifest.json': 'cbaffa501b0b9275a12b63357a6843e7e30c054e1c9151e1a5f879b26e32986b',
    'model/face_recognition_model.bin': 'b413e420d6840b2775fba32008db6f3cddb07d485967fb42cfcf379c16a8c589',
  },
};

/**
 * dlib's face chip (get_face_chip_details, size 150, padding 0.25) places its 68-point mean face at
 * (padding + p) / (1 + 2 * padding) * 150. The MTCNN points map to means of that shape: each eye centre is
 * the mean of its six eye points, the nose is point 30 (tip), the mouth corners are points 48 and 54.
 * View 1 tuning (bench/tune-template.ts) then moved the set as a whole; see TEMPLATE_ADJUSTMENT.
 */
const DLIB_MEAN_FACE_POINTS: readonly Point[] = [
  { x: 0.225492, y: 0.21599 },
  { x: 0.754761, y: 0.21599 },
  { x: 0.490127, y: 0.515625 },
  { x: 0.254149, y: 0.780233 },
  { x: 0.726104, y: 0.780233 },
];

/** Scale about the template centre and vertical shift in chip pixels, chosen on LFW View 1. */
export const TEMPLATE_ADJUSTMENT = { scale: 1.12, shiftY: 0 };

export function dlibChipTemplate(size = 150, padding = 0.25, adjust = TEMPLATE_ADJUSTMENT): Point[] {
  const raw = DLIB_MEAN_FACE_POINTS.map((p) => ({
    x: ((padding + p.x) / (1 + 2 * padding)) * size,
    y: ((padding + p.y) / (1 + 2 * padding)) * size,
  }));
  const cx = raw.reduce((s, p) => s + p.x, 0) / raw.length;
  const cy = raw.reduce((s, p) => s + p.y, 0) / raw.length;
  return raw.map((p) => ({ x: cx + (p.x - cx) * adjust.scale, y: cy + (p.y - cy) * adjust.scale + adjust.shiftY }));
}

export const DLIB_RESNET_SPEC: EmbedderSpec = {
  name: 'dlib-resnet-v1',
  dimensions: 128,
  inputSize: 150,
  template: dlibChipTemplate(),
};

/** dlib subtracts these channel means and divides by 256. */
const MEAN_RGB = [122.782, 117.001, 104.298] as const;

/**
 * conv(x, W) + b, then * s + o  ==  conv(x, W * s) + (b * s + o): dlib's affine "scale" layer (its folded
 * batch norm) is folded into each conv at load, in float32 as TF.js would compute it.
 */
function foldedConv(map: WeightMap, prefix: string): { filters: WeightArray; bias: WeightArray } {
  const filters = requireWeight(map, `${prefix}/conv/filters`, 4);
  const bias = requireWeight(map, `${prefix}/conv/bias`, 1);
  const scale = requireWeight(map, `${prefix}/scale/weights`, 1).data;
  const offset = requireWeight(map, `${prefix}/scale/biases`, 1).data;
  const channels = scale.length;
  const folded = new Float32Array(filters.data.length);
  for (let i = 0; i < folded.length; i++) folded[i] = filters.data[i]! * scale[i % channels]!;
  const b = new Float32Array(channels);
  for (let c = 0; c < channels; c++) b[c] = Math.fround(bias.data[c]! * scale[c]!) + offset[c]!;
  return { filters: { data: folded, shape: filters.shape }, bias: { data: b, shape: [channels] } };
}

/** Residual blocks after the stem: name and whether it down-samples (and may widen). */
const BLOCKS: ReadonlyArray<[string, boolean]> = [
  ['conv32_1', false], ['conv32_2', false], ['conv32_3', false],
  ['conv64_down', true], ['conv64_1', false], ['conv64_2', false], ['conv64_3', false],
  ['conv128_down', true], ['conv128_1', false], ['conv128_2', false],
  ['conv256_down', true], ['conv256_1', false], ['conv256_2', false],
  ['conv256_down_out', true],
];

/**
 * The network as an engine-neutral description. Stride-2 convolutions are 'valid' (they down-sample),
 * stride-1 ones 'same'. A down-sampling block's shortcut is a 2x2 average pool, zero-padded in channels
 * when the block widens; its main path is zero-padded by a row and a column where the valid conv came
 * out one smaller than the pool.
 */
export function dlibResNetNetwork(map: WeightMap, inputSize = DLIB_RESNET_SPEC.inputSize): NetworkGraph {
  const count = Object.keys(map).length;
  if (count !== 117) throw new FaceError('MODEL_LOAD_FAILED', `dlib ResNet manifest has ${count} tensors, expected 117`);
  const layers: Layer[] = [];
  let n = 0;
  const fresh = () => `v${n++}`;
  const conv = (from: string, prefix: string, stride: 1 | 2, activation: 'relu' | 'linear'): string => {
    const out = fresh();
    layers.push({ op: 'conv', in: from, out, stride, pad: stride === 2 ? 'valid' : 'same', activation, ...foldedConv(map, prefix) });
    return out;
  };
  const push = (layer: Layer): string => {
    layers.push(layer);
    return layer.out;
  };
  let side = windowOutput(inputSize, 7, 2, 'valid');
  let x = conv('input', 'conv32_down', 2, 'relu');
  x = push({ op: 'maxPool', in: x, out: fresh(), size: 3, stride: 2, pad: 'valid' });
  side = windowOutput(side, 3, 2, 'valid');
  let channels = 32;
  for (const [name, down] of BLOCKS) {
    if (!down) {
      const main = conv(conv(x, `${name}/conv1`, 1, 'relu'), `${name}/conv2`, 1, 'linear');
      x = push({ op: 'relu', in: push({ op: 'add', a: main, b: x, out: fresh() }), out: fresh() });
      continue;
    }
    let main = conv(conv(x, `${name}/conv1`, 2, 'relu'), `${name}/conv2`, 1, 'linear');
    const mainSide = windowOutput(side, 3, 2, 'valid');
    const poolSide = windowOutput(side, 2, 2, 'valid');
    const widened = requireWeight(map, `${name}/conv1/conv/filters`, 4).shape[3]!;
    let shortcut = push({ op: 'avgPool', in: x, out: fresh(), size: 2, stride: 2 });
    if (mainSide !== poolSide) {
      const extra = poolSide - mainSide;
      main = push({ op: 'pad', in: main, out: fresh(), rows: [0, extra], cols: [0, extra], channels: [0, 0] });
    }
    if (widened !== channels) {
      shortcut = push({ op: 'pad', in: shortcut, out: fresh(), rows: [0, 0], cols: [0, 0], channels: [0, widened - channels] });
    }
    x = push({ op: 'relu', in: push({ op: 'add', a: shortcut, b: main, out: fresh() }), out: fresh() });
    side = poolSide;
    channels = widened;
  }
  const features = push({ op: 'dense', in: push({ op: 'globalMean', in: x, out: fresh() }), out: fresh(), weights: requireWeight(map, 'fc', 2), activation: 'linear' });
  layers.push({ op: 'l2normalize', in: features, out: 'embedding' });
  return { name: 'dlib_resnet', input: { name: 'input', channels: 3, size: [inputSize, inputSize] }, layers, outputs: ['embedding'] };
}

export class DlibResNetEmbedder implements Embedder {
  readonly spec = DLIB_RESNET_SPEC;
  private readonly pixels = new ScratchBuffer();

  private constructor(private readonly network: NetworkRunner) {}

  /** Loads and checks the weights and builds the network on `engine`. */
  static load(engine: Engine): DlibResNetEmbedder {
    return new DlibResNetEmbedder(engine.network(dlibResNetNetwork(loadWeights(DLIB_RESNET_WEIGHTS))));
  }

  dispose(): void {
    this.network.dispose();
  }

  embed(chips: readonly Uint8Array[]): Float32Array[] {
    if (chips.length === 0) return [];
    const size = this.spec.inputSize;
    const pixels = normalisedBatch(chips, size, MEAN_RGB, 256, this.pixels.take(chips.length * size * size * 3));
    const [out] = this.network.run(pixels, [chips.length, size, size, 3]);
    const d = this.spec.dimensions;
    return chips.map((_, i) => out!.data.slice(i * d, (i + 1) * d));
  }
}
