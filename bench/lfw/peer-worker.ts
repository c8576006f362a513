/**
 * Peer worker: @vladmandic/face-api's own pipeline (SSD MobileNet v1 detector, 68-point landmarks and
 * alignment, its ResNet recognition net; 128-d descriptors compared by Euclidean distance) on the WASM
 * backend. It runs in its own worker thread, so its TF.js instance (the `@tensorflow/tfjs` bundle that
 * face-api's node-wasm build requires) never shares a thread with ours.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { parentPort } from 'node:worker_threads';
// Only the tensor-free selection module: this worker runs face-api's own TF.js, never ours.
import { prominence } from '../../models/select.js';
import type { RgbImage } from '../../models/types.js';
import { serveWorker } from './pool.js';

type FaceApi = typeof import('@vladmandic/face-api/dist/face-api.node-wasm.js');
/** face-api re-exports the whole of tfjs at runtime; its typings declare only part of it. */
type Tf = typeof import('@tensorflow/tfjs-core');
const tfOf = (faceapi: FaceApi): Tf => faceapi.tf as unknown as Tf;

const require = createRequire(import.meta.url);

export const PEER_PACKAGE = '@vladmandic/face-api';
/** Detector settings (face-api's defaults), part of the peer's cache key. */
export const PEER_OPTIONS = { detector: 'ssdMobilenetv1', minConfidence: 0.5, maxResults: 100, fallbackCentreFraction: 0.7 };

export interface PeerInfo {
  version: string;
  backend: string;
  tfjs: string;
}

export interface PeerTask {
  key: string;
  image: RgbImage;
}

export interface PeerResult {
  key: string;
  faceCount: number;
  /** true when no face was found and the descriptor of a centre crop (70% of the short side) was used. */
  fallback: boolean;
  descriptor: Float32Array;
  /** Detection + landmarks + descriptor, in this worker (decode excluded). */
  ms: number;
}

let api: FaceApi | undefined;

async function init(): Promise<PeerInfo> {
  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApi;
  const tf = tfOf(faceapi);
  if (!(await tf.setBackend('wasm'))) throw new Error('face-api: the wasm backend failed to initialise');
  await tf.ready();
  const dir = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
  await faceapi.nets.ssdMobilenetv1.loadFromDisk(dir);
  await faceapi.nets.faceLandmark68Net.loadFromDisk(dir);
  await faceapi.nets.faceRecognitionNet.loadFromDisk(dir);
  api = faceapi;
  const pkg = require('@vladmandic/face-api/package.json') as { version: string };
  return { version: pkg.version, backend: tf.getBackend(), tfjs: tf.version_core };
}

/** face-api's box as our selection rule reads it: clipped to the image, with the fraction inside. */
function peerFace(box: { x: number; y: number; width: number; height: number }, width: number, height: number) {
  const x1 = Math.max(0, box.x);
  const y1 = Math.max(0, box.y);
  const x2 = Math.min(width, box.x + box.width);
  const y2 = Math.min(height, box.y + box.height);
  const clipped = { x: x1, y: y1, width: Math.max(0, x2 - x1), height: Math.max(0, y2 - y1) };
  const full = box.width * box.height;
  return { box: clipped, inFrame: full > 0 ? (clipped.width * clipped.height) / full : 0 };
}

async function run(task: PeerTask): Promise<PeerResult> {
  const faceapi = api;
  if (!faceapi) throw new Error('peer worker used before init');
  const tf = tfOf(faceapi);
  const { width, height, data } = task.image;
  const start = performance.now();
  const input = tf.tensor3d(Int32Array.from(data), [height, width, 3], 'int32');
  try {
    const options = new faceapi.SsdMobilenetv1Options({ minConfidence: PEER_OPTIONS.minConfidence, maxResults: PEER_OPTIONS.maxResults });
    const faces = await faceapi.detectAllFaces(input as never, options).withFaceLandmarks().withFaceDescriptors();
    if (faces.length > 0) {
      // The same rule as our API's default (models/select.ts PROMINENT), on face-api's own boxes.
      const scores = faces.map((f) => prominence(peerFace(f.detection.box, width, height), width, height));
      const best = faces[scores.indexOf(Math.max(...scores))]!;
      return { key: task.key, faceCount: faces.length, fallback: false, descriptor: Float32Array.from(best.descriptor), ms: performance.now() - start };
    }
    const side = Math.round(Math.min(width, height) * PEER_OPTIONS.fallbackCentreFraction);
    const crop = tf.slice(input, [Math.floor((height - side) / 2), Math.floor((width - side) / 2), 0], [side, side, 3]);
    try {
      const d = await faceapi.computeFaceDescriptor(crop as never);
      const descriptor = Float32Array.from(Array.isArray(d) ? d[0]! : d);
      return { key: task.key, faceCount: 0, fallback: true, descriptor, ms: performance.now() - start };
    } finally {
      crop.dispose();
    }
  } finally {
    input.dispose();
  }
}

if (parentPort) {
  serveWorker<PeerTask, PeerResult, PeerInfo>(parentPort, {
    init: () => init(),
    task: async (task) => ({ result: await run(task) }),
    close: () => {
      if (api) tfOf(api).disposeVariables();
    },
  });
}
