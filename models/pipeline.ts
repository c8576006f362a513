import { alignmentTransform, cropSquare, mirrorChip, warpToChip } from './align.js';
import { DEFAULT_THRESHOLD } from './calibration.js';
import { DlibResNetEmbedder } from './embedders/dlib-resnet.js';
import type { Embedder, EmbedderSpec } from './embedders/embedder.js';
import { type DecodeLimits, decodeImage } from './image/decode.js';
import { type MtcnnOptions, MtcnnDetector } from './mtcnn/detector.js';
import { type FaceChoice, type FaceSelection, PROMINENT, selectFace } from './select.js';
import { decide, l2Normalize } from './similarity.js';
import { type BackendRequest, createEngine } from './backend.js';
import type { Engine } from './nets/engine.js';
import type { DecodedImage, DetectResult, EmbedResult, Face, RgbImage, VerifyResult } from './types.js';

export interface PipelineOptions {
  backend?: BackendRequest;
  /** Threads one inference may use (see EngineOptions); default every core. */
  threads?: number;
  /**
   * Test-time flip augmentation (default on): each face is embedded as the normalised sum of the
   * embeddings of its chip and the chip's mirror image. It costs one more forward pass in the same batch
   * and separates identities better on LFW View 1 (bench/tune-template.ts --flip).
   */
  flip?: boolean;
  /** Called before every network run; it may throw to stop the work in hand (see EngineOptions). */
  checkpoint?: () => void;
}

/** How the face is cut out before embedding: aligned on landmarks (the pipeline) or the raw box (ablation). */
export type CropMode = 'aligned' | 'box';

export interface EmbedOptions {
  /** Which face to embed (default: the most prominent, models/select.ts). */
  choice?: FaceChoice;
  crop?: CropMode;
  detector?: Partial<MtcnnOptions>;
}

export interface FaceEmbedding {
  /** Every face found, largest first. */
  faces: Face[];
  /** The face that was embedded. */
  face: Face;
  /** How it was chosen: its index in `faces`, the rule, and whether another face was a close call. */
  selection: FaceSelection;
  embedding: Float32Array;
  timings: { detectMs: number; alignMs: number; embedMs: number };
}

export interface ModelInfo {
  name: string;
  dimensions: number;
  inputSize: number;
}

function since(start: number): number {
  return performance.now() - start;
}

function info(image: DecodedImage) {
  return { width: image.width, height: image.height, format: image.format };
}

/**
 * The face pipeline: MTCNN detection, five-point alignment, embedding. One instance owns one backend and
 * its models; create one per thread and dispose() it when done.
 */
export class FacePipeline {
  private constructor(
    /** The engine that runs the networks; other networks of the thread (the 68-point net) run on it too. */
    readonly engine: Engine,
    private readonly detector: MtcnnDetector,
    private readonly embedder: Embedder,
    readonly flip: boolean,
  ) {}

  static async load(options: PipelineOptions = {}): Promise<FacePipeline> {
    const engine = await createEngine(options.backend ?? 'auto', { threads: options.threads, checkpoint: options.checkpoint });
    const detector = MtcnnDetector.load(engine);
    try {
      return new FacePipeline(engine, detector, DlibResNetEmbedder.load(engine), options.flip ?? true);
    } catch (error) {
      detector.dispose();
      throw error;
    }
  }

  /** The backend that runs the networks: tensorflow, onnxruntime, wasm or cpu. */
  get backend(): string {
    return this.engine.backend;
  }

  get model(): ModelInfo {
    const { name, dimensions, inputSize } = this.embedder.spec;
    return { name, dimensions, inputSize };
  }

  get embedderSpec(): EmbedderSpec {
    return this.embedder.spec;
  }

  /** Number of live tensors in this thread's TF.js engine (for leak checks and metrics); 0 on ONNX Runtime. */
  tensorCount(): number {
    return this.engine.tensorCount();
  }

  dispose(): void {
    this.detector.dispose();
    this.embedder.dispose();
  }

  detectFaces(image: RgbImage, options: Partial<MtcnnOptions> = {}): Face[] {
    return this.detector.detect(image, options);
  }

  /** Cuts the embedder's input chip for a detected face. */
  faceChip(image: RgbImage, face: Face, crop: CropMode = 'aligned'): Uint8Array {
    const { inputSize, template } = this.embedder.spec;
    if (crop === 'aligned') return warpToChip(image, alignmentTransform(face.landmarks, template), inputSize);
    const { x, y, width, height } = face.box;
    return cropSquare(image, x + width / 2, y + height / 2, Math.max(width, height), inputSize);
  }

  /**
   * Detects, chooses the subject face (`options.choice`, default PROMINENT), aligns and embeds it. Throws
   * NO_FACE when nothing is found and FACE_INDEX_OUT_OF_RANGE for an index the image does not have.
   */
  embedFace(image: RgbImage, options: EmbedOptions = {}): FaceEmbedding {
    let start = performance.now();
    const faces = this.detector.detect(image, options.detector);
    const detectMs = since(start);
    const selection = selectFace(faces, image.width, image.height, options.choice ?? PROMINENT);
    const { face } = selection;
    start = performance.now();
    const chip = this.faceChip(image, face, options.crop);
    const alignMs = since(start);
    start = performance.now();
    const [embedding] = this.embedChips([chip]);
    const embedMs = since(start);
    return { faces, face, selection, embedding: embedding!, timings: { detectMs, alignMs, embedMs } };
  }

  /** Embeds a fixed central square (70% of the short side) with no detection: ablation baseline and fallback. */
  embedCentreCrop(image: RgbImage, fraction = 0.7): Float32Array {
    const side = Math.min(image.width, image.height) * fraction;
    const chip = cropSquare(image, image.width / 2, image.height / 2, side, this.embedder.spec.inputSize);
    return this.embedChips([chip])[0]!;
  }

  /** Embeds chips in one forward pass (with their mirror images when flip is on): unit vectors. */
  embedChips(chips: readonly Uint8Array[]): Float32Array[] {
    if (!this.flip) return this.embedder.embed(chips);
    const size = this.embedder.spec.inputSize;
    const vectors = this.embedder.embed([...chips, ...chips.map((c) => mirrorChip(c, size))]);
    return chips.map((_, i) => {
      const sum = vectors[i]!;
      const mirrored = vectors[i + chips.length]!;
      for (let k = 0; k < sum.length; k++) sum[k]! += mirrored[k]!;
      return l2Normalize(sum);
    });
  }

  async detect(bytes: Uint8Array, limits: Partial<DecodeLimits> = {}): Promise<DetectResult> {
    const begin = performance.now();
    const image = await decodeImage(bytes, limits);
    const decodeMs = since(begin);
    const start = performance.now();
    const faces = this.detectFaces(image);
    return { image: info(image), faces, timings: { decodeMs, detectMs: since(start), totalMs: since(begin) } };
  }

  async embed(bytes: Uint8Array, options: { limits?: Partial<DecodeLimits>; choice?: FaceChoice } = {}): Promise<EmbedResult> {
    const begin = performance.now();
    const image = await decodeImage(bytes, options.limits);
    const decodeMs = since(begin);
    const result = this.embedFace(image, options.choice ? { choice: options.choice } : {});
    return {
      image: info(image),
      face: result.face,
      faceCount: result.faces.length,
      faceIndex: result.selection.index,
      ambiguous: result.selection.ambiguous,
      embedding: Array.from(result.embedding),
      model: this.embedder.spec.name,
      timings: { decodeMs, ...result.timings, totalMs: since(begin) },
    };
  }

  async verify(
    reference: Uint8Array,
    probe: Uint8Array,
    options: { threshold?: number; limits?: Partial<DecodeLimits>; referenceFace?: FaceChoice; probeFace?: FaceChoice } = {},
  ): Promise<VerifyResult> {
    const begin = performance.now();
    const side = (choice: FaceChoice | undefined) => ({ ...(options.limits ? { limits: options.limits } : {}), ...(choice ? { choice } : {}) });
    const a = await this.embed(reference, side(options.referenceFace));
    const b = await this.embed(probe, side(options.probeFace));
    const start = performance.now();
    let dot = 0;
    for (let i = 0; i < a.embedding.length; i++) dot += a.embedding[i]! * b.embedding[i]!;
    const decision = decide(Math.max(-1, Math.min(1, dot)), options.threshold ?? DEFAULT_THRESHOLD);
    return {
      ...decision,
      model: this.embedder.spec.name,
      reference: { image: a.image, face: a.face, faceCount: a.faceCount, faceIndex: a.faceIndex, ambiguous: a.ambiguous },
      probe: { image: b.image, face: b.face, faceCount: b.faceCount, faceIndex: b.faceIndex, ambiguous: b.ambiguous },
      timings: { reference: a.timings, probe: b.timings, compareMs: since(start), totalMs: since(begin) },
    };
  }
}
