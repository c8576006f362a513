/**
 * The server as its own process, for benchmarks that measure it from outside (bench/http.ts,
 * bench/soak.ts): `node --import tsx server/main.ts` on a free loopback port, ready when /readyz says so,
 * stopped with SIGTERM (SIGKILL after 15 s).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Starts the server with `env` on top of this process's environment (and loopback, a free port, no
 * client, `warn` logs: request lines at `info` would measure the terminal) and waits until it is ready.
 */
export async function startServerProcess(env: Record<string, string>, readyTimeoutMs: number): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: repoRoot,
    env: {
      ...process.env,
      FACEGATE_HOST: '127.0.0.1',
      FACEGATE_PORT: String(port),
      FACEGATE_CLIENT_DIR: 'none',
      FACEGATE_LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  let exitCode: number | null | undefined;
  child.once('exit', (code) => (exitCode = code));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (exitCode !== undefined) throw new Error(`the server exited with status ${exitCode}`);
    if (Date.now() > deadline) throw new Error(`the server was not ready within ${Math.round(readyTimeoutMs / 1000)} s`);
    if (await fetch(`${url}/readyz`).then((r) => r.status === 200, () => false)) return { child, url };
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function stopServerProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
}
