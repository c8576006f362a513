/** Plain, serialisable shapes returned by the face library. Coordinates are in original-image pixels. */

export interface Point {
  x: number;
  y: number;
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * The five MTCNN landmarks. "Left" and "right" are the IMAGE's left and right (as the viewer sees the
 * photo), not the subject's: `leftEye.x < rightEye.x` for an upright frontal face.
 */
export interface Landmarks {
  leftEye: Point;
  rightEye: Point;
  nose: Point;
  mouthLeft: Point;
  mouthRight: Point;
}

export interface Face {
  box: Box;
  /** O-Net face probability, 0..1. */
  score: number;
  landmarks: Landmarks;
  /**
   * Fraction of the detected face box that lies inside the image, 0..1: 1 for a face wholly in frame, less
   * for one cut by the border (`box` itself is clipped to the image).
   */
  inFrame: number;
}

/** Decoded pixels: 8-bit sRGB, 3 channels, row-major, EXIF orientation already applied. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

export interface ImageInfo {
  width: number;
  height: number;
  /** Source container format as sharp reports it (jpeg, png, webp, gif, ...). */
  format: string;
}

export interface DecodedImage extends RgbImage {
  format: string;
}

/** Milliseconds spent per stage; absent stages did not run. */
export interface Timings {
  decodeMs?: number;
  detectMs?: number;
  alignMs?: number;
  embedMs?: number;
  totalMs: number;
}

export interface DetectResult {
  image: ImageInfo;
  faces: Face[];
  timings: Timings;
}

export interface EmbedResult {
  image: ImageInfo;
  /** The face that was embedded (models/select.ts: the most prominent unless the caller chose). */
  face: Face;
  /** How many faces the detector found in the image. */
  faceCount: number;
  /** Index of `face` in the detector's list (largest first, as `detect` returns it). */
  faceIndex: number;
  /** Another face was nearly as good a choice: the caller should confirm which one is meant. */
  ambiguous: boolean;
  /** L2-normalised embedding (unit length). */
  embedding: number[];
  model: string;
  timings: Timings;
}

export interface VerifySide {
  image: ImageInfo;
  face: Face;
  faceCount: number;
  faceIndex: number;
  ambiguous: boolean;
}

export interface VerifyResult {
  /** Cosine similarity of the two unit embeddings, -1..1. */
  similarity: number;
  /** Cosine distance, 1 - similarity. */
  distance: number;
  threshold: number;
  match: boolean;
  model: string;
  reference: VerifySide;
  probe: VerifySide;
  timings: { reference: Timings; probe: Timings; compareMs: number; totalMs: number };
}
