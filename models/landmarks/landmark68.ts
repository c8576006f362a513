/**
 * face-api's 68-point landmark net (`face_landmark_68_model`: four dense blocks of depthwise-separable
 * convolutions over a 112x112 RGB face crop, then one fully connected layer to 68 (x, y) pairs in [0, 1]
 * of the crop), described once (nets/graph.ts) over the weights that @vladmandic/face-api ships (8-bit
 * quantised) and run by either engine, like the detector and the embedder.
 * Points follow the iBUG 300-W order: jaw 0-16, brows 17-26, nose 27-35, eyes 36-41 and 42-47, mouth 48-67.
 */
import { cropSquare } from '../align.js';
import { FaceError } from '../errors.js';
import type { Engine, NetworkRunner } from '../nets/engine.js';
import { normalisedBatch } from '../nets/pixels.js';
import type { Layer, NetworkGraph } from '../nets/graph.js';
import type { Box, Point, RgbImage } from '../types.js';
import { loadWeights, requireWeight, type WeightMap, type WeightSource } from '../weights.js';

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

/** A layer before it is given its output name (distributes over the union). */
type Unnamed<T> = T extends unknown ? Omit<T, 'out'> : never;

/**
 * The network as an engine-neutral description. A separable convolution is a depthwise conv followed by
 * a 1x1 conv with the bias, both 'same' (TF's separableConv2d). In each dense block, every conv's input
 * is the relu of the sum of all earlier outputs of the block; the first conv of the block (a plain 3x3
 * conv in the first block, a separable one in the others) has stride 2. Then a 7x7 average pool and the
 * fully connected layer: [N, 136], (x, y) pairs in [0, 1] of the crop.
 */
export function landmark68Network(map: WeightMap): NetworkGraph {
  const count = Object.keys(map).length;
  if (count !== 49) throw new FaceError('MODEL_LOAD_FAILED', `68-point landmark manifest has ${count} tensors, expected 49`);
  const layers: Layer[] = [];
  let n = 0;
  const push = (layer: Unnamed<Layer>): string => {
    const out = `v${n++}`;
    layers.push({ ...layer, out } as Layer);
    return out;
  };
  const separable = (from: string, prefix: string, stride: 1 | 2, activation: 'relu' | 'linear'): string => {
    const depthwise = push({ op: 'depthwiseConv', in: from, filters: requireWeight(map, `${prefix}/depthwise_filter`, 4), stride, pad: 'same' });
    return push({
      op: 'conv', in: depthwise, stride: 1, pad: 'same', activation,
      filters: requireWeight(map, `${prefix}/pointwise_filter`, 4), bias: requireWeight(map, `${prefix}/bias`, 1),
    });
  };
  let x = 'input';
  for (let block = 0; block < 4; block++) {
    const first =
      block === 0
        ? push({
            op: 'conv', in: x, stride: 2, pad: 'same', activation: 'relu',
            filters: requireWeight(map, 'dense0/conv0/filters', 4), bias: requireWeight(map, 'dense0/conv0/bias', 1),
          })
        : separable(x, `dense${block}/conv0`, 2, 'relu');
    let sum = first;
    let input = first;
    for (const conv of [1, 2, 3]) {
      sum = push({ op: 'add', a: sum, b: separable(input, `dense${block}/conv${conv}`, 1, 'linear') });
      input = push({ op: 'relu', in: sum });
    }
    x = input;
  }
  const pooled = push({ op: 'flatten', in: push({ op: 'avgPool', in: x, size: 7, stride: 2 }) });
  layers.push({ op: 'dense', in: pooled, out: 'points', weights: requireWeight(map, 'fc/weights', 2), bias: requireWeight(map, 'fc/bias', 1), activation: 'linear' });
  return { name: 'landmark68', input: { name: 'input', channels: 3, size: [LANDMARK68_INPUT_SIZE, LANDMARK68_INPUT_SIZE] }, layers, outputs: ['points'] };
}

/** A face's 68 points in image pixels, and the crop they were found in. */
export interface Landmarks68 {
  points: Point[];
  crop: Box;
}

export class Landmark68Net {
  private constructor(private readonly network: NetworkRunner) {}

  /** Loads and checks the weights and builds the network on `engine` (the pipeline's: FacePipeline.engine). */
  static load(engine: Engine): Landmark68Net {
    return new Landmark68Net(engine.network(landmark68Network(loadWeights(LANDMARK68_WEIGHTS))));
  }

  dispose(): void {
    this.network.dispose();
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
    const chips = crops.map((c) => cropSquare(image, c.x + c.width / 2, c.y + c.height / 2, c.width, size));
    const pixels = normalisedBatch(chips, size, MEAN_RGB, 255);
    const [output] = this.network.run(pixels, [boxes.length, size, size, 3]);
    const data = output!.data;
    return crops.map((crop, i) => ({
      crop,
      points: Array.from({ length: 68 }, (_, k) => ({
        x: crop.x + data[i * 136 + 2 * k]! * crop.width,
        y: crop.y + data[i * 136 + 2 * k + 1]! * crop.height,
      })),
    }));
  }
}
