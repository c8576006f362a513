/**
 * What the detector and the embedder need from an inference engine. Each engine (TF.js in nets/tfjs.ts,
 * ONNX Runtime in onnx/engine.ts) builds runners from the same network descriptions (nets/graph.ts).
 * Runners are synchronous: inference runs on the calling thread (a worker thread in the server).
 */
import type { RgbImage } from '../types.js';
import type { NetworkGraph } from './graph.js';

/** One output of a run: values in row-major order and their shape (the description's NHWC layout). */
export interface Output {
  data: Float32Array;
  shape: number[];
}

/** A loaded network with a fixed input size. It owns its weights until dispose(). */
export interface NetworkRunner {
  /** Runs on an [N, H, W, C] batch; returns the graph's outputs in order. */
  run(input: Float32Array, shape: readonly [number, number, number, number]): Output[];
  dispose(): void;
}

/**
 * P-Net over an image pyramid. Each level is resized (bilinear, half-pixel centres) from the previous
 * level, or from the image for the first, then normalised and scanned.
 */
export interface PyramidRunner {
  scan(image: RgbImage): PyramidScan;
  dispose(): void;
}

export interface PyramidScan {
  /** Resizes to height x width and runs P-Net on that level: outputs `prob` [1, H', W'] and `offsets` [1, H', W', 4]. */
  level(height: number, width: number): Output[];
  /** Frees the current level. */
  dispose(): void;
}

export interface Engine {
  /** Backend name reported by the API (`tensorflow`, `wasm`, `cpu`, `onnxruntime`). */
  readonly backend: string;
  network(graph: NetworkGraph): NetworkRunner;
  pyramid(pnet: NetworkGraph): PyramidRunner;
  /** Live tensors held by the engine, where it counts them (TF.js); 0 otherwise. */
  tensorCount(): number;
}
