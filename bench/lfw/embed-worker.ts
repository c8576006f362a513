/**
 * Evaluation worker for the variants the API does not run: the ablation crops and the degraded probes.
 * Owns one FacePipeline (one TF.js backend and its models); runs in a worker thread started by `WorkerPool`.
 * The clean image's face comes from the API path (bench/lfw/api.ts). A degraded image is detected again
 * and its face chosen by the library's default rule, as the API would; no face: the pipeline's centre
 * crop is embedded instead and flagged.
 */
import { parentPort } from 'node:worker_threads';
import { FacePipeline, PROMINENT, selectFace, type BackendRequest, type Face, type RgbImage } from '../../models/index.js';
import { defaultFaceBox, degrade, type DegradationName } from './degrade.js';
import { serveWorker } from './pool.js';

export interface OursInit {
  backend: BackendRequest;
  /** Intra-op threads of this worker's engine (workers x threads = cores). */
  threads: number;
}

export interface OursInfo {
  backend: string;
  model: { name: string; dimensions: number; inputSize: number };
  template: ReadonlyArray<{ x: number; y: number }>;
}

export interface OursTask {
  key: string;
  image: RgbImage;
  /** The clean image's face as the API chose it (null: the API found none). */
  face: Face | null;
  /** Embed that face's detected box cropped square, without alignment (ablation). */
  box: boolean;
  /** Embed the fixed centre crop, no detection (ablation). */
  centre: boolean;
  /** Degrade the image, then detect and embed the aligned chosen face (no face: centre-crop fallback). */
  degraded: DegradationName[];
}

export interface AlignedOut {
  faceCount: number;
  embedding: Float32Array;
  /** true when no face was found and the centre crop was embedded instead. */
  fallback: boolean;
}

export interface OursResult {
  key: string;
  box?: { embedding: Float32Array; fallback: boolean };
  centre?: { embedding: Float32Array };
  degraded: Array<{ name: DegradationName } & AlignedOut>;
}

let pipeline: FacePipeline | undefined;

function embedDegraded(p: FacePipeline, image: RgbImage): AlignedOut {
  const faces = p.detectFaces(image);
  if (faces.length === 0) return { faceCount: 0, embedding: p.embedCentreCrop(image), fallback: true };
  const { face } = selectFace(faces, image.width, image.height, PROMINENT);
  return { faceCount: faces.length, embedding: p.embedChips([p.faceChip(image, face, 'aligned')])[0]!, fallback: false };
}

function run(task: OursTask): OursResult {
  const p = pipeline;
  if (!p) throw new Error('worker used before init');
  const out: OursResult = { key: task.key, degraded: [] };
  const { face } = task;
  if (task.box) {
    out.box = face
      ? { embedding: p.embedChips([p.faceChip(task.image, face, 'box')])[0]!, fallback: false }
      : { embedding: p.embedCentreCrop(task.image), fallback: true };
  }
  if (task.centre) out.centre = { embedding: p.embedCentreCrop(task.image) };
  const faceBox = face ? face.box : defaultFaceBox(task.image.width, task.image.height);
  for (const name of task.degraded) {
    out.degraded.push({ name, ...embedDegraded(p, degrade(task.image, name, faceBox, task.key)) });
  }
  return out;
}

if (parentPort) {
  serveWorker<OursTask, OursResult, OursInfo>(parentPort, {
    async init(options) {
      const o = options as OursInit;
      pipeline = await FacePipeline.load({ backend: o.backend, threads: o.threads });
      return { backend: pipeline.backend, model: pipeline.model, template: pipeline.embedderSpec.template };
    },
    task: (task) => ({ result: run(task) }),
    close: () => pipeline?.dispose(),
  });
}
