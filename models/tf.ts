/**
 * The one place that imports TensorFlow.js. Every other module takes `tf` from here, so the process holds
 * a single tfjs-core instance and the backend is chosen once.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { FaceError } from './errors.js';

export { tf };

/**
 * TF.js backends. `auto` = native TensorFlow when installed, else WASM. `cpu` (pure JS, 10-30x slower)
 * only by name. (The process-wide choice, including ONNX Runtime, is made in backend.ts.)
 */
export type TfBackendRequest = 'auto' | 'tensorflow' | 'wasm' | 'cpu';

let active: Promise<string> | undefined;
let activeRequest: TfBackendRequest | undefined;
let initialised = false;

/** Native bindings are optional packages: try the GPU build first, then the CPU build. */
async function loadNativeBackend(): Promise<boolean> {
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      await import(pkg);
      if (await tf.setBackend('tensorflow')) return true;
    } catch {
      // not installed, or its native library failed to load: try the next one
    }
  }
  return false;
}

async function select(request: TfBackendRequest): Promise<string> {
  if (request === 'auto' || request === 'tensorflow') {
    if (await loadNativeBackend()) return 'tensorflow';
    if (request === 'tensorflow') {
      throw new FaceError(
        'BACKEND_UNAVAILABLE',
        'backend "tensorflow" requested but neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node loads',
      );
    }
  }
  if (request === 'cpu') {
    await import('@tensorflow/tfjs-backend-cpu');
    if (await tf.setBackend('cpu')) return 'cpu';
    throw new FaceError('BACKEND_UNAVAILABLE', 'the cpu backend failed to initialise');
  }
  if (await tf.setBackend('wasm')) return 'wasm';
  throw new FaceError('BACKEND_UNAVAILABLE', 'the wasm backend failed to initialise; refusing to fall back to cpu');
}

/**
 * Chooses and initialises the backend for this thread (idempotent). Returns its name. A thread can only
 * hold one backend: asking for a different one later is an error rather than a silent switch.
 */
export async function initBackend(request: TfBackendRequest = 'auto'): Promise<string> {
  if (active) {
    if (request !== activeRequest && request !== 'auto') {
      const name = await active;
      if (name !== request) {
        throw new FaceError('BACKEND_UNAVAILABLE', `backend already initialised as "${name}", cannot switch to "${request}"`);
      }
    }
    return active;
  }
  activeRequest = request;
  active = select(request).then(async (name) => {
    await tf.ready();
    if (tf.getBackend() !== name) {
      throw new FaceError('BACKEND_UNAVAILABLE', `expected backend "${name}" but tfjs reports "${tf.getBackend()}"`);
    }
    initialised = true;
    return name;
  });
  active.catch(() => {
    active = undefined;
    activeRequest = undefined;
  });
  return active;
}

/** Whether this thread has initialised a TF.js backend (so tf.memory() is meaningful). */
export function tfInitialised(): boolean {
  return initialised;
}
