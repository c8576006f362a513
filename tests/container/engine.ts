/**
 * Podman for the container tests (run.ts, compose.ts): running commands, the engine's settings for
 * sandboxes like this project's machines, containers' state and logs, and the checks' report.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const artifacts = path.join(repoRoot, 'test-artifacts/container');

// ---- running commands -------------------------------------------------------------------------------

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a command; with `log`, its output also goes to that file (long builds). Never throws. */
export interface RunOptions {
  log?: string;
  timeoutMs?: number;
  input?: string;
  /** Called with each line of stdout as it arrives. */
  onLine?: (line: string) => void;
  /** Added to the environment (podman-compose reads the compose file's variables from it). */
  env?: NodeJS.ProcessEnv;
}

export function run(cmd: string, argv: string[], options: RunOptions = {}): Promise<Result> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { cwd: repoRoot, env: { ...podmanEnv, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    const log = options.log ? createWriteStream(options.log) : undefined;
    let stdout = '';
    let stderr = '';
    let partial = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      log?.write(chunk);
      if (!options.onLine) return;
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) options.onLine(line);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      log?.write(chunk);
    });
    const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : undefined;
    child.on('error', (error) => {
      stderr += String(error);
    });
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      log?.end();
      resolve({ code: code ?? 137, stdout, stderr, ms: performance.now() - started });
    });
    child.stdin.end(options.input ?? '');
  });
}

export function which(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin'])) {
    const candidate = path.join(dir, command);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Settings that make Podman work in a sandbox (ISSUE 14): runc, and no default ulimits. */
export const podmanEnv: NodeJS.ProcessEnv = { ...process.env };
let runtimeArgs: string[] = [];
let runtimeName = '';

export function podman(argv: string[], options: RunOptions = {}): Promise<Result> {
  return run('podman', [...runtimeArgs, ...argv], options);
}

export async function podmanOk(argv: string[], what: string, options: RunOptions = {}): Promise<Result> {
  const result = await podman(argv, options);
  if (result.code !== 0) fatal(`${what} failed (exit ${result.code}):\n${tail(result.stderr || result.stdout, 40)}`);
  return result;
}

// ---- reporting --------------------------------------------------------------------------------------

export const failures: string[] = [];

export function check(ok: boolean, what: string, detail = ''): void {
  console.log(`${ok ? '  ok  ' : '  FAIL'} ${what}${detail ? `: ${detail}` : ''}`);
  if (!ok) failures.push(what);
}

export function section(title: string): void {
  console.log(`\n== ${title}`);
}

export function fatal(message: string): never {
  console.error(`\ntest:container: ${message}`);
  process.exitCode = 1;
  throw new Fatal(message);
}

export class Fatal extends Error {}

export function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

export const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
export const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

// ---- the engine -------------------------------------------------------------------------------------

export async function preflight(): Promise<void> {
  section('engine');
  if (!which('podman')) {
    fatal('podman is not installed (Debian: apt-get install -y podman runc). This test builds and runs the image; it does not skip.');
  }
  // crun fails on hybrid cgroups in some sandboxes; runc works everywhere Podman does.
  const runtime = process.env.FACEGATE_CONTAINER_RUNTIME ?? (which('runc') ? 'runc' : '');
  if (runtime) runtimeArgs = ['--runtime', runtime];
  runtimeName = runtime;
  if (!process.env.CONTAINERS_CONF) {
    // Podman's default ulimits are refused in some sandboxes; the container gets the engine's own.
    const conf = path.join(tmpdir(), 'facegate-containers.conf');
    // The runtime is named here too, for podman-compose, which runs podman without --runtime.
    writeFileSync(conf, `[containers]\ndefault_ulimits = []\n${runtime ? `\n[engine]\nruntime = "${runtime}"\n` : ''}`);
    podmanEnv.CONTAINERS_CONF = conf;
  }
  const version = await podmanOk(['version', '--format', '{{.Client.Version}}'], 'podman version');
  const info = await podmanOk(['info', '--format', '{{.Store.GraphDriverName}} {{.Host.NetworkBackend}} {{.Host.CgroupsVersion}}'], 'podman info');
  console.log(`podman ${version.stdout.trim()} (runtime ${runtime || 'default'}; storage, network, cgroups: ${info.stdout.trim()}), ${process.getuid?.() === 0 ? 'root' : 'rootless'}`);
}

/** The runtime preflight chose (runc here), or empty for Podman's default. */
export const runtime = (): string => runtimeName;

// ---- containers -------------------------------------------------------------------------------------

export async function containerState(container: string): Promise<{ status: string; exitCode: number; restarts: number }> {
  const out = await podman(['inspect', '--format', '{{.State.Status}} {{.State.ExitCode}} {{.RestartCount}}', container]);
  const [status = 'unknown', code = '-1', restarts = '0'] = out.stdout.trim().split(' ');
  return { status, exitCode: Number(code), restarts: Number(restarts) };
}

/**
 * Waits for `${url}/readyz` to answer 200. Fails at once when the container stops, unless it has a
 * restart policy (`restarts`: Podman brings it back, as for docker-compose.yml's services).
 */
export async function waitReady(url: string, container: string, options: { timeoutMs: number; restarts?: boolean }): Promise<number> {
  const started = performance.now();
  for (;;) {
    try {
      const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) });
      if (response.status === 200) return performance.now() - started;
    } catch {
      // not listening yet
    }
    const state = await containerState(container);
    if (state.status !== 'running' && !options.restarts) {
      fatal(`the container stopped (${state.status}, exit ${state.exitCode}) before /readyz:\n${await containerLogs(container, 30)}`);
    }
    if (performance.now() - started > options.timeoutMs) fatal(`/readyz not 200 after ${seconds(options.timeoutMs)}:\n${await containerLogs(container, 30)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

export async function containerLogs(container: string, lines: number): Promise<string> {
  const out = await podman(['logs', container]);
  return tail(out.stdout + out.stderr, lines);
}
