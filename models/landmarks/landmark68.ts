/**
 * face-api's 68-point landmark net (`face_landmark_68_model`: four dense blocks of depthwise-separable
 * convolutions over a 112x112 RGB face crop, then one fully connected layer to 68 (x, y) pairs in [0, 1]
 * of the crop), defined with TF.js ops over the weights that @vladmandic/face-api ships (8-bit quantised).
 * Points follow the iBUG 300-W order: jaw 0-16, brows 17-26, nose 27-35, eyes 36-41 and 42-47, mouth 48-67.
 */
import { cropSquare } from '../align.js';
import { FaceError } from '../errors.js';
import { tf } from '../tf.js';
import type { Box, Point, RgbImage } from '../types.js';
import { loadWeights, requireWeight, type WeightArray, type WeightMap, type WeightSource } from '../weights.js';

export const LANDMARK68_WEIGHTS: WeightSource = {
  packageName: '@vladmandic/face-api',
  version: '1.7.15',
  manifest: 'model/face_landmark_68_model-weights_manifest.json',
  sha256: {
    'model/face_landmark_68_model-weights_manifest.json': 'ca4886639f86e99b39fed0c155f81b63317225773bd9616716e887b0153389c9',
    'model/face_landmark_68_model.bin': '4611ef65c87d836d03d684b30eec4d195d8b219fa1dd58fc58945831c6b9299b',
  },
};

export const LANDMARK68_INPUT_SIZE = 112;

/**
 * The crop the net sees: a square on the detector box's centre, this many box sides wide. Chosen on LFW
 * by how well the net's eye centres agree with MTCNN's (bench/challenge-thresholds.ts reports it).
 */
export const LANDMARK68_CROP_SCALE = 1.1;

/** face-api subtracts these channel means and divides by 255. */
const MEAN_RGB = [122.782, 117.001, 104.298] as const;

interface SeparableConv {
  depthwise: tf.Tensor4D;
  pointwise: tf.Tensor4D;
  bias: tf.Tensor1D;
}
interface DenseBlock {
  /** The first block opens with a plain 3x3 conv, the others with a separable one; all stride 2. */
  first: { filters: tf.Tensor4D; bias: tf.Tensor1D } | SeparableConv;
  convs: [SeparableConv, SeparableConv, SeparableConv];
}

/** A weight as a tensor owned by the caller. */
function upload<T extends tf.Tensor>(w: WeightArray): T {
  return tf.tensor(w.data, w.shape, 'float32') as T;
}

function separable(map: WeightMap, prefix: string): SeparableConv {
  return {
    depthwise: upload<tf.Tensor4D>(requireWeight(map, `${prefix}/depthwise_filter`, 4)),
    pointwise: upload<tf.Tensor4D>(requireWeight(map, `${prefix}/pointwise_filter`, 4)),
    bias: upload<tf.Tensor1D>(requireWeight(map, `${prefix}/bias`, 1)),
  };
}

function separableConv(x: tf.Tensor4D, p: SeparableConv, stride: 1 | 2): tf.Tensor4D {
  return tf.add(tf.separableConv2d(x, p.depthwise, p.pointwise, stride, 'same'), p.bias);
}

/** Each conv's input is the relu of the sum of all earlier outputs of the block (a dense block). */
function denseBlock(x: tf.Tensor4D, block: DenseBlock): tf.Tensor4D {
  const first = block.first;
  const out1 = tf.relu(
    'filters' in first ? tf.add(tf.conv2d(x, first.filters, 2, 'same'), first.bias) : separableConv(x, first, 2),
  ) as tf.Tensor4D;
  let sum: tf.Tensor4D = out1;
  let input = out1;
  for (const conv of block.convs) {
    sum = tf.add(sum, separableConv(input, conv, 1));
    input = tf.relu(sum);
  }
  return input;
}

/** A face's 68 points in image pixels, and the crop they were found in. */
export interface Landmarks68 {
  points: Point[];
  crop: Box;
}

export class Landmark68Net {
  private readonly blocks: DenseBlock[];
  private readonly fcWeights: tf.Tensor2D;
  private readonly fcBias: tf.Tensor1D;

  private constructor(map: WeightMap) {
    const count = Object.keys(map).length;
    if (count !== 49) throw new FaceError('MODEL_LOAD_FAILED', `68-point landmark manifest has ${count} tensors, expected 49`);
    this.blocks = [0, 1, 2, 3].map((i) => ({
      first:
        i === 0
          ? {
              filters: upload<tf.Tensor4D>(requireWeight(map, 'dense0/conv0/filters', 4)),
              bias: upload<tf.Tensor1D>(requireWeight(map, 'dense0/conv0/bias', 1)),
            }
          : separable(map, `dense${i}/conv0`),
      convs: [separable(map, `dense${i}/conv1`), separable(map, `dense${i}/conv2`), separable(map, `dense${i}/conv3`)],
    }));
    this.fcWeights = upload<tf.Tensor2D>(requireWeight(map, 'fc/weights', 2));
    this.fcBias = upload<tf.Tensor1D>(requireWeight(map, 'fc/bias', 1));
  }

  /** Loads and checks the weights. The backend must already be initialised (see initBackend). */
  static load(): Landmark68Net {
    return new Landmark68Net(loadWeights(LANDMARK68_WEIGHTS));
  }

  dispose(): void {
    tf.dispose([this.fcWeights, this.fcBias]);
    for (const block of this.blocks) {
      const first = block.first;
      tf.dispose('filters' in first ? [first.filters, first.bias] : [first.depthwise, first.pointwise, first.bias]);
      for (const c of block.convs) tf.dispose([c.depthwise, c.pointwise, c.bias]);
    }
  }

  /** The square crop for a detector box (image pixels; it may reach past the image, which reads as black). */
  static cropFor(box: Box, scale = LANDMARK68_CROP_SCALE): Box {
    const side = Math.max(box.width, box.height) * scale;
    return { x: box.x + box.width / 2 - side / 2, y: box.y + box.height / 2 - side / 2, width: side, height: side };
  }

  /** 68 points per face box, in image pixels; one forward pass for all boxes. */
  detect(image: RgbImage, boxes: readonly Box[], scale = LANDMARK68_CROP_SCALE): Landmarks68[] {
    if (boxes.length === 0) return [];
    const size = LANDMARK68_INPUT_SIZE;
    const crops = boxes.map((b) => Landmark68Net.cropFor(b, scale));
    const pixels = new Float32Array(boxes.length * size * size * 3);
    crops.forEach((c, i) => {
      const chip = cropSquare(image, c.x + c.width / 2, c.y + c.height / 2, c.width, size);
      const base = i * size * size * 3;
      for (let j = 0; j < chip.length; j += 3) {
        pixels[base + j] = (chip[j]! - MEAN_RGB[0]) / 255;
        pixels[base + j + 1] = (chip[j + 1]! - MEAN_RGB[1]) / 255;
        pixels[base + j + 2] = (chip[j + 2]! - MEAN_RGB[2]) / 255;
      }
    });
    const output = tf.tidy(() => {
      let x = tf.tensor4d(pixels, [boxes.length, size, size, 3]);
      for (const block of this.blocks) x = denseBlock(x, block);
      const pooled = tf.avgPool(x, 7, 2, 'valid');
      return tf.add(tf.matMul(tf.reshape(pooled, [boxes.length, -1]) as tf.Tensor2D, this.fcWeights), this.fcBias);
    });
    const data = output.dataSync() as Float32Array;
    output.dispose();
    return crops.map((crop, i) => ({
      crop,
      points: Array.from({ length: 68 }, (_, k) => ({
        x: crop.x + data[i * 136 + 2 * k]! * crop.width,
        y: crop.y + data[i * 136 + 2 * k + 1]! * crop.height,
      })),
    }));
  }
}
