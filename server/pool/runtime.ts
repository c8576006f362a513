/**
 * The worker-thread side of the pool protocol. A worker file calls `serveJobs(init)`: `init` loads
 * whatever the worker needs once (models) and returns the job handlers; the runtime then answers jobs,
 * one at a time, until the pool terminates the thread.
 */
import { isMainThread, parentPort } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { serializeError, type JobMessage, type WorkerMessage } from './protocol.js';

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

export function serveJobs(init: () => Promise<WorkerSetup>): void {
  const port = parentPort;
  if (isMainThread || port === null) throw new Error('serveJobs() must run in a worker thread started by WorkerPool');
  const post = (message: WorkerMessage, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer);

  init().then(
    ({ info, handlers }) => {
      port.on('message', (message: JobMessage) => {
        if (message?.type !== 'job') return;
        const started = performance.now();
        const handler = handlers[message.kind];
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
