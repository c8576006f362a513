/**
 * The inference worker thread: one `FacePipeline` (engine + MTCNN + embedder) and the 68-point landmark
 * net on the same engine, loaded at start, then `detectFaces` / `embedFace` / `analyseFrame` jobs on raw
 * RGB pixels decoded by the main thread. Every network run passes the pool's checkpoint first, so a job
 * past its deadline stops between two runs instead of having its thread terminated.
 */
import { workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { FacePipeline, isFaceError } from '../../models/index.js';
import { Landmark68Net } from '../../models/landmarks/landmark68.js';
import type { RgbImage } from '../../models/types.js';
import type { Backend } from '../config.js';
import { serveJobs } from '../pool/runtime.js';
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

export interface InferenceWorkerData {
  backend: Backend;
  /** Intra-op threads of this worker's engine. */
  threads: number;
}

const { backend, threads } = (workerData ?? { backend: 'auto', threads: 1 }) as InferenceWorkerData;

function toImage(payload: PixelsPayload): RgbImage {
  return { width: payload.width, height: payload.height, data: payload.data };
}

serveJobs(async ({ checkpoint }) => {
  const pipeline = await FacePipeline.load({ backend, threads, checkpoint });
  // Challenge frames only; small (350k parameters), so loaded with the rest, on the same engine.
  const landmarks = Landmark68Net.load(pipeline.engine);
  const embedChosen = (payload: PixelsPayload): EmbedFaceValue => {
    const result = pipeline.embedFace(toImage(payload), {
      ...(payload.minFaceSize ? { detector: { minFaceSize: payload.minFaceSize } } : {}),
      ...(payload.choice ? { choice: payload.choice } : {}),
    });
    return {
      faces: result.faces,
      face: result.face,
      selection: result.selection,
      // A copy of 128 floats: never hand out a view of memory the backend may own.
      embedding: Float32Array.from(result.embedding),
      timings: { detectMs: result.timings.detectMs, alignMs: result.timings.alignMs, embedMs: result.timings.embedMs },
    };
  };
  const info: WorkerInfo = {
    backend: pipeline.backend,
    model: { name: pipeline.model.name, dimensions: pipeline.model.dimensions, inputSize: pipeline.model.inputSize },
  };
  return {
    info,
    handlers: {
      [JOB_DETECT]: (payload: PixelsPayload) => {
        const started = performance.now();
        const faces = pipeline.detectFaces(toImage(payload));
        const value: DetectFacesValue = { faces, detectMs: performance.now() - started };
        return { value };
      },
      [JOB_EMBED]: (payload: PixelsPayload) => ({ value: embedChosen(payload) }),
      [JOB_ANALYSE]: (payload: PixelsPayload) => {
        const started = performance.now();
        try {
          const value: AnalyseFrameValue = embedChosen(payload);
          if (payload.landmarks68 && value.face) {
            const began = performance.now();
            value.landmarks68 = landmarks.detect(toImage(payload), [value.face.box])[0]!.points;
            value.timings.landmarksMs = performance.now() - began;
          }
          return { value };
        } catch (error) {
          if (!(isFaceError(error) && error.code === 'NO_FACE')) throw error;
          const value: AnalyseFrameValue = {
            faces: [],
            face: null,
            selection: null,
            embedding: null,
            timings: { detectMs: performance.now() - started, alignMs: 0, embedMs: 0 },
          };
          return { value };
        }
      },
    },
  };
});
