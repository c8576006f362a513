/**
 * Inference as the API sees it: decode in the main thread (sharp works on libuv's pool, not on the event
 * loop), run the networks in the worker pool, compare in the main thread. Resolvers (and later live
 * sessions) call this; it knows nothing about GraphQL.
 */
import { performance } from 'node:perf_hooks';
import { cosineSimilarity, decodeImage, type DecodeLimits, type FaceChoice, type FaceSelection } from '../../models/index.js';
import type { DecodedImage, Face, ImageInfo, Point } from '../../models/types.js';
import type { Config } from '../config.js';
import { ServiceError, tagArgument } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { WorkerPool, type JobOutcome } from '../pool/pool.js';
import {
  JOB_ANALYSE,
  JOB_DETECT,
  JOB_EMBED,
  type AnalyseFrameValue,
  type DetectFacesValue,
  type EmbedFaceValue,
  type PixelsPayload,
  type WorkerInfo,
} from './protocol.js';
import type { InferenceWorkerData } from './worker.js';

/** Milliseconds per stage for one image. `queueMs` is the wait for a free worker. */
export interface StageTimings {
  decodeMs: number;
  queueMs: number;
  detectMs: number;
  alignMs?: number;
  embedMs?: number;
  landmarksMs?: number;
  totalMs: number;
}

export interface DetectionResult {
  image: ImageInfo;
  faces: Face[];
  timings: StageTimings;
}

export interface EmbeddingResult {
  image: ImageInfo;
  /** Every face found, largest first (`selection.index` points into it). */
  faces: Face[];
  face: Face;
  faceCount: number;
  /** Which face was used and how it was chosen (index into the detector's list, rule, ambiguity). */
  selection: FaceSelection;
  embedding: Float32Array;
  model: string;
  timings: StageTimings;
}

export interface FrameResult {
  image: ImageInfo;
  /** Every face, largest first; empty when there is none. */
  faces: Face[];
  /** The most prominent face, which was embedded; null when there is no face. */
  face: Face | null;
  selection: FaceSelection | null;
  embedding: Float32Array | null;
  /** 68 points of `face`, when asked for; null without a face. */
  landmarks68: Point[] | null;
  model: string;
  timings: StageTimings;
}

export interface VerificationResult {
  similarity: number;
  distance: number;
  threshold: number;
  match: boolean;
  model: string;
  reference: EmbeddingResult;
  probe: EmbeddingResult;
  timings: { compareMs: number; totalMs: number };
}

/** The worker module next to this file: `.ts` when running from source (tsx, vitest), `.js` once built. */
export function inferenceWorkerFile(): URL {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./worker${ext}`, import.meta.url);
}

export function createInferencePool(config: Config, logger: Logger, metrics?: Metrics): WorkerPool<WorkerInfo> {
  const workerData: InferenceWorkerData = { backend: config.pool.backend, threads: config.pool.threads };
  return new WorkerPool<WorkerInfo>({
    file: inferenceWorkerFile(),
    size: config.pool.workers,
    maxQueue: config.pool.maxQueue,
    jobTimeoutMs: config.pool.jobTimeoutMs,
    startTimeoutMs: config.pool.startTimeoutMs,
    workerData,
    logger,
    ...(metrics ? { metrics } : {}),
  });
}

function pixels(image: DecodedImage): { payload: PixelsPayload; transfer: ArrayBuffer[] } {
  let data = image.data;
  // Only a view that spans its whole buffer can be moved; anything else is copied first.
  if (data.byteOffset !== 0 || data.byteLength !== data.buffer.byteLength || !(data.buffer instanceof ArrayBuffer)) {
    data = new Uint8Array(data);
  }
  return { payload: { width: image.width, height: image.height, data }, transfer: [data.buffer as ArrayBuffer] };
}

function imageInfo(image: DecodedImage): ImageInfo {
  return { width: image.width, height: image.height, format: image.format };
}

export class InferenceService {
  readonly limits: DecodeLimits;
  readonly defaultThreshold: number;

  constructor(
    readonly pool: WorkerPool<WorkerInfo>,
    config: Config,
    private readonly metrics?: Metrics,
  ) {
    this.limits = { maxBytes: config.limits.maxUploadBytes, maxPixels: config.limits.maxPixels };
    this.defaultThreshold = config.verify.threshold;
  }

  /** Name of the embedding model, once a worker has reported it. */
  get modelName(): string {
    return this.pool.info?.model.name ?? 'unknown';
  }

  /** Fails fast, before any upload is read, when `jobs` more jobs could not be queued. */
  admit(jobs: number): void {
    if (!this.pool.canAccept(jobs)) {
      throw new ServiceError('OVERLOADED', 'The server is busy; retry shortly');
    }
  }

  async decode(bytes: Uint8Array): Promise<{ image: DecodedImage; decodeMs: number }> {
    const started = performance.now();
    const image = await decodeImage(bytes, this.limits);
    const decodeMs = performance.now() - started;
    this.observe('decode', decodeMs);
    return { image, decodeMs };
  }

  async detect(bytes: Uint8Array, signal?: AbortSignal): Promise<DetectionResult> {
    const started = performance.now();
    this.admit(1);
    const { image, decodeMs } = await this.decode(bytes);
    const { payload, transfer } = pixels(image);
    const outcome = await this.pool.run<DetectFacesValue>({ kind: JOB_DETECT, payload, transfer }, signal ? { signal } : {});
    this.observe('queue', outcome.queueMs);
    this.observe('detect', outcome.value.detectMs);
    return {
      image: imageInfo(image),
      faces: outcome.value.faces,
      timings: { decodeMs, queueMs: outcome.queueMs, detectMs: outcome.value.detectMs, totalMs: performance.now() - started },
    };
  }

  /** The chosen face's embedding (`choice` default: the most prominent face). */
  async embed(bytes: Uint8Array, options: { choice?: FaceChoice; signal?: AbortSignal } = {}): Promise<EmbeddingResult> {
    this.admit(1);
    const started = performance.now();
    const decoded = await this.decode(bytes);
    const [job] = this.submitEmbeds([{ image: decoded.image, choice: options.choice }], options.signal);
    return this.embeddingResult(decoded, await job!, started);
  }

  /**
   * Two embeddings (on two workers when free), then cosine similarity here. `threshold` defaults to the
   * configured one, each side's face to its most prominent. Errors name the upload they are about
   * (`extensions.argument`).
   */
  async verify(
    reference: Uint8Array,
    probe: Uint8Array,
    options: { threshold?: number | null; referenceFace?: FaceChoice; probeFace?: FaceChoice; signal?: AbortSignal } = {},
  ): Promise<VerificationResult> {
    const { threshold, signal } = options;
    const started = performance.now();
    const used = threshold ?? this.defaultThreshold;
    if (!Number.isFinite(used) || used < -1 || used > 1) {
      throw tagArgument(new ServiceError('BAD_REQUEST', `threshold must be between -1 and 1, got ${used}`), 'threshold');
    }
    this.admit(2);
    const [ref, prb] = await Promise.all([
      this.decode(reference).catch((e: unknown) => Promise.reject(tagArgument(e, 'reference'))),
      this.decode(probe).catch((e: unknown) => Promise.reject(tagArgument(e, 'probe'))),
    ]);
    // If one side fails, the other side's job is not worth waiting for.
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(signal?.reason);
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const [refJob, prbJob] = this.submitEmbeds(
        [
          { image: ref.image, choice: options.referenceFace },
          { image: prb.image, choice: options.probeFace },
        ],
        controller.signal,
      );
      const tagged = (job: Promise<JobOutcome<EmbedFaceValue>>, argument: string) =>
        job.catch((e: unknown) => {
          controller.abort();
          return Promise.reject(tagArgument(e, argument));
        });
      const [refOutcome, prbOutcome] = await Promise.all([tagged(refJob!, 'reference'), tagged(prbJob!, 'probe')]);
      const refResult = this.embeddingResult(ref, refOutcome, started);
      const prbResult = this.embeddingResult(prb, prbOutcome, started);
      const compareStarted = performance.now();
      const similarity = cosineSimilarity(refResult.embedding, prbResult.embedding);
      const compareMs = performance.now() - compareStarted;
      this.observe('compare', compareMs);
      return {
        similarity,
        distance: 1 - similarity,
        threshold: used,
        match: similarity >= used,
        model: refResult.model,
        reference: refResult,
        probe: prbResult,
        timings: { compareMs, totalMs: performance.now() - started },
      };
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * One video frame (live sessions): every face, and the most prominent face and its embedding, or `null`
   * when there is no face, which is a result here rather than an error. Decode errors still throw.
   */
  async analyseFrame(
    bytes: Uint8Array,
    options: { signal?: AbortSignal; minFaceSize?: number; landmarks68?: boolean } = {},
  ): Promise<FrameResult> {
    const { signal, minFaceSize } = options;
    this.admit(1);
    const started = performance.now();
    const { image, decodeMs } = await this.decode(bytes);
    const { payload, transfer } = pixels(image);
    if (minFaceSize !== undefined) payload.minFaceSize = minFaceSize;
    if (options.landmarks68) payload.landmarks68 = true;
    const outcome = await this.pool.run<AnalyseFrameValue>({ kind: JOB_ANALYSE, payload, transfer }, signal ? { signal } : {});
    const { value } = outcome;
    this.observe('queue', outcome.queueMs);
    this.observe('detect', value.timings.detectMs);
    if (value.face) {
      this.observe('align', value.timings.alignMs);
      this.observe('embed', value.timings.embedMs);
    }
    if (value.timings.landmarksMs !== undefined) this.observe('landmarks', value.timings.landmarksMs);
    return {
      image: imageInfo(image),
      faces: value.faces,
      face: value.face,
      selection: value.selection,
      embedding: value.embedding,
      landmarks68: value.landmarks68 ?? null,
      model: this.modelName,
      timings: {
        decodeMs,
        queueMs: outcome.queueMs,
        detectMs: value.timings.detectMs,
        ...(value.face ? { alignMs: value.timings.alignMs, embedMs: value.timings.embedMs } : {}),
        ...(value.timings.landmarksMs !== undefined ? { landmarksMs: value.timings.landmarksMs } : {}),
        totalMs: performance.now() - started,
      },
    };
  }

  private submitEmbeds(
    requests: Array<{ image: DecodedImage; choice: FaceChoice | undefined }>,
    signal?: AbortSignal,
  ): Promise<JobOutcome<EmbedFaceValue>>[] {
    const specs = requests.map(({ image, choice }) => {
      const { payload, transfer } = pixels(image);
      if (choice) payload.choice = choice;
      return { kind: JOB_EMBED, payload, transfer };
    });
    const jobs = this.pool.runAll<EmbedFaceValue>(specs, signal ? { signal } : {});
    // Rejections are handled by the caller's await; keep Node from flagging a sibling that settles first.
    for (const job of jobs) job.catch(() => undefined);
    return jobs;
  }

  private embeddingResult(
    decoded: { image: DecodedImage; decodeMs: number },
    outcome: JobOutcome<EmbedFaceValue>,
    started: number,
  ): EmbeddingResult {
    const { value } = outcome;
    this.observe('queue', outcome.queueMs);
    this.observe('detect', value.timings.detectMs);
    this.observe('align', value.timings.alignMs);
    this.observe('embed', value.timings.embedMs);
    return {
      image: imageInfo(decoded.image),
      faces: value.faces,
      face: value.face,
      faceCount: value.faces.length,
      selection: value.selection,
      embedding: value.embedding,
      model: this.modelName,
      timings: {
        decodeMs: decoded.decodeMs,
        queueMs: outcome.queueMs,
        detectMs: value.timings.detectMs,
        alignMs: value.timings.alignMs,
        embedMs: value.timings.embedMs,
        totalMs: performance.now() - started,
      },
    };
  }

  private observe(stage: string, ms: number): void {
    this.metrics?.stageDuration.observe({ stage }, ms / 1000);
  }
}
