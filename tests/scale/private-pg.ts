/**
 * A private PostgreSQL cluster for tests that stop and start the database (never the shared server of
 * .ci/postgres.sh, which other suites use meanwhile): initdb into a temporary directory, a free loopback
 * port, trust authentication, run as the `postgres` user when we are root (PostgreSQL refuses root), as
 * .ci/postgres.sh does.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../bench/server-process.js';

/** Debian's newest /usr/lib/postgresql/<major>/bin with initdb, or null. */
export function postgresBinDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const majors = readdirSync(root).filter((v) => existsSync(path.join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(a) - Number(b));
  const newest = majors.at(-1);
  return newest ? path.join(root, newest, 'bin') : null;
}

const asRoot = process.getuid?.() === 0;

function run(bin: string, args: string[]): void {
  const [command, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  const result = spawnSync(command, argv, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${path.basename(bin)} failed (${result.status}): ${result.stderr}${result.stdout}`);
}

export interface PrivatePostgres {
  url: string;
  start(): void;
  /** `fast`: disconnects every client, as a restart for maintenance does. */
  stop(mode?: 'fast' | 'immediate'): void;
  destroy(): void;
}

export async function startPrivatePostgres(binDir: string): Promise<PrivatePostgres> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'facegate-private-pg-'));
  if (asRoot) {
    const chown = spawnSync('chown', ['postgres', dir]);
    if (chown.status !== 0) throw new Error(`chown postgres ${dir} failed`);
  }
  const data = path.join(dir, 'data');
  const port = await freePort();
  run(path.join(binDir, 'initdb'), ['-D', data, '-U', 'facegate', '--auth=trust', '-E', 'UTF8']);
  const pgCtl = path.join(binDir, 'pg_ctl');
  let running = false;
  const cluster: PrivatePostgres = {
    url: `postgres://facegate@127.0.0.1:${port}/postgres`,
    start: () => {
      run(pgCtl, ['-D', data, '-l', path.join(dir, 'server.log'), '-o', `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir}`, '-w', 'start']);
      running = true;
    },
    stop: (mode = 'fast') => {
      run(pgCtl, ['-D', data, '-m', mode, '-w', 'stop']);
      running = false;
    },
    destroy: () => {
      if (running) cluster.stop('immediate');
      rmSync(dir, { recursive: true, force: true });
    },
  };
  cluster.start();
  return cluster;
}
