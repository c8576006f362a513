/**
 * dlib's face recognition ResNet (dlib_face_recognition_resnet_model_v1: 29 conv layers, 150x150 RGB in,
 * 128-d out; LFW 99.38% in dlib's report), defined with TF.js ops over the weights that
 * @vladmandic/face-api ships (converted from dlib, 8-bit quantised).
 */
import { FaceError } from '../errors.js';
import { tf } from '../tf.js';
import type { Point } from '../types.js';
import { loadWeights, requireTensor, type WeightSource } from '../weights.js';
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

/** A conv layer with dlib's affine "scale" layer (its folded batch norm) folded into filters and bias. */
interface ConvLayer {
  filters: tf.Tensor4D;
  bias: tf.Tensor1D;
}
interface Residual {
  conv1: ConvLayer;
  conv2: ConvLayer;
}

/**
 * conv(x, W) + b, then * s + o  ==  conv(x, W * s) + (b * s + o): folding the scale layer at load time
 * turns each layer into one fused conv. The folded tensors are new: the embedder owns and disposes them.
 */
function convLayer(map: tf.NamedTensorMap, prefix: string): ConvLayer {
  const filters = requireTensor<tf.Tensor4D>(map, `${prefix}/conv/filters`, 4);
  const bias = requireTensor<tf.Tensor1D>(map, `${prefix}/conv/bias`, 1);
  const scale = requireTensor<tf.Tensor1D>(map, `${prefix}/scale/weights`, 1);
  const offset = requireTensor<tf.Tensor1D>(map, `${prefix}/scale/biases`, 1);
  return tf.tidy(() => ({
    filters: tf.mul<tf.Tensor4D>(filters, scale),
    bias: tf.add<tf.Tensor1D>(tf.mul(bias, scale), offset),
  }));
}
function residualParams(map: tf.NamedTensorMap, prefix: string): Residual {
  return { conv1: convLayer(map, `${prefix}/conv1`), conv2: convLayer(map, `${prefix}/conv2`) };
}

/** Stride-2 convolutions are 'valid' (they down-sample), stride-1 are 'same'. */
function conv(x: tf.Tensor4D, l: ConvLayer, stride: 1 | 2, relu: boolean): tf.Tensor4D {
  const pad = stride === 2 ? 'valid' : 'same';
  return tf.fused.conv2d({ x, filter: l.filters, strides: stride, pad, bias: l.bias, activation: relu ? 'relu' : 'linear' });
}

function residual(x: tf.Tensor4D, p: Residual): tf.Tensor4D {
  return tf.relu(tf.add<tf.Tensor4D>(conv(conv(x, p.conv1, 1, true), p.conv2, 1, false), x));
}

/**
 * Down-sampling block: the main path halves the size with a valid stride-2 conv; the shortcut is a 2x2
 * average pool, zero-padded in channels when the block widens, and the main path is zero-padded by one
 * row and column when the valid conv came out one smaller than the pool.
 */
function residualDown(x: tf.Tensor4D, p: Residual): tf.Tensor4D {
  let out = conv(conv(x, p.conv1, 2, true), p.conv2, 1, false);
  let shortcut = tf.avgPool(x, 2, 2, 'valid');
  const [, sh, sw, sc] = shortcut.shape;
  const [, oh, ow, oc] = out.shape;
  if (oh !== sh || ow !== sw) out = tf.pad(out, [[0, 0], [0, sh - oh], [0, sw - ow], [0, 0]]);
  if (oc !== sc) shortcut = tf.pad(shortcut, [[0, 0], [0, 0], [0, 0], [0, oc - sc]]);
  return tf.relu(tf.add<tf.Tensor4D>(shortcut, out));
}

export class DlibResNetEmbedder implements Embedder {
  readonly spec = DLIB_RESNET_SPEC;
  private readonly blocks: Array<{ down: boolean; params: Residual }>;
  private readonly stem: ConvLayer;
  private readonly fc: tf.Tensor2D;

  private constructor(weights: tf.NamedTensorMap) {
    const count = Object.keys(weights).length;
    if (count !== 117) throw new FaceError('MODEL_LOAD_FAILED', `dlib ResNet manifest has ${count} tensors, expected 117`);
    this.stem = convLayer(weights, 'conv32_down');
    const layout: Array<[string, boolean]> = [
      ['conv32_1', false], ['conv32_2', false], ['conv32_3', false],
      ['conv64_down', true], ['conv64_1', false], ['conv64_2', false], ['conv64_3', false],
      ['conv128_down', true], ['conv128_1', false], ['conv128_2', false],
      ['conv256_down', true], ['conv256_1', false], ['conv256_2', false],
      ['conv256_down_out', true],
    ];
    this.blocks = layout.map(([name, down]) => ({ down, params: residualParams(weights, name) }));
    this.fc = tf.clone(requireTensor<tf.Tensor2D>(weights, 'fc', 2));
  }

  /** Loads and checks the weights. The backend must already be initialised (see initBackend). */
  static load(): DlibResNetEmbedder {
    const weights = loadWeights(DLIB_RESNET_WEIGHTS);
    try {
      return new DlibResNetEmbedder(weights);
    } finally {
      // the embedder keeps folded copies; the raw tensors are not needed after construction
      tf.dispose(weights);
    }
  }

  dispose(): void {
    tf.dispose([this.stem.filters, this.stem.bias, this.fc]);
    for (const { params } of this.blocks) tf.dispose([params.conv1.filters, params.conv1.bias, params.conv2.filters, params.conv2.bias]);
  }

  embed(chips: readonly Uint8Array[]): Float32Array[] {
    if (chips.length === 0) return [];
    const size = this.spec.inputSize;
    const pixels = new Float32Array(chips.length * size * size * 3);
    chips.forEach((chip, i) => {
      if (chip.length !== size * size * 3) throw new Error(`chip ${i} has ${chip.length} bytes, expected ${size * size * 3}`);
      const base = i * size * size * 3;
      for (let j = 0; j < chip.length; j += 3) {
        pixels[base + j] = (chip[j]! - MEAN_RGB[0]) / 256;
        pixels[base + j + 1] = (chip[j + 1]! - MEAN_RGB[1]) / 256;
        pixels[base + j + 2] = (chip[j + 2]! - MEAN_RGB[2]) / 256;
      }
    });
    const output = tf.tidy(() => {
      let x = conv(tf.tensor4d(pixels, [chips.length, size, size, 3]), this.stem, 2, true);
      x = tf.maxPool(x, 3, 2, 'valid');
      for (const block of this.blocks) x = block.down ? residualDown(x, block.params) : residual(x, block.params);
      const features = tf.matMul(tf.mean(x, [1, 2]) as tf.Tensor2D, this.fc);
      return tf.div(features, tf.norm(features, 'euclidean', 1, true));
    });
    const data = output.dataSync() as Float32Array;
    output.dispose();
    const d = this.spec.dimensions;
    return chips.map((_, i) => data.slice(i * d, (i + 1) * d));
  }
}
