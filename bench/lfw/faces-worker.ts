/**
 * Tuning worker for the face-selection rule: detects every face of an image and embeds each one (aligned,
 * with its mirror, as the pipeline does), so that any selection rule can then be scored without running
 * the networks again. Runs in a worker thread started by `WorkerPool` (bench/tune-selection.ts).
 */
import { parentPort } from 'node:worker_threads';
import { FacePipeline, type BackendRequest, type Face, type RgbImage } from '../../models/index.js';
import { serveWorker } from './pool.js';

export interface FacesTask {
  key: string;
  image: RgbImage;
}

export interface FacesResult {
  key: string;
  width: number;
  height: number;
  faces: Array<{ face: Face; embedding: Float32Array }>;
}

let pipeline: FacePipeline | undefined;

if (parentPort) {
  serveWorker<FacesTask, FacesResult, { backend: string }>(parentPort, {
    async init(options) {
      pipeline = await FacePipeline.load({ backend: (options as { backend: BackendRequest }).backend });
      return { backend: pipeline.backend };
    },
    task: ({ key, image }) => {
      const p = pipeline!;
      const faces = p.detectFaces(image);
      const embeddings = faces.length ? p.embedChips(faces.map((f) => p.faceChip(image, f))) : [];
      return { result: { key, width: image.width, height: image.height, faces: faces.map((face, i) => ({ face, embedding: embeddings[i]! })) } };
    },
    close: () => pipeline?.dispose(),
  });
}
