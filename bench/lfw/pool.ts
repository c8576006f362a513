/**
 * A small worker-thread pool for the evaluation: N workers of one entry module, each initialised once
 * (models loaded), tasks handed out so every worker keeps `depth` tasks queued (it never idles waiting for
 * the next message). A worker that dies fails the pool: evaluation runs are all-or-nothing, and the
 * on-disk cache keeps what was done.
 *
 * Protocol: the worker receives `{ type: 'init', options }` and answers `{ type: 'ready', info }` (or
 * `{ type: 'error', message }`); then `{ type: 'task', id, task }` answered by `{ type: 'result', id,
 * result }` or `{ type: 'error', id, message }`; `{ type: 'close' }` asks it to dispose and exit.
 */
import { type TransferListItem, Worker } from 'node:worker_threads';

export type WorkerMessage<R, I> =
  | { type: 'ready'; info: I }
  | { type: 'result'; id: number; result: R }
  | { type: 'error'; id?: number; message: string };

interface Pending<R> {
  resolve: (r: R) => void;
  reject: (e: Error) => void;
}

interface Slot<R> {
  worker: Worker;
  inFlight: Map<number, Pending<R>>;
}

/** Starts `entry` (a .ts module runs through tsx's loader via worker-boot.mjs; a .js module directly). */
export function startWorker(entry: URL): Worker {
  if (entry.pathname.endsWith('.ts')) {
    return new Worker(new URL('./worker-boot.mjs', import.meta.url), { workerData: { entry: entry.href } });
  }
  return new Worker(entry);
}

export class WorkerPool<T, R, I = unknown> {
  private readonly slots: Slot<R>[] = [];
  private nextId = 0;
  private failure: Error | undefined;
  private waiters: Array<() => void> = [];
  /** What each worker reported when ready (backend, model, ...). */
  readonly infos: I[] = [];

  private constructor(private readonly depth: number) {}

  static async start<T, R, I>(entry: URL, size: number, options: unknown, depth = 2): Promise<WorkerPool<T, R, I>> {
    const pool = new WorkerPool<T, R, I>(depth);
    const ready = Array.from({ length: size }, () => pool.spawn(entry, options));
    try {
      pool.infos.push(...(await Promise.all(ready)));
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  get size(): number {
    return this.slots.length;
  }

  private spawn(entry: URL, options: unknown): Promise<I> {
    const worker = startWorker(entry);
    const slot: Slot<R> = { worker, inFlight: new Map() };
    this.slots.push(slot);
    return new Promise<I>((resolveReady, rejectReady) => {
      let ready = false;
      worker.on('message', (m: WorkerMessage<R, I>) => {
        if (m.type === 'ready') {
          ready = true;
          resolveReady(m.info);
          return;
        }
        if (m.type === 'error' && m.id === undefined) {
          const e = new Error(`evaluation worker failed: ${m.message}`);
          if (!ready) rejectReady(e);
          else this.fail(e);
          return;
        }
        const p = slot.inFlight.get(m.id!);
        if (!p) return;
        slot.inFlight.delete(m.id!);
        if (m.type === 'result') p.resolve(m.result);
        else p.reject(new Error(m.message));
        this.wake();
      });
      const died = (e: Error): void => {
        if (!ready) rejectReady(e);
        this.fail(e);
      };
      worker.on('error', (e) => died(e instanceof Error ? e : new Error(String(e))));
      worker.on('exit', (code) => {
        if (code !== 0 || slot.inFlight.size > 0) died(new Error(`evaluation worker exited with code ${code}`));
      });
      worker.postMessage({ type: 'init', options });
    });
  }

  private fail(e: Error): void {
    if (!this.failure) this.failure = e;
    for (const s of this.slots) {
      for (const p of s.inFlight.values()) p.reject(e);
      s.inFlight.clear();
    }
    this.wake();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Waits until some worker has fewer than `depth` tasks queued, and returns it. */
  private async freeSlot(): Promise<Slot<R>> {
    for (;;) {
      if (this.failure) throw this.failure;
      let best: Slot<R> | undefined;
      for (const s of this.slots) if (s.inFlight.size < this.depth && (!best || s.inFlight.size < best.inFlight.size)) best = s;
      if (best) return best;
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  /**
   * Queues a task on the least busy worker, waiting first while every worker is full (back-pressure).
   * Resolves once the task is queued, to `{ result }` (a promise of the task's result), so callers can keep
   * submitting while results arrive.
   */
  async submit(task: T, transfer: readonly TransferListItem[] = []): Promise<{ result: Promise<R> }> {
    const slot = await this.freeSlot();
    const id = this.nextId++;
    const result = new Promise<R>((resolve, reject) => slot.inFlight.set(id, { resolve, reject }));
    // A failure is reported through `result`; never leave it unhandled if the caller has not attached yet.
    result.catch(() => {});
    slot.worker.postMessage({ type: 'task', id, task }, transfer);
    return { result };
  }

  /** Asks every worker to dispose its models and exit; terminates stragglers after `timeoutMs`. */
  async close(timeoutMs = 10_000): Promise<void> {
    await Promise.all(
      this.slots.map(async (s) => {
        const exited = new Promise<void>((r) => s.worker.once('exit', () => r()));
        s.worker.postMessage({ type: 'close' });
        const timer = setTimeout(() => void s.worker.terminate(), timeoutMs);
        await exited;
        clearTimeout(timer);
      }),
    );
  }
}

/**
 * The worker side: wires `init`, `task` and `close` messages to handlers. `init` returns what the pool's
 * `infos` will hold; `task` may be async; `close` disposes models.
 */
export function serveWorker<T, R, I>(
  port: { on(event: 'message', f: (m: unknown) => void): unknown; postMessage(m: unknown, t?: readonly TransferListItem[]): void },
  handlers: {
    init: (options: unknown) => Promise<I> | I;
    task: (task: T) => Promise<{ result: R; transfer?: TransferListItem[] }> | { result: R; transfer?: TransferListItem[] };
    close: () => void;
  },
): void {
  // Tasks run one at a time, in arrival order, even when a handler is async.
  let chain: Promise<void> = Promise.resolve();
  port.on('message', (raw) => {
    const m = raw as { type: 'init'; options: unknown } | { type: 'task'; id: number; task: T } | { type: 'close' };
    chain = chain.then(async () => {
      if (m.type === 'init') {
        try {
          port.postMessage({ type: 'ready', info: await handlers.init(m.options) });
        } catch (e) {
          port.postMessage({ type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
        }
      } else if (m.type === 'task') {
        try {
          const { result, transfer } = await handlers.task(m.task);
          port.postMessage({ type: 'result', id: m.id, result }, transfer ?? []);
        } catch (e) {
          port.postMessage({ type: 'error', id: m.id, message: e instanceof Error ? e.message : String(e) });
        }
      } else {
        handlers.close();
        process.exit(0);
      }
    });
  });
}
