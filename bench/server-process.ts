/**
 * The server as its own process, for benchmarks and tests that measure it from outside (bench/http.ts,
 * bench/soak.ts, bench/scale, tests/scale): `node --import tsx server/main.ts` (or the built
 * `dist/server/main.js`) on a free loopback port, ready when /readyz says so, stopped with SIGTERM
 * (SIGKILL after 15 s).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

export interface ServerProcessOptions {
  /** `source` (default): server/main.ts through tsx; `dist`: the build, as `npm start` runs it. */
  entry?: 'source' | 'dist';
  /** Append stdout and stderr to this file instead of this process's own. */
  logFile?: string;
  /** Listen on this port instead of a free one. */
  port?: number;
}

/**
 * Starts the server with `env` on top of this process's environment (and loopback, a free port, no
 * client, `warn` logs: request lines at `info` would measure the terminal) and waits until it is ready.
 */
export async function startServerProcess(
  env: Record<string, string>,
  readyTimeoutMs: number,
  options: ServerProcessOptions = {},
): Promise<{ child: ChildProcess; url: string; port: number }> {
  const port = options.port ?? (await freePort());
  const args = options.entry === 'dist' ? ['dist/server/main.js'] : ['--import', 'tsx', 'server/main.ts'];
  const out = options.logFile ? openSync(options.logFile, 'a') : 'inherit';
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    env: {
      ...process.env,
      FACEGATE_HOST: '127.0.0.1',
      FACEGATE_PORT: String(port),
      FACEGATE_CLIENT_DIR: 'none',
      FACEGATE_LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', out, out],
  });
  if (typeof out === 'number') closeSync(out);
  let exitCode: number | null | undefined;
  child.once('exit', (code) => (exitCode = code));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (exitCode !== undefined) throw new Error(`the server exited with status ${exitCode}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the server was not ready within ${Math.round(readyTimeoutMs / 1000)} s`);
    }
    if (await fetch(`${url}/readyz`).then((r) => r.status === 200, () => false)) return { child, url, port };
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function stopServerProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}
