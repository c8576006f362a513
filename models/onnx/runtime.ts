/**
 * ONNX Runtime (onnxruntime-node, CPU binaries bundled in the npm package) with a synchronous session.
 *
 * The package's public `InferenceSession.run` wraps the native binding's synchronous run in a Promise
 * resolved on the next event-loop turn: inference blocks the thread either way. Our pipeline runs in
 * worker threads and is synchronous by contract, so we call the binding directly (the package is pinned
 * to an exact version; tests cover this wrapper) and keep one engine interface for TF.js and ORT.
 */
import { createRequire } from 'node:module';
import { FaceError } from '../errors.js';

type TensorType = 'float32' | 'uint8' | 'int64';

export interface OrtTensor {
  readonly type: string;
  readonly data: Float32Array | Uint8Array | BigInt64Array;
  readonly dims: readonly number[];
}

interface NativeSession {
  loadModel(buffer: ArrayBuffer, byteOffset: number, byteLength: number, options: object): void;
  run(feeds: Record<string, OrtTensor>, fetches: Record<string, null>, options: object): Record<string, OrtTensor>;
  dispose(): void;
  readonly outputMetadata: Array<{ name: string }>;
}

interface Ort {
  version: string;
  Tensor: new (type: TensorType, data: Float32Array | Uint8Array | BigInt64Array, dims: readonly number[]) => OrtTensor;
  InferenceSession: new () => NativeSession;
}

let loaded: Ort | undefined;
let failure: Error | undefined;

/** Loads onnxruntime-node once per thread; throws BACKEND_UNAVAILABLE when it cannot. */
export function loadOrt(): Ort {
  if (loaded) return loaded;
  if (!failure) {
    try {
      const require = createRequire(import.meta.url);
      const ort = require('onnxruntime-node') as { Tensor: Ort['Tensor']; env: { versions: { node: string } } };
      const native = require('onnxruntime-node/dist/binding') as { binding: { InferenceSession?: Ort['InferenceSession'] }; initOrt(): void };
      if (typeof native.initOrt !== 'function' || typeof native.binding?.InferenceSession !== 'function') {
        throw new Error('onnxruntime-node/dist/binding does not have the expected shape (initOrt, binding.InferenceSession)');
      }
      native.initOrt();
      loaded = { version: ort.env.versions.node, Tensor: ort.Tensor, InferenceSession: native.binding.InferenceSession };
      return loaded;
    } catch (cause) {
      failure = cause as Error;
    }
  }
  throw new FaceError('BACKEND_UNAVAILABLE', `onnxruntime-node does not load: ${failure!.message}`, { cause: failure });
}

export interface SessionOptions {
  /** Threads one run may use (ORT's intra-op pool); 1 runs everything on the calling thread. */
  threads: number;
}

/** One ONNX model loaded in ONNX Runtime on the CPU. Not shared between threads. */
export class OrtSession {
  private readonly session: NativeSession;
  private readonly fetches: Record<string, null>;

  constructor(model: Uint8Array, options: SessionOptions) {
    const ort = loadOrt();
    this.session = new ort.InferenceSession();
    this.session.loadModel(model.buffer as ArrayBuffer, model.byteOffset, model.byteLength, {
      executionProviders: [{ name: 'cpu' }],
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
      intraOpNumThreads: options.threads,
      interOpNumThreads: 1,
      enableCpuMemArena: true,
      enableMemPattern: true,
      // Pool threads spin between the nodes of one run (a futex wake per small MTCNN node costs more than
      // the node: detect 14.4 -> 12.2 ms on 2 threads) but stop when the run ends, so an idle session's
      // pool never takes the cores that other workers, the event loop and sharp need (without the stop:
      // twice the CPU time per ResNet run; with it, the same CPU time per image as no spinning at all).
      extra: { 'session.intra_op.allow_spinning': '1', 'session.force_spinning_stop': '1' },
    });
    this.fetches = Object.fromEntries(this.session.outputMetadata.map((m) => [m.name, null]));
  }

  static tensor(data: Float32Array, dims: readonly number[]): OrtTensor {
    return new (loadOrt().Tensor)('float32', data, dims);
  }

  static bytes(data: Uint8Array, dims: readonly number[]): OrtTensor {
    return new (loadOrt().Tensor)('uint8', data, dims);
  }

  static int64(values: readonly number[]): OrtTensor {
    return new (loadOrt().Tensor)('int64', BigInt64Array.from(values.map(BigInt)), [values.length]);
  }

  run(feeds: Record<string, OrtTensor>): Record<string, OrtTensor> {
    return this.session.run(feeds, this.fetches, {});
  }

  dispose(): void {
    this.session.dispose();
  }
}
