/**
 * An engine-neutral description of a network: its weights (plain float32 arrays) and a short list of
 * layers over named values. The TF.js engine interprets it (nets/tfjs.ts) and the ONNX exporter compiles
 * it (onnx/export.ts), so both engines run the same layers over the same numbers and cannot drift apart.
 *
 * Layout conventions of the description: feature maps are NHWC, conv filters HWIO (depthwise filters HWC1), dense weights
 * [in, out]; 'flatten' flattens in NHWC order. Engines with another layout convert at their edges.
 */
import type { WeightArray } from '../weights.js';

export type Activation = 'linear' | 'relu' | 'prelu';

interface Base {
  /** Name of the value this layer produces. */
  out: string;
}

export type Layer =
  | (Base & {
      op: 'conv';
      in: string;
      filters: WeightArray;
      bias: WeightArray;
      stride: number;
      /** TF semantics: 'same' pads so out = ceil(in / stride), the odd pixel at the end. */
      pad: 'valid' | 'same';
      activation: Activation;
      alpha?: WeightArray;
    })
  /**
   * Depthwise convolution, one filter per input channel, no bias: filters [kh, kw, C, 1] (TF's layout).
   * Followed by a 1x1 'conv' it is TF's separable convolution.
   */
  | (Base & { op: 'depthwiseConv'; in: string; filters: WeightArray; stride: number; pad: 'valid' | 'same' })
  | (Base & { op: 'maxPool'; in: string; size: number; stride: number; pad: 'valid' | 'same' })
  | (Base & { op: 'avgPool'; in: string; size: number; stride: number })
  | (Base & { op: 'dense'; in: string; weights: WeightArray; bias?: WeightArray; activation: Activation; alpha?: WeightArray })
  | (Base & { op: 'flatten'; in: string })
  | (Base & { op: 'softmax'; in: string })
  /** Keeps one channel (the last axis) and drops that axis. */
  | (Base & { op: 'channel'; in: string; index: number })
  | (Base & { op: 'add'; a: string; b: string })
  | (Base & { op: 'relu'; in: string })
  /** Zero padding: rows [top, bottom], columns [left, right], channels [before, after]. */
  | (Base & { op: 'pad'; in: string; rows: [number, number]; cols: [number, number]; channels: [number, number] })
  /** Mean over rows and columns: [N, H, W, C] -> [N, C]. */
  | (Base & { op: 'globalMean'; in: string })
  /** Divides each row by its Euclidean norm. */
  | (Base & { op: 'l2normalize'; in: string });

export interface NetworkGraph {
  name: string;
  /** The input value: [N, H, W, C] with C channels; H and W may vary when `size` is absent. */
  input: { name: string; channels: number; size?: [number, number] };
  layers: Layer[];
  /** Values returned, in order. */
  outputs: string[];
}

/** Output side of a 'valid' or 'same' window of `size` and `stride` over `input` samples (TF rules). */
export function windowOutput(input: number, size: number, stride: number, pad: 'valid' | 'same'): number {
  return pad === 'same' ? Math.ceil(input / stride) : Math.floor((input - size) / stride) + 1;
}
