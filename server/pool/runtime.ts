/**
 * The worker-thread side of the pool protocol. A worker file calls `serveJobs(init)`: `init` loads
 * whatever the worker needs once (models) and returns the job handlers; the runtime then answers jobs,
 * one at a time, until the pool terminates the thread.
 *
 * Cancellation is cooperative: the pool never terminates a thread that may be inside a native call
 * (terminating one there, in onnxruntime-node or tfjs-node, aborts the whole process). It marks the job
 * cancelled instead, and the job's next `checkpoint()` (called between network runs) throws.
 */
import { isMainThread, parentPort } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { EXIT_AT_CHECKPOINT, JOB_CANCELLED, serializeError, type JobMessage, type WorkerMessage } from './protocol.js';

export interface HandlerResult {
  value: unknown;
  /** Buffers to move, not copy, back to the main thread. */
  transfer?: ArrayBuffer[];
}

export type JobHandler = (payload: never) => HandlerResult | Promise<HandlerResult>;

export interface WorkerSetup {
  /** Posted with `ready`; the pool exposes it (backend, model, ...). */
  info: unknown;
  handlers: Record<string, JobHandler>;
}

export interface JobControl {
  /** Throws a `JobCancelled` error when the pool has cancelled the running job; call it between steps. */
  checkpoint(): void;
}

export class JobCancelledError extends Error {
  override readonly name = JOB_CANCELLED;
}

export function serveJobs(init: (control: JobControl) => Promise<WorkerSetup>): void {
  const port = parentPort;
  if (isMainThread || port === null) throw new Error('serveJobs() must run in a worker thread started by WorkerPool');
  const post = (message: WorkerMessage, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer);
  let running: { id: number; cancel: Int32Array } | undefined;
  const control: JobControl = {
    checkpoint() {
      if (!running) return;
      const cell = Atomics.load(running.cancel, 0);
      // Exiting here, between native calls, is what a crash looks like without aborting the process.
      if (cell === EXIT_AT_CHECKPOINT) process.exit(1);
      if (cell === running.id) throw new JobCancelledError(`job ${running.id} cancelled by the pool`);
    },
  };

  init(control).then(
    ({ info, handlers }) => {
      port.on('message', (message: JobMessage) => {
        if (message?.type !== 'job') return;
        const started = performance.now();
        const handler = handlers[message.kind];
        running = { id: message.id, cancel: message.cancel };
        void (async () => {
          try {
            if (handler === undefined) throw new Error(`unknown job kind ${JSON.stringify(message.kind)}`);
            const { value, transfer } = await handler(message.payload as never);
            post({ type: 'result', id: message.id, ok: true, value, runMs: performance.now() - started }, transfer);
          } catch (error) {
            post({ type: 'result', id: message.id, ok: false, error: serializeError(error), runMs: performance.now() - started });
          }
        })();
      });
      post({ type: 'ready', info });
    },
    (error: unknown) => {
      post({ type: 'fatal', error: serializeError(error) });
    },
  );
}
