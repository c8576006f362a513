import type { Point } from '../types.js';

/** What the pipeline needs to know about an identity embedder to feed it. */
export interface EmbedderSpec {
  /** Reported with every vector, so clients know which space it lives in. */
  name: string;
  dimensions: number;
  /** Square input side, in pixels. */
  inputSize: number;
  /**
   * Where the five landmarks (leftEye, rightEye, nose, mouthLeft, mouthRight; image left/right) should
   * land in the input chip, in chip pixels.
   */
  template: readonly Point[];
}

/** A loaded embedder. It owns its weights until dispose(). */
export interface Embedder {
  readonly spec: EmbedderSpec;
  /** Embeds aligned RGB chips (inputSize^2 x 3 bytes each); returns one unit vector per chip. */
  embed(chips: readonly Uint8Array[]): Float32Array[];
  dispose(): void;
}
