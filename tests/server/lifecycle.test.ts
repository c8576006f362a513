/**
 * Start and stop: graceful shutdown lets in-flight requests finish and closes sockets; the server
 * process (server/main.ts, what `npm start` runs once built) drains on SIGTERM and exits 0, and refuses
 * to start on a bad configuration, naming every bad variable.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import sharp from 'sharp';
import WebSocket from 'ws';
import { afterAll, describe, expect, it } from 'vitest';
import { readSample, repoRoot } from '../support/fixtures.js';
import { DETECT, startTestServer, stopAll, upload } from './helpers.js';

afterAll(async () => {
  await stopAll();
});

describe('graceful shutdown', () => {
  it('finishes in-flight requests, closes WebSockets with 1001, then refuses connections', async () => {
    const server = await startTestServer({ FACEGATE_WORKERS: '1' });
    const photo = await sharp(readSample(2)).resize(800).jpeg().toBuffer();

    const socket = new WebSocket(`${server.url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));

    const inFlight = upload<{ detect: { faceCount: number } }>(server.url, DETECT, { image: { bytes: photo } });
    const deadline = Date.now() + 10_000;
    while (server.pool.stats().busy === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(server.pool.stats().busy).toBe(1);

    await server.stop('test');
    const response = await inFlight;
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data?.detect.faceCount).toBeGreaterThanOrEqual(1);
    expect(await closed).toBe(1001);
    expect(server.pool.ready).toBe(false);
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
  });
});

function runMain(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: repoRoot,
    env: { ...process.env, FACEGATE_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const waiters: { match: (line: Record<string, unknown>) => boolean; resolve: (line: Record<string, unknown>) => void }[] = [];
  createInterface({ input: child.stdout }).on('line', (text) => {
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return;
    }
    lines.push(line);
    for (const w of waiters.splice(0)) {
      if (w.match(line)) w.resolve(line);
      else waiters.push(w);
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const waitFor = (match: (line: Record<string, unknown>) => boolean) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const seen = lines.find(match);
      if (seen) return resolve(seen);
      waiters.push({ match, resolve });
      void exited.then((code) => reject(new Error(`server exited (${code}) first; stderr: ${stderr}`)));
    });
  return { child, lines, exited, waitFor, stderr: () => stderr };
}

describe('the server process', () => {
  it('serves once its workers are ready, drains on SIGTERM and exits 0', async () => {
    const proc = runMain({ FACEGATE_HOST: '127.0.0.1', FACEGATE_PORT: '0', FACEGATE_WORKERS: '1', FACEGATE_CLIENT_DIR: 'none' });
    try {
      const listening = await proc.waitFor((l) => l['msg'] === 'listening; loading models');
      const url = String(listening['url']);
      await proc.waitFor((l) => String(l['msg']).startsWith('ready'));
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      proc.child.kill('SIGTERM');
      expect(await proc.exited).toBe(0);
      expect(proc.lines.some((l) => l['msg'] === 'stopped')).toBe(true);
      // JSON lines with a level name and a time, from pino.
      expect(proc.lines[0]).toMatchObject({ level: 'info', name: 'facegate' });
    } finally {
      proc.child.kill('SIGKILL');
    }
  });

  it('refuses to start on a bad configuration, naming every bad variable, with status 1', async () => {
    const proc = runMain({ FACEGATE_PORT: 'eighty', FACEGATE_WORKERS: '-2' });
    expect(await proc.exited).toBe(1);
    expect(proc.stderr()).toContain('FACEGATE_PORT');
    expect(proc.stderr()).toContain('FACEGATE_WORKERS');
  });
});
