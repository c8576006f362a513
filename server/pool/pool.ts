/**
 * A small purpose-built pool of worker threads for inference.
 *
 * - Each worker loads its models once (`ready`); the pool is ready when every worker is.
 * - One job per worker at a time; waiting jobs sit in a FIFO queue bounded by `maxQueue`. Admission is
 *   all-or-nothing per call (`runAll`): a `verify` needs two jobs, and either both are accepted or the
 *   call fails at once with `OVERLOADED`, so a half-admitted request never wastes a worker.
 * - Every job has a deadline counted from submission. Past it the caller gets `TIMEOUT`; a queued job
 *   leaves the queue, and a running one is cancelled: the worker stops it at its next checkpoint (the
 *   inference worker checks before every network run) and takes the next job. A worker is never
 *   terminated inside a job, because terminating a thread inside a native call (onnxruntime-node,
 *   tfjs-node) aborts the whole process (`terminate called after throwing an instance of
 *   'Napi::Error'`). Only a worker that reaches no checkpoint within `cancelGraceMs` is terminated and
 *   replaced, as a last resort.
 * - Aborting (the request's `AbortSignal`) removes a queued job; a running one finishes and its result is
 *   dropped, so the worker and its models survive.
 * - A worker that dies (uncaught error, out of memory, terminated) is replaced; its job fails with
 *   `INTERNAL`, never hangs. A replacement that fails to load is retried with exponential backoff.
 *
 * Piscina was the alternative; a crash rejecting exactly the crashed job, readiness meaning "models
 * loaded in every worker", and all-or-nothing admission are each simpler to get right here.
 */
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { FaceError, type FaceErrorCode } from '../../models/errors.js';
import { ServiceError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { EXIT_AT_CHECKPOINT, JOB_CANCELLED, type JobMessage, type SerializedError, type WorkerMessage } from './protocol.js';

export interface PoolOptions {
  /** The worker module: a compiled `.js` file, or a `.ts` file (run through tsx: source checkouts, tests). */
  file: URL;
  /** Number of worker threads. */
  size: number;
  /** Jobs that may wait for a worker. */
  maxQueue: number;
  /** Deadline of a job, from submission. */
  jobTimeoutMs: number;
  /** Deadline for a worker to post `ready`. */
  startTimeoutMs: number;
  /** Passed to every worker as `workerData`. */
  workerData?: unknown;
  logger: Logger;
  metrics?: Metrics;
  /** Longest wait between attempts to bring back a worker that fails to load. */
  maxRestartBackoffMs?: number;
  /**
   * How long a cancelled job (past its deadline, or running at shutdown) may take to reach its next
   * checkpoint before its worker is terminated anyway. Default 10 s: longer than any single network run.
   */
  cancelGraceMs?: number;
}

export interface JobSpec {
  kind: string;
  payload: unknown;
  /** Buffers moved (not copied) to the worker; unusable in the main thread afterwards. */
  transfer?: ArrayBuffer[];
}

export interface JobOptions {
  signal?: AbortSignal;
  /** Overrides the pool's job deadline. */
  timeoutMs?: number;
}

export interface JobOutcome<T> {
  value: T;
  /** Time spent waiting for a worker. */
  queueMs: number;
  /** Time the worker spent on the job. */
  runMs: number;
  workerId: number;
}

export type WorkerState = 'starting' | 'idle' | 'busy' | 'stopped';

export interface WorkerStats {
  id: number;
  threadId: number;
  state: WorkerState;
  /** Kind of the job running now. */
  job?: string;
  jobsDone: number;
}

export interface PoolStats {
  size: number;
  starting: number;
  idle: number;
  busy: number;
  queued: number;
  restarts: number;
  /** Running jobs that were cancelled and stopped at a checkpoint, their worker kept. */
  cancelled: number;
  workers: WorkerStats[];
}

interface Job {
  id: number;
  kind: string;
  payload: unknown;
  transfer: ArrayBuffer[];
  submittedAt: number;
  startedAt?: number;
  settled: boolean;
  /** Failed while its worker was still running it (TIMEOUT, shutdown): the late result is not counted. */
  failedEarly?: boolean;
  timer?: NodeJS.Timeout;
  signal?: AbortSignal;
  onAbort?: () => void;
  resolve: (outcome: JobOutcome<unknown>) => void;
  reject: (error: unknown) => void;
}

type ExitIntent = 'timeout' | 'fatal' | 'close';

interface Slot {
  id: number;
  worker: Worker;
  state: WorkerState;
  job?: Job;
  jobsDone: number;
  /** Set when the pool itself terminates the worker, so its exit is not taken for a crash. */
  intent?: ExitIntent;
  /** Consecutive failed starts, for the backoff. */
  failures: number;
  lastError?: unknown;
  startTimer?: NodeJS.Timeout;
  /** The worker's cancellation cell, shared with the thread (see JobMessage.cancel). */
  cancel: Int32Array;
  /** Runs out when a cancelled job has not stopped within cancelGraceMs. */
  cancelTimer?: NodeJS.Timeout;
  exited: Promise<void>;
}

type Phase = 'new' | 'starting' | 'running' | 'closing' | 'closed' | 'failed';

/** tsx's ESM register API (`tsx/esm/api`, its `import` condition). */
function tsxApiUrl(): string {
  if (typeof import.meta.resolve === 'function') {
    try {
      return import.meta.resolve('tsx/esm/api');
    } catch {
      // fall through: some loaders (vitest's) do not implement it
    }
  }
  // require.resolve picks the `require` condition (index.cjs); the ESM build sits beside it.
  return pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
}

/** Starts a worker; a `.ts` module gets tsx registered first (Node 20 ignores `--import` for a worker's entry). */
function spawnThread(file: URL, workerData: unknown): Worker {
  if (file.pathname.endsWith('.ts')) {
    const tsx = tsxApiUrl();
    const source =
      `import(${JSON.stringify(tsx)})` +
      `.then((m) => { m.register(); return import(${JSON.stringify(file.href)}); })`;
    return new Worker(source, { eval: true, workerData });
  }
  return new Worker(file, { workerData });
}

function reviveError(error: SerializedError): Error {
  if (error.name === 'FaceError' && error.code !== undefined) {
    return new FaceError(error.code as FaceErrorCode, error.message);
  }
  const revived = new ServiceError('INTERNAL', `worker: ${error.name}: ${error.message}`);
  if (error.stack !== undefined) revived.stack = error.stack;
  return revived;
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

export class WorkerPool<Info = unknown> {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private phase: Phase = 'new';
  private nextJobId = 1;
  private restartCount = 0;
  private cancelledCount = 0;
  private workerInfo: Info | undefined;
  private startWaiters?: { resolve: () => void; reject: (error: unknown) => void };
  private readonly log: Logger;
  private readonly restartTimers = new Set<NodeJS.Timeout>();

  constructor(private readonly options: PoolOptions) {
    if (options.size < 1) throw new RangeError('pool size must be at least 1');
    this.log = options.logger.child({ module: 'pool' });
  }

  /** What the first worker reported with `ready` (backend, model, ...); undefined before. */
  get info(): Info | undefined {
    return this.workerInfo;
  }

  /** Every worker has loaded its models and the pool accepts jobs. */
  get ready(): boolean {
    return this.phase === 'running' && this.slots.every((s) => s.state === 'idle' || s.state === 'busy');
  }

  get size(): number {
    return this.options.size;
  }

  /** Spawns the workers; resolves once all of them are ready, rejects (and closes) if any fails to load. */
  start(): Promise<void> {
    if (this.phase !== 'new') throw new Error(`pool already ${this.phase}`);
    this.phase = 'starting';
    const started = new Promise<void>((resolve, reject) => {
      this.startWaiters = { resolve, reject };
    });
    for (let id = 0; id < this.options.size; id++) this.slots.push(this.spawn(id, 0));
    this.updateGauges();
    return started;
  }

  /** Whether `n` more jobs would be admitted now (a cheap early check before decoding uploads). */
  canAccept(n = 1): boolean {
    if (this.phase !== 'starting' && this.phase !== 'running') return false;
    const idle = this.slots.filter((s) => s.state === 'idle').length;
    return Math.max(0, idle - this.queue.length) + (this.options.maxQueue - this.queue.length) >= n;
  }

  run<T>(spec: JobSpec, options: JobOptions = {}): Promise<JobOutcome<T>> {
    return this.runAll<T>([spec], options)[0]!;
  }

  /**
   * Submits jobs that belong together: all are admitted or all fail with `OVERLOADED`. They may run on
   * different workers at the same time. Each promise settles on its own.
   */
  runAll<T>(specs: JobSpec[], options: JobOptions = {}): Promise<JobOutcome<T>>[] {
    const { signal } = options;
    if (signal?.aborted) return specs.map(() => Promise.reject(abortReason(signal)));
    if (this.phase === 'closing' || this.phase === 'closed') {
      return specs.map(() => Promise.reject(new ServiceError('OVERLOADED', 'The server is shutting down; retry on another instance')));
    }
    if (this.phase !== 'starting' && this.phase !== 'running') {
      return specs.map(() => Promise.reject(new ServiceError('INTERNAL', `inference pool is ${this.phase}`)));
    }
    if (!this.canAccept(specs.length)) {
      for (const spec of specs) this.options.metrics?.jobs.inc({ kind: spec.kind, outcome: 'OVERLOADED' });
      return specs.map(() => Promise.reject(new ServiceError('OVERLOADED', 'The server is busy; retry shortly')));
    }
    const timeoutMs = options.timeoutMs ?? this.options.jobTimeoutMs;
    const promises = specs.map((spec) => {
      return new Promise<JobOutcome<T>>((resolve, reject) => {
        const job: Job = {
          id: this.nextJobId++,
          kind: spec.kind,
          payload: spec.payload,
          transfer: spec.transfer ?? [],
          submittedAt: performance.now(),
          settled: false,
          resolve: resolve as (outcome: JobOutcome<unknown>) => void,
          reject,
        };
        job.timer = setTimeout(() => this.onDeadline(job, timeoutMs), timeoutMs);
        if (signal) {
          job.signal = signal;
          job.onAbort = () => this.onAbort(job);
          signal.addEventListener('abort', job.onAbort, { once: true });
        }
        this.queue.push(job);
      });
    });
    this.dispatch();
    return promises;
  }

  stats(): PoolStats {
    const workers = this.slots.map((s) => ({
      id: s.id,
      threadId: s.worker.threadId,
      state: s.state,
      ...(s.job ? { job: s.job.kind } : {}),
      jobsDone: s.jobsDone,
    }));
    return {
      size: this.options.size,
      starting: workers.filter((w) => w.state === 'starting').length,
      idle: workers.filter((w) => w.state === 'idle').length,
      busy: workers.filter((w) => w.state === 'busy').length,
      queued: this.queue.length,
      restarts: this.restartCount,
      cancelled: this.cancelledCount,
      workers,
    };
  }

  /**
   * Kills a worker, exactly as a crash would look to the pool: its job fails and it is replaced. A busy
   * worker exits at its job's next checkpoint (terminating it inside a native call would abort the
   * process), or is terminated after cancelGraceMs; an idle one is terminated. For tests and operators;
   * resolves once the thread has exited.
   */
  async killWorker(id: number): Promise<void> {
    const slot = this.slots[id];
    if (!slot || slot.state === 'stopped') throw new RangeError(`no live worker ${id}`);
    if (slot.state === 'busy') {
      Atomics.store(slot.cancel, 0, EXIT_AT_CHECKPOINT);
      const timer = setTimeout(() => void slot.worker.terminate(), this.cancelGraceMs);
      await slot.exited;
      clearTimeout(timer);
      return;
    }
    await slot.worker.terminate();
    await slot.exited;
  }

  /**
   * Stops accepting jobs, lets queued and running jobs finish for up to `timeoutMs`, then fails whatever
   * is left and terminates the workers.
   */
  async close(options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.phase === 'closed' || this.phase === 'closing') return;
    const wasStarting = this.phase === 'starting' || this.phase === 'new';
    this.phase = 'closing';
    for (const timer of this.restartTimers) clearTimeout(timer);
    this.restartTimers.clear();
    if (wasStarting) this.failStart(new ServiceError('INTERNAL', 'pool closed while starting'));
    const deadline = Date.now() + (options.timeoutMs ?? 10_000);
    while ((this.queue.length > 0 || this.slots.some((s) => s.state === 'busy')) && Date.now() < deadline) {
      // Jobs only progress on ready workers; with none left, waiting is pointless.
      if (!this.slots.some((s) => s.state === 'idle' || s.state === 'busy')) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const shuttingDown = (): ServiceError => new ServiceError('OVERLOADED', 'The server is shutting down; retry on another instance');
    for (const job of this.queue.splice(0)) this.settle(job, shuttingDown());
    // Jobs still running fail now and are cancelled; their workers are terminated once they stop (or
    // after the grace): never inside a native call.
    for (const slot of this.slots) {
      if (!slot.job || slot.state !== 'busy') continue;
      slot.job.failedEarly = true;
      this.settle(slot.job, shuttingDown());
      Atomics.store(slot.cancel, 0, slot.job.id);
    }
    const graceEnds = Date.now() + this.cancelGraceMs;
    while (this.slots.some((s) => s.state === 'busy') && Date.now() < graceEnds) {
      await new Promise((r) => setTimeout(r, 10));
    }
    await Promise.all(
      this.slots.map(async (slot) => {
        clearTimeout(slot.cancelTimer);
        if (slot.job) this.settle(slot.job, shuttingDown());
        if (slot.state !== 'stopped') {
          slot.intent = 'close';
          await slot.worker.terminate();
        }
        await slot.exited;
      }),
    );
    this.phase = 'closed';
    this.updateGauges();
  }

  // ---------------------------------------------------------------------------------------------

  private get cancelGraceMs(): number {
    return this.options.cancelGraceMs ?? 10_000;
  }

  private spawn(id: number, failures: number): Slot {
    const worker = spawnThread(this.options.file, this.options.workerData);
    let markExited!: () => void;
    const slot: Slot = {
      id,
      worker,
      state: 'starting',
      jobsDone: 0,
      failures,
      cancel: new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT)),
      exited: new Promise<void>((r) => (markExited = r)),
    };
    slot.startTimer = setTimeout(() => {
      if (slot.state !== 'starting') return;
      slot.lastError = new Error(`worker did not load its models within ${this.options.startTimeoutMs} ms`);
      slot.intent = 'fatal';
      this.onLoadFailure(slot, slot.lastError);
      void worker.terminate();
    }, this.options.startTimeoutMs);
    worker.on('message', (message: WorkerMessage) => this.onMessage(slot, message));
    worker.on('error', (error) => {
      slot.lastError = error;
    });
    worker.on('exit', (code) => {
      markExited();
      this.onExit(slot, code);
    });
    this.log.debug({ workerId: id, threadId: worker.threadId }, 'worker spawned');
    return slot;
  }

  private onMessage(slot: Slot, message: WorkerMessage): void {
    switch (message.type) {
      case 'ready': {
        clearTimeout(slot.startTimer);
        if (slot.state !== 'starting') return;
        slot.state = 'idle';
        slot.failures = 0;
        this.workerInfo ??= message.info as Info;
        this.log.info({ workerId: slot.id, threadId: slot.worker.threadId, info: message.info }, 'worker ready');
        if (this.phase === 'starting' && this.slots.length === this.options.size && this.slots.every((s) => s.state === 'idle')) {
          this.phase = 'running';
          this.startWaiters?.resolve();
          this.startWaiters = undefined;
        }
        this.updateGauges();
        this.dispatch();
        return;
      }
      case 'fatal': {
        clearTimeout(slot.startTimer);
        const error = reviveError(message.error);
        slot.lastError = error;
        slot.intent = 'fatal';
        this.onLoadFailure(slot, error);
        void slot.worker.terminate();
        return;
      }
      case 'result': {
        const job = slot.job;
        if (!job || job.id !== message.id) return;
        slot.job = undefined;
        slot.jobsDone++;
        if (slot.state === 'busy') slot.state = 'idle';
        clearTimeout(slot.cancelTimer);
        slot.cancelTimer = undefined;
        if (!message.ok && message.error.name === JOB_CANCELLED) {
          this.cancelledCount++;
          this.log.info({ workerId: slot.id, job: job.kind, runMs: message.runMs }, 'cancelled job stopped at a checkpoint; worker kept');
        }
        if (job.failedEarly) {
          // the caller already has its answer
        } else if (message.ok) {
          this.options.metrics?.jobs.inc({ kind: job.kind, outcome: 'ok' });
          this.settle(job, undefined, {
            value: message.value,
            queueMs: (job.startedAt ?? job.submittedAt) - job.submittedAt,
            runMs: message.runMs,
            workerId: slot.id,
          });
        } else {
          const error = reviveError(message.error);
          this.options.metrics?.jobs.inc({ kind: job.kind, outcome: error instanceof FaceError ? error.code : 'INTERNAL' });
          this.settle(job, error);
        }
        this.updateGauges();
        this.dispatch();
        return;
      }
    }
  }

  private onLoadFailure(slot: Slot, error: unknown): void {
    this.log.error({ err: error, workerId: slot.id }, 'worker failed to load its models');
    if (this.phase === 'starting') this.failStart(error);
  }

  private failStart(error: unknown): void {
    if (!this.startWaiters) return;
    const { reject } = this.startWaiters;
    this.startWaiters = undefined;
    if (this.phase === 'starting') {
      // Nothing useful can run: fail what was queued and stop the other workers.
      void this.close({ timeoutMs: 0 }).then(() => {
        this.phase = 'failed';
      });
    }
    reject(error);
  }

  private onExit(slot: Slot, code: number): void {
    clearTimeout(slot.startTimer);
    clearTimeout(slot.cancelTimer);
    const previous = slot.state;
    slot.state = 'stopped';
    const intent = slot.intent;
    const job = slot.job;
    slot.job = undefined;
    if (intent === 'close' || this.phase === 'closing' || this.phase === 'closed' || this.phase === 'failed') {
      if (job) this.settle(job, new ServiceError('OVERLOADED', 'The server is shutting down; retry on another instance'));
      this.updateGauges();
      return;
    }
    if (intent === undefined) {
      // Not ours: a crash (uncaught error, OOM, process.exit in the worker, or killWorker()).
      this.log.error({ err: slot.lastError, workerId: slot.id, exitCode: code, state: previous, job: job?.kind }, 'worker died');
      if (job) {
        this.options.metrics?.jobs.inc({ kind: job.kind, outcome: 'INTERNAL' });
        this.settle(job, new ServiceError('INTERNAL', `inference worker ${slot.id} exited (code ${code}) while running the job`));
      }
      if (this.phase === 'starting' && previous === 'starting') {
        this.failStart(slot.lastError ?? new ServiceError('INTERNAL', `worker ${slot.id} exited with code ${code} while loading`));
        return;
      }
    }
    if (job) this.settle(job, new ServiceError('INTERNAL', `inference worker ${slot.id} stopped while running the job`));
    const reason = intent === 'timeout' ? 'timeout' : 'crash';
    const failures = intent === 'fatal' || previous === 'starting' ? slot.failures + 1 : 0;
    this.replace(slot.id, reason, failures);
  }

  private replace(id: number, reason: 'crash' | 'timeout', failures: number): void {
    this.restartCount++;
    this.options.metrics?.workerRestarts.inc({ reason });
    const delay = failures === 0 ? 0 : Math.min(this.options.maxRestartBackoffMs ?? 30_000, 250 * 2 ** (failures - 1));
    this.log.warn({ workerId: id, reason, delayMs: delay, failures }, 'replacing worker');
    const respawn = (): void => {
      if (this.phase !== 'running' && this.phase !== 'starting') return;
      this.slots[id] = this.spawn(id, failures);
      this.updateGauges();
    };
    if (delay === 0) {
      respawn();
    } else {
      const timer = setTimeout(() => {
        this.restartTimers.delete(timer);
        respawn();
      }, delay);
      this.restartTimers.add(timer);
    }
    this.updateGauges();
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const slot = this.slots.find((s) => s.state === 'idle');
      if (!slot) break;
      const job = this.queue.shift()!;
      job.startedAt = performance.now();
      slot.state = 'busy';
      slot.job = job;
      const message: JobMessage = { type: 'job', id: job.id, kind: job.kind, payload: job.payload, cancel: slot.cancel };
      try {
        slot.worker.postMessage(message, job.transfer);
      } catch (error) {
        slot.state = 'idle';
        slot.job = undefined;
        this.settle(job, new ServiceError('INTERNAL', 'could not send the job to a worker', { cause: error }));
        continue;
      }
      // The payload now belongs to the worker (or is a copy); drop our reference.
      job.payload = undefined;
      job.transfer = [];
    }
    this.updateGauges();
  }

  private onDeadline(job: Job, timeoutMs: number): void {
    if (job.settled) return;
    const queued = this.queue.indexOf(job);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      this.options.metrics?.jobs.inc({ kind: job.kind, outcome: 'TIMEOUT' });
      this.settle(job, new ServiceError('TIMEOUT', `No inference worker was free within ${timeoutMs} ms`));
      this.updateGauges();
      return;
    }
    const slot = this.slots.find((s) => s.job === job);
    this.options.metrics?.jobs.inc({ kind: job.kind, outcome: 'TIMEOUT' });
    job.failedEarly = true;
    this.settle(job, new ServiceError('TIMEOUT', `Inference did not finish within ${timeoutMs} ms`));
    if (slot && slot.state === 'busy') this.cancel(slot, job, timeoutMs);
  }

  /** Asks the worker to stop `job` at its next checkpoint; terminates and replaces it if it does not in time. */
  private cancel(slot: Slot, job: Job, timeoutMs: number): void {
    this.log.warn({ workerId: slot.id, job: job.kind, timeoutMs }, 'job past its deadline: cancelling it');
    Atomics.store(slot.cancel, 0, job.id);
    slot.cancelTimer = setTimeout(() => {
      slot.cancelTimer = undefined;
      if (slot.job !== job || slot.state !== 'busy') return;
      this.log.error({ workerId: slot.id, job: job.kind, graceMs: this.cancelGraceMs }, 'cancelled job reached no checkpoint: terminating its worker');
      slot.intent = 'timeout';
      // Not ready from now on: the replacement is, once loaded.
      slot.state = 'stopped';
      this.updateGauges();
      void slot.worker.terminate();
    }, this.cancelGraceMs);
  }

  private onAbort(job: Job): void {
    if (job.settled || !job.signal) return;
    const queued = this.queue.indexOf(job);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      this.updateGauges();
    }
    // A running job keeps its worker busy until it finishes; only the caller stops waiting.
    this.settle(job, abortReason(job.signal));
  }

  private settle(job: Job, error: unknown, outcome?: JobOutcome<unknown>): void {
    if (job.settled) return;
    job.settled = true;
    clearTimeout(job.timer);
    if (job.signal && job.onAbort) job.signal.removeEventListener('abort', job.onAbort);
    if (outcome) job.resolve(outcome);
    else job.reject(error);
  }

  private updateGauges(): void {
    const metrics = this.options.metrics;
    if (!metrics) return;
    metrics.queueDepth.set(this.queue.length);
    for (const state of ['starting', 'idle', 'busy'] as const) {
      metrics.workers.set({ state }, this.slots.filter((s) => s.state === state).length);
    }
  }
}
