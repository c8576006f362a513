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
}

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
