/**
 * Messages between the pool (main thread) and a worker thread. A worker posts `ready` once its models
 * are loaded (or `fatal` when they cannot be), then answers one `job` at a time with one `result`.
 */

/** An error as it crosses the thread boundary: `name` and `code` let the pool rebuild a typed error. */
export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  stack?: string;
}

export interface JobMessage {
  type: 'job';
  id: number;
  kind: string;
  payload: unknown;
  /**
   * The worker's cancellation cell (one Int32 on a SharedArrayBuffer, the same memory in both threads):
   * the pool stores a job's id there to ask the worker to stop that job at its next checkpoint, or
   * EXIT_AT_CHECKPOINT to have the thread exit there.
   */
  cancel: Int32Array;
}

/** In a cancellation cell: the thread exits at its next checkpoint, as if it crashed (WorkerPool.killWorker). */
export const EXIT_AT_CHECKPOINT = -1;

/** The error a job ends with when the pool cancelled it (past its deadline, or at shutdown). */
export const JOB_CANCELLED = 'JobCancelled';

export type WorkerMessage =
  | { type: 'ready'; info: unknown }
  | { type: 'fatal'; error: SerializedError }
  | { type: 'result'; id: number; ok: true; value: unknown; runMs: number }
  | { type: 'result'; id: number; ok: false; error: SerializedError; runMs: number };

export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      name: error.name,
      message: error.message,
      ...(typeof code === 'string' ? { code } : {}),
      ...(error.stack === undefined ? {} : { stack: error.stack }),
    };
  }
  return { name: 'Error', message: String(error) };
}
