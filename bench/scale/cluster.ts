/**
 * A scaled-out facegate on one machine, for tests/scale and `npm run bench:scale`: N replicas as their
 * own processes (`node dist/server/main.js`, as `npm start` runs it) on free loopback ports, sharing one
 * PostgreSQL database, and Debian's nginx in front of them with the reference configuration
 * (bench/scale/nginx.ts) rendered into a temporary directory and run unprivileged from it (`-p`, `-c`,
 * `-e`, in the foreground). Everything it starts is stopped by `stop()`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort, startServerProcess, stopServerProcess } from '../server-process.js';
import { DEFAULT_MAX_BODY_BYTES, renderNginxConfig } from './nginx.js';

/** nginx's binary: FACEGATE_NGINX, else Debian's /usr/sbin/nginx, else `nginx` on PATH; null when none runs. */
export function findNginx(): string | null {
  const candidates = [process.env.FACEGATE_NGINX, '/usr/sbin/nginx', 'nginx'].filter((c): c is string => Boolean(c));
  for (const candidate of candidates) {
    if (candidate.includes('/') && !existsSync(candidate)) continue;
    const probe = spawnSync(candidate, ['-v'], { encoding: 'utf8' });
    if (probe.status === 0) return candidate;
  }
  return null;
}

export interface Replica {
  id: string;
  url: string;
  port: number;
  child: ChildProcess;
  logFile: string;
}

export interface ReplicaOptions {
  id: string;
  /** PostgreSQL URL of the shared database. */
  databaseUrl: string;
  /** More environment (FACEGATE_*). */
  env?: Record<string, string>;
  /** Directory for the replica's log file. */
  logDir: string;
  readyTimeoutMs?: number;
  port?: number;
}

/**
 * One replica as `npm start` runs it, configured as behind a proxy: its id, no per-address connection cap
 * (every connection comes from nginx), one worker with one thread unless `env` says otherwise, and an
 * `application_name` of `facegate-<id>` on its database connections (pg_stat_activity tells replicas apart).
 */
export async function startReplica(options: ReplicaOptions): Promise<Replica> {
  const db = new URL(options.databaseUrl);
  db.searchParams.set('application_name', `facegate-${options.id}`);
  const logFile = path.join(options.logDir, `${options.id}.log`);
  const { child, url, port } = await startServerProcess(
    {
      FACEGATE_REPLICA_ID: options.id,
      FACEGATE_DATABASE_URL: db.toString(),
      FACEGATE_MAX_CONNECTIONS_PER_ADDRESS: '0',
      FACEGATE_WORKERS: '1',
      FACEGATE_THREADS: '1',
      FACEGATE_SHUTDOWN_TIMEOUT_MS: '3000',
      MALLOC_ARENA_MAX: '2',
      ...options.env,
    },
    options.readyTimeoutMs ?? 120_000,
    { entry: 'dist', logFile, ...(options.port ? { port: options.port } : {}) },
  );
  return { id: options.id, url, port, child, logFile };
}

export interface Nginx {
  url: string;
  port: number;
  dir: string;
  child: ChildProcess;
  /** nginx's error log so far. */
  errorLog(): string;
  /** nginx's access log so far (format `facegate`: upstream address and replica per request). */
  accessLog(): string;
  stop(): Promise<void>;
}

async function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** nginx in front of `replicas` on a free loopback port, run from a fresh temporary directory. */
export async function startNginx(binary: string, replicas: readonly { id: string; port: number }[], maxBodyBytes = DEFAULT_MAX_BODY_BYTES): Promise<Nginx> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'facegate-nginx-'));
  // Run as root (CI), nginx's workers drop to `nobody`, which must reach the directory.
  chmodSync(dir, 0o755);
  const port = await freePort();
  const conf = renderNginxConfig({
    listen: `127.0.0.1:${port}`,
    replicas: replicas.map((r) => ({ id: r.id, address: `127.0.0.1:${r.port}` })),
    maxBodyBytes,
    workerProcesses: 1,
    runtimeDir: dir,
  });
  const confPath = path.join(dir, 'nginx.conf');
  writeFileSync(confPath, conf);
  const child = spawn(binary, ['-p', dir, '-c', confPath, '-e', path.join(dir, 'error.log')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const read = (name: string): string => {
    try {
      return readFileSync(path.join(dir, name), 'utf8');
    } catch {
      return '';
    }
  };
  const deadline = Date.now() + 10_000;
  while (!(await listening(port))) {
    if (child.exitCode !== null) throw new Error(`nginx exited with status ${child.exitCode}: ${stderr}${read('error.log')}`);
    if (Date.now() > deadline) throw new Error(`nginx did not listen within 10 s: ${stderr}${read('error.log')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    dir,
    child,
    errorLog: () => read('error.log'),
    accessLog: () => read('access.log'),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Stops replicas (SIGTERM, drained) in parallel; killed ones are skipped. */
export async function stopReplicas(replicas: readonly Replica[]): Promise<void> {
  await Promise.all(replicas.map((r) => stopServerProcess(r.child)));
}

/** Resident set size of a process, bytes (Linux /proc). */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  return kb ? Number(kb) * 1024 : 0;
}

/** CPU time (user + system) a process has used, seconds (Linux /proc; clock ticks of 100 Hz). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields after the command: state is [0], utime [11], stime [12].
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
