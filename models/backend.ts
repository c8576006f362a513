/**
 * The process-wide engine choice. `auto` = TF.js native (tfjs-node-gpu or tfjs-node) when it loads, else
 * ONNX Runtime (onnxruntime-node, bundled CPU binaries), else TF.js WASM. Every backend can be asked for
 * by name; `cpu` (pure-JS TF.js, 10-30x slower) only by name.
 */
import { availableParallelism } from 'node:os';
import { FaceError } from './errors.js';
import type { Engine } from './nets/engine.js';
import { withCheckpoint } from './nets/checkpoint.js';
import { TfEngine } from './nets/tfjs.js';
import { OrtEngine } from './onnx/engine.js';
import { loadOrt } from './onnx/runtime.js';
import { initBackend } from './tf.js';

export type BackendRequest = 'auto' | 'tensorflow' | 'onnxruntime' | 'wasm' | 'cpu';

export const BACKEND_REQUESTS: readonly BackendRequest[] = ['auto', 'tensorflow', 'onnxruntime', 'wasm', 'cpu'];

export interface EngineOptions {
  /**
   * Threads one inference may use (ONNX Runtime's intra-op pool; TF.js WASM is single-threaded in Node).
   * Default: every core, for a process with one pipeline. Servers with several workers pass
   * cores / workers so the threads add up to the cores.
   */
  threads?: number;
  /**
   * Called before every network run (nets/checkpoint.ts). It may throw to stop the work in hand between
   * two runs, e.g. a job past its deadline: the error propagates out of the pipeline call.
   */
  checkpoint?: () => void;
}

async function tfEngine(request: 'auto' | 'tensorflow' | 'wasm' | 'cpu'): Promise<Engine> {
  return new TfEngine(await initBackend(request));
}

async function nativeTf(): Promise<Engine | undefined> {
  try {
    return await tfEngine('tensorflow');
  } catch {
    return undefined; // neither tfjs-node-gpu nor tfjs-node loads
  }
}

/** Creates this thread's engine for `request`; throws BACKEND_UNAVAILABLE when it cannot. */
export async function createEngine(request: BackendRequest = 'auto', options: EngineOptions = {}): Promise<Engine> {
  const engine = await baseEngine(request, Math.max(1, Math.floor(options.threads ?? availableParallelism())));
  return options.checkpoint ? withCheckpoint(engine, options.checkpoint) : engine;
}

async function baseEngine(request: BackendRequest, threads: number): Promise<Engine> {
  if (request === 'onnxruntime') {
    loadOrt();
    return new OrtEngine(threads);
  }
  if (request !== 'auto') return tfEngine(request);
  const native = await nativeTf();
  if (native) return native;
  try {
    loadOrt();
    return new OrtEngine(threads);
  } catch {
    return tfEngine('wasm');
  }
}

export function parseBackendRequest(value: string | undefined): BackendRequest {
  const v = (value ?? 'auto').trim().toLowerCase();
  if ((BACKEND_REQUESTS as readonly string[]).includes(v)) return v as BackendRequest;
  throw new FaceError('BACKEND_UNAVAILABLE', `unknown backend "${value}"; expected one of ${BACKEND_REQUESTS.join(', ')}`);
}
