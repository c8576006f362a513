/**
 * Evaluation worker: owns one FacePipeline (one TF.js backend and its models) and embeds decoded images
 * in the variants the evaluation asks for. Runs in a worker thread started by `WorkerPool`.
 *
 * Per image: detect every face (MTCNN), pick the LFW subject (bench/lfw/select.ts), align it to the
 * embedder's template and embed it; when the subject is not the largest face, the largest (the service's
 * choice) is embedded too. No face: the pipeline's centre crop is embedded instead and flagged.
 */
import { parentPort } from 'node:worker_threads';
import { FacePipeline, type BackendRequest, type Face, type RgbImage } from '../../models/index.js';
import { defaultFaceBox, degrade, type DegradationName } from './degrade.js';
import { serveWorker } from './pool.js';
import { subjectIndex } from './select.js';

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
  /** Detect and embed the aligned subject face (no face: centre-crop fallback). */
  aligned: boolean;
  /** The clean image's subject face when already known (null: none was found); needed when `aligned` is false. */
  face?: Face | null;
  /** Embed the subject's detected box cropped square, without alignment (ablation). */
  box: boolean;
  /** Embed the fixed centre crop, no detection (ablation). */
  centre: boolean;
  /** Degrade the image, then detect and embed the aligned subject face (no face: centre-crop fallback). */
  degraded: DegradationName[];
}

export interface AlignedOut {
  faceCount: number;
  /** The subject face, or null when none was found. */
  face: Face | null;
  embedding: Float32Array;
  /** true when no face was found and the centre crop was embedded instead. */
  fallback: boolean;
  /** The largest face's embedding, present only when the largest face is not the subject. */
  largest?: { face: Face; embedding: Float32Array };
  ms: { detect: number; align: number; embed: number };
}

export interface OursResult {
  key: string;
  aligned?: AlignedOut;
  box?: { embedding: Float32Array; fallback: boolean };
  centre?: { embedding: Float32Array };
  degraded: Array<{ name: DegradationName } & AlignedOut>;
}

let pipeline: FacePipeline | undefined;

function embedSubject(p: FacePipeline, image: RgbImage, withLargest: boolean): AlignedOut {
  let t = performance.now();
  const faces = p.detectFaces(image);
  const detect = performance.now() - t;
  const i = subjectIndex(faces, image.width, image.height);
  if (i < 0) {
    t = performance.now();
    const embedding = p.embedCentreCrop(image);
    return { faceCount: 0, face: null, embedding, fallback: true, ms: { detect, align: 0, embed: performance.now() - t } };
  }
  const face = faces[i]!;
  t = performance.now();
  const chip = p.faceChip(image, face, 'aligned');
  const align = performance.now() - t;
  t = performance.now();
  const embedding = p.embedChips([chip])[0]!;
  const out: AlignedOut = { faceCount: faces.length, face, embedding, fallback: false, ms: { detect, align, embed: performance.now() - t } };
  if (withLargest && i !== 0) out.largest = { face: faces[0]!, embedding: p.embedChips([p.faceChip(image, faces[0]!, 'aligned')])[0]! };
  return out;
}

function run(task: OursTask): OursResult {
  const p = pipeline;
  if (!p) throw new Error('worker used before init');
  const out: OursResult = { key: task.key, degraded: [] };
  let face = task.face;
  if (task.aligned) {
    out.aligned = embedSubject(p, task.image, true);
    face = out.aligned.face;
  }
  if (face === undefined && (task.box || task.degraded.length > 0)) {
    throw new Error(`${task.key}: box and degraded variants need the clean face (run aligned first)`);
  }
  if (task.box) {
    out.box = face
      ? { embedding: p.embedChips([p.faceChip(task.image, face, 'box')])[0]!, fallback: false }
      : { embedding: p.embedCentreCrop(task.image), fallback: true };
  }
  if (task.centre) out.centre = { embedding: p.embedCentreCrop(task.image) };
  const faceBox = face ? face.box : defaultFaceBox(task.image.width, task.image.height);
  for (const name of task.degraded) {
    const img = degrade(task.image, name, faceBox, task.key);
    const { largest: _unused, ...rest } = embedSubject(p, img, false);
    out.degraded.push({ name, ...rest });
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
