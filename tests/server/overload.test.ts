/**
 * Back-pressure and deadlines through HTTP, with the real models: a queue limit of 2 turns the excess
 * into fast OVERLOADED answers; a job deadline turns a slow job into TIMEOUT, and the server recovers.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { hasLfw, lfwSkipReason, readSample } from '../support/fixtures.js';
import { DETECT, errorCodes, GENUINE, lfw, startTestServer, stopAll, upload, VERIFY } from './helpers.js';

afterAll(async () => {
  await stopAll();
});

describe.skipIf(!hasLfw)(`queue limit (${hasLfw ? 'LFW found' : lfwSkipReason})`, () => {
  it('with a queue limit of 2 and many concurrent verify requests, the excess get OVERLOADED promptly and the rest succeed', async () => {
    const server = await startTestServer({ FACEGATE_QUEUE_LIMIT: '2' });
    const [[a, i], [b, j]] = GENUINE;
    const reference = lfw(a, i);
    const probe = lfw(b, j);
    const responses = await Promise.all(
      Array.from({ length: 12 }, () => upload<{ verify: { match: boolean } }>(server.url, VERIFY, { reference, probe })),
    );
    const ok = responses.filter((r) => r.body.data?.verify.match === true);
    const overloaded = responses.filter((r) => errorCodes(r).includes('OVERLOADED'));
    // 2 workers + 2 queued jobs = 2 verifies (2 jobs each) admitted at a time.
    expect(ok.length + overloaded.length).toBe(responses.length);
    expect(ok.length).toBeGreaterThanOrEqual(2);
    expect(overloaded.length).toBeGreaterThanOrEqual(4);
    for (const r of overloaded) {
      expect(r.status).toBe(503);
      expect(r.headers.get('retry-after')).toBe('1');
      expect(r.body.errors?.[0]?.message).toMatch(/busy/);
    }
    // Promptly: a refusal never waits for inference.
    const slowestRefusal = Math.max(...overloaded.map((r) => r.ms));
    const fastestSuccess = Math.min(...ok.map((r) => r.ms));
    expect(slowestRefusal).toBeLessThan(Math.max(fastestSuccess, 1_000));
    // And the server is fine afterwards.
    const after = await upload<{ verify: { match: boolean } }>(server.url, VERIFY, { reference, probe });
    expect(after.body.data?.verify.match).toBe(true);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/facegate_graphql_requests_total\{operation="verify",outcome="OVERLOADED"\} [1-9]/);
  });
});

describe('job deadline', () => {
  it('a job past its deadline fails with TIMEOUT, its worker is replaced, and the server recovers', async () => {
    // 1 worker, 300 ms per job: a full-size sample photo takes longer than that to detect on.
    const server = await startTestServer({ FACEGATE_WORKERS: '1', FACEGATE_JOB_TIMEOUT_MS: '300' });
    const slow = await upload(server.url, DETECT, { image: { bytes: readSample(2) } });
    expect(errorCodes(slow)).toEqual(['TIMEOUT']);
    expect(slow.status).toBe(504);
    expect(slow.ms).toBeLessThan(3_000);
    // The stuck worker was replaced; once it has loaded, small jobs fit in the deadline again.
    const until = Date.now() + 30_000;
    while (!server.pool.ready && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(server.pool.ready).toBe(true);
    expect(server.pool.stats().restarts).toBe(1);
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
  });
});
