/** Jobs the inference worker answers, and what it reports when ready. Shared by both threads. */
import type { FaceChoice, FaceSelection } from '../../models/select.js';
import type { Face, Point } from '../../models/types.js';

export interface WorkerInfo {
  backend: string;
  model: { name: string; dimensions: number; inputSize: number };
}

/** Raw RGB pixels as they travel to a worker (the buffer is transferred). */
export interface PixelsPayload {
  width: number;
  height: number;
  data: Uint8Array;
  /** Smallest face to look for, pixels (default: the detector's 20). */
  minFaceSize?: number;
  /** Which face to embed (default: the most prominent). */
  choice?: FaceChoice;
  /** Live challenge: also run the 68-point landmark net on the chosen face. */
  landmarks68?: boolean;
}

export interface DetectFacesValue {
  faces: Face[];
  detectMs: number;
}

export interface EmbedFaceValue {
  faces: Face[];
  face: Face;
  selection: FaceSelection;
  embedding: Float32Array;
  timings: { detectMs: number; alignMs: number; embedMs: number };
}

/** A video frame: like `EmbedFaceValue`, but no face is a result (`face`/`selection`/`embedding` null), not an error. */
export interface AnalyseFrameValue {
  faces: Face[];
  face: Face | null;
  selection: FaceSelection | null;
  embedding: Float32Array | null;
  /** 68 points of `face` when asked for (`landmarks68`) and a face was found. */
  landmarks68?: Point[] | null;
  timings: { detectMs: number; alignMs: number; embedMs: number; landmarksMs?: number };
}

export const JOB_DETECT = 'detectFaces';
export const JOB_EMBED = 'embedFace';
export const JOB_ANALYSE = 'analyseFrame';
