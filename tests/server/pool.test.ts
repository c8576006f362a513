/**
 * The worker pool's mechanics with real worker threads (a test worker speaking the same protocol as the
 * inference worker): admission, deadlines, crashes, aborts, load failures, shutdown. The inference
 * worker itself (wasm, real models) is exercised through HTTP in http.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FaceError } from '../../models/errors.js';
import { ServiceError } from '../../server/errors.js';
import { createLogger } from '../../server/logger.js';
import { createMetrics } from '../../server/metrics.js';
import { WorkerPool, type PoolOptions } from '../../server/pool/pool.js';

const WORKER = new URL('./fixtures/test-worker.ts', import.meta.url);
const pools: WorkerPool[] = [];

function makePool(options: Partial<PoolOptions> = {}): WorkerPool {
  const pool = new WorkerPool({
    file: WORKER,
    size: 2,
    maxQueue: 4,
    jobTimeoutMs: 10_000,
    startTimeoutMs: 20_000,
    logger: createLogger('silent'),
    maxRestartBackoffMs: 200,
    ...options,
  });
  pools.push(pool);
  return pool;
}

async function started(options: Partial<PoolOptions> = {}): Promise<WorkerPool> {
  const pool = makePool(options);
  await pool.start();
  return pool;
}

const spin = (ms: number) => ({ kind: 'spin', payload: { ms } });
const steps = (ms: number) => ({ kind: 'steps', payload: { ms } });

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    if (error instanceof ServiceError || error instanceof FaceError) return error.code;
    if (error instanceof Error) return error.name;
    return String(error);
  }
}

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close({ timeoutMs: 0 })));
});

describe('WorkerPool', () => {
  it('is ready only once every worker has loaded, and runs jobs on several workers at once', async () => {
    const pool = makePool({ workerData: { loadMs: 150 } });
    const starting = pool.start();
    expect(pool.ready).toBe(false);
    await starting;
    expect(pool.ready).toBe(true);
    expect(pool.info).toEqual({ kind: 'test-worker' });

    const t0 = performance.now();
    const [a, b] = await Promise.all([pool.run<{ threadId: number }>(spin(300)), pool.run<{ threadId: number }>(spin(300))]);
    const elapsed = performance.now() - t0;
    expect(a.value.threadId).not.toBe(b.value.threadId);
    expect(elapsed).toBeLessThan(550); // in parallel, not 600 ms in a row
    expect(a.runMs).toBeGreaterThanOrEqual(295);
  });

  it('queues up to maxQueue and rejects the excess with OVERLOADED at once, all-or-nothing per call', async () => {
    const pool = await started({ size: 1, maxQueue: 2 });
    const running = pool.run(spin(300));
    const queued = [pool.run(spin(10)), pool.run(spin(10))];
    expect(pool.stats()).toMatchObject({ busy: 1, queued: 2 });
    const t0 = performance.now();
    expect(await code(pool.run(spin(10)))).toBe('OVERLOADED');
    expect(performance.now() - t0).toBeLessThan(50);
    expect(pool.canAccept(1)).toBe(false);
    await Promise.all([running, ...queued]);

    // One slot left in the queue: a two-job call is refused whole, nothing of it is queued.
    const busy = pool.run(spin(200));
    const one = pool.run(spin(10));
    const pair = pool.runAll([spin(10), spin(10)]);
    expect(await Promise.all(pair.map(code))).toEqual(['OVERLOADED', 'OVERLOADED']);
    expect(pool.stats().queued).toBe(1);
    await Promise.all([busy, one]);
  });

  it('moves transferred buffers to the worker', async () => {
    const pool = await started({ size: 1 });
    const data = new Uint8Array([42, 1, 2, 3]);
    const result = await pool.run<{ length: number; first: number }>({ kind: 'bytes', payload: { data }, transfer: [data.buffer] });
    expect(result.value).toEqual({ length: 4, first: 42 });
    expect(data.byteLength).toBe(0); // detached: moved, not copied
  });

  it('keeps FaceError codes from the worker, and turns other worker errors into INTERNAL', async () => {
    const pool = await started({ size: 1 });
    expect(await code(pool.run({ kind: 'fail', payload: { code: 'NO_FACE' } }))).toBe('NO_FACE');
    expect(await code(pool.run({ kind: 'bug', payload: {} }))).toBe('INTERNAL');
    expect(await code(pool.run({ kind: 'nope', payload: {} }))).toBe('INTERNAL');
    expect(pool.stats().restarts).toBe(0);
  });

  it('fails a job past its deadline with TIMEOUT, queued or running; the running one stops at its next checkpoint and the worker stays', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const pool = await started({ size: 1, jobTimeoutMs: 150, metrics });
    const before = pool.stats().workers[0]!.threadId;
    const t0 = performance.now();
    const running = pool.run(steps(5_000));
    const queued = pool.run(steps(10));
    expect(await code(running)).toBe('TIMEOUT');
    expect(await code(queued)).toBe('TIMEOUT');
    expect(performance.now() - t0).toBeLessThan(1_000);
    await until(() => pool.stats().idle === 1);
    expect(performance.now() - t0).toBeLessThan(2_000);
    expect(pool.stats()).toMatchObject({ restarts: 0, cancelled: 1 });
    const next = await pool.run<{ threadId: number }>(steps(10));
    expect(next.value.threadId).toBe(before);
    // TIMEOUT counted once, not again when the cancelled job's result came back.
    const jobs = await metrics.registry.getSingleMetricAsString('facegate_pool_jobs_total');
    expect(jobs).toContain('kind="steps",outcome="TIMEOUT"} 2');
    expect(jobs).toContain('kind="steps",outcome="ok"} 1');
    expect(jobs).not.toContain('outcome="INTERNAL"');
  });

  it('terminates and replaces a worker whose cancelled job reaches no checkpoint within the grace', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const pool = await started({ size: 1, jobTimeoutMs: 150, cancelGraceMs: 200, metrics });
    const t0 = performance.now();
    expect(await code(pool.run(spin(5_000)))).toBe('TIMEOUT');
    expect(performance.now() - t0).toBeLessThan(1_000);
    // The stuck worker was terminated and replaced; the next job runs.
    await until(() => pool.stats().restarts === 1 && pool.ready);
    expect(pool.stats().cancelled).toBe(0);
    expect((await pool.run(spin(10))).value).toBeDefined();
    expect(await metrics.registry.getSingleMetricAsString('facegate_pool_worker_restarts_total')).toContain('reason="timeout"} 1');
  });

  it('replaces a worker that crashes, failing only its job', async () => {
    const pool = await started({ size: 2 });
    const other = pool.run(spin(300));
    expect(await code(pool.run({ kind: 'crash', payload: {} }))).toBe('INTERNAL');
    expect(await code(other)).toBe('resolved');
    await until(() => pool.ready);
    expect(pool.stats()).toMatchObject({ restarts: 1, idle: 2 });
    expect(await code(pool.run(spin(10)))).toBe('resolved');
  });

  it('fails the job of a worker killed mid-job (it exits at its next checkpoint, or after the grace), and the next job succeeds', async () => {
    const pool = await started({ size: 1, cancelGraceMs: 300 });
    const job = pool.run(steps(5_000));
    await until(() => pool.stats().busy === 1);
    const t0 = performance.now();
    await pool.killWorker(0);
    expect(await code(job)).toBe('INTERNAL');
    expect(performance.now() - t0).toBeLessThan(250);
    // Queued while the replacement loads: it waits for it, no error.
    expect(await code(pool.run(spin(10)))).toBe('resolved');
    expect(pool.stats().restarts).toBe(1);
    // A job that never reaches a checkpoint: terminated after the grace.
    const stuck = pool.run(spin(5_000));
    await until(() => pool.stats().busy === 1);
    const t1 = performance.now();
    await pool.killWorker(0);
    expect(await code(stuck)).toBe('INTERNAL');
    expect(performance.now() - t1).toBeLessThan(1_500);
    expect(pool.stats().restarts).toBe(2);
  });

  it('drops an aborted job from the queue; an aborted running job keeps its worker', async () => {
    const pool = await started({ size: 1 });
    const controller = new AbortController();
    const running = pool.run(spin(300), { signal: controller.signal });
    const queued = pool.run(spin(10), { signal: controller.signal });
    await until(() => pool.stats().busy === 1);
    controller.abort();
    expect(await code(running)).toBe('AbortError');
    expect(await code(queued)).toBe('AbortError');
    expect(pool.stats().queued).toBe(0);
    expect(await code(pool.run(spin(10)))).toBe('resolved');
    expect(pool.stats().restarts).toBe(0);
    const aborted = AbortSignal.abort();
    expect(await code(pool.run(spin(10), { signal: aborted }))).toBe('AbortError');
  });

  it('rejects start() with the load error and never becomes ready when models cannot load', async () => {
    const pool = makePool({ workerData: { failLoad: true } });
    const error = await pool.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FaceError);
    expect((error as FaceError).code).toBe('MODEL_LOAD_FAILED');
    expect(pool.ready).toBe(false);
    expect(await code(pool.run(spin(1)))).not.toBe('resolved');

    const crashing = makePool({ workerData: { crashOnLoad: true } });
    await expect(crashing.start()).rejects.toBeDefined();
  });

  it('drains running and queued jobs on close, then refuses new ones', async () => {
    const pool = await started({ size: 1 });
    const running = code(pool.run(spin(200)));
    const queued = code(pool.run(spin(50)));
    await pool.close({ timeoutMs: 5_000 });
    expect(await running).toBe('resolved');
    expect(await queued).toBe('resolved');
    expect(await code(pool.run(spin(1)))).toBe('OVERLOADED');
    expect(pool.ready).toBe(false);
  });

  it('fails what is left when close() runs out of time, cancelling running jobs before terminating their workers', async () => {
    const pool = await started({ size: 2, cancelGraceMs: 1_000 });
    const cooperative = code(pool.run(steps(5_000)));
    const stuck = code(pool.run(spin(5_000)));
    await until(() => pool.stats().busy === 2);
    const t0 = performance.now();
    await pool.close({ timeoutMs: 100 });
    // The cooperative job stopped at once; the stuck one held close() for the grace, then was terminated.
    expect(performance.now() - t0).toBeGreaterThanOrEqual(1_000);
    expect(performance.now() - t0).toBeLessThan(2_500);
    expect(await cooperative).toBe('OVERLOADED');
    expect(await stuck).toBe('OVERLOADED');
    expect(pool.stats().cancelled).toBe(1);
  });
});
