/**
 * `npm run test:container`: builds the production image with Podman and checks it for real.
 *
 * 1. The base: `FACEGATE_CONTAINER_BASE` when set (e.g. node:20.20.2-bookworm-slim where a registry can
 *    be reached), else a local stand-in built by build-base.sh (debootstrap + Node from the npm
 *    registry), reused while its inputs are unchanged.
 * 2. `podman build` of the Dockerfile (layers cached between runs), timed; the image's size, layers
 *    and the biggest folders of node_modules; no devDependencies and no compilers in it.
 * 3. `podman run` as the image says (its user, its CMD, no --init) with a read-only root filesystem and
 *    no tmpfs, no capabilities, no-new-privileges and a published port; waits for /readyz; then, through
 *    the published port: Query.info, a genuine and an impostor `verify`, bad uploads, the web client,
 *    the image's HEALTHCHECK; the process's uid and the read-only root from inside.
 * 4. `podman stop` (the image's STOPSIGNAL, SIGTERM): exit code 0, well within the grace period.
 *
 * Fails (exit 1) on any failed check, and when Podman is missing: it never skips. Logs go to
 * test-artifacts/container/. The base and the image stay in Podman's storage (the cache of the next
 * run). Options: --cold (first remove the base, the image, their build cache and the downloads: a
 * build from nothing), --keep (also leave the stopped container, for `podman logs`/`inspect`).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const here = path.join(repoRoot, 'tests/container');
const artifacts = path.join(repoRoot, 'test-artifacts/container');
const lfwDir = path.resolve(process.env.FACEGATE_LFW_DIR ?? path.join(repoRoot, '../shared/data/lfw'));
const downloadCache = process.env.FACEGATE_CONTAINER_CACHE ?? path.join(homedir(), '.cache/facegate/container');

const IMAGE = 'localhost/facegate:test';
const CONTAINER = `facegate-test-${process.pid}`;
/** The npm release bundled with the Node version of the Dockerfile (Node's changelog: "upgrade npm to"). */
const BUNDLED_NPM: Record<string, string> = { '20.20.2': '10.8.2' };
const STOP_GRACE_S = 20;
const READY_TIMEOUT_MS = 180_000;

const args = new Set(process.argv.slice(2));
const cold = args.has('--cold');
const keep = args.has('--keep');

// ---- running commands -------------------------------------------------------------------------------

interface Result {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a command; with `log`, its output also goes to that file (long builds). Never throws. */
interface RunOptions {
  log?: string;
  timeoutMs?: number;
  input?: string;
  /** Called with each line of stdout as it arrives. */
  onLine?: (line: string) => void;
}

function run(cmd: string, argv: string[], options: RunOptions = {}): Promise<Result> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { cwd: repoRoot, env: podmanEnv, stdio: ['pipe', 'pipe', 'pipe'] });
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

function which(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin'])) {
    const candidate = path.join(dir, command);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Settings that make Podman work in a sandbox (ISSUE 14): runc, and no default ulimits. */
const podmanEnv: NodeJS.ProcessEnv = { ...process.env };
let runtimeArgs: string[] = [];

function podman(argv: string[], options: RunOptions = {}): Promise<Result> {
  return run('podman', [...runtimeArgs, ...argv], options);
}

async function podmanOk(argv: string[], what: string, options: RunOptions = {}): Promise<Result> {
  const result = await podman(argv, options);
  if (result.code !== 0) fatal(`${what} failed (exit ${result.code}):\n${tail(result.stderr || result.stdout, 40)}`);
  return result;
}

// ---- reporting --------------------------------------------------------------------------------------

const failures: string[] = [];

function check(ok: boolean, what: string, detail = ''): void {
  console.log(`${ok ? '  ok  ' : '  FAIL'} ${what}${detail ? `: ${detail}` : ''}`);
  if (!ok) failures.push(what);
}

function section(title: string): void {
  console.log(`\n== ${title}`);
}

function fatal(message: string): never {
  console.error(`\ntest:container: ${message}`);
  process.exitCode = 1;
  throw new Fatal(message);
}

class Fatal extends Error {}

function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

// ---- steps ------------------------------------------------------------------------------------------

async function preflight(): Promise<void> {
  section('engine');
  if (!which('podman')) {
    fatal('podman is not installed (Debian: apt-get install -y podman runc). This test builds and runs the image; it does not skip.');
  }
  // crun fails on hybrid cgroups in some sandboxes; runc works everywhere Podman does.
  const runtime = process.env.FACEGATE_CONTAINER_RUNTIME ?? (which('runc') ? 'runc' : '');
  if (runtime) runtimeArgs = ['--runtime', runtime];
  if (!process.env.CONTAINERS_CONF) {
    // Podman's default ulimits are refused in some sandboxes; the container gets the engine's own.
    const conf = path.join(tmpdir(), 'facegate-containers.conf');
    writeFileSync(conf, '[containers]\ndefault_ulimits = []\n');
    podmanEnv.CONTAINERS_CONF = conf;
  }
  const version = await podmanOk(['version', '--format', '{{.Client.Version}}'], 'podman version');
  const info = await podmanOk(['info', '--format', '{{.Store.GraphDriverName}} {{.Host.NetworkBackend}} {{.Host.CgroupsVersion}}'], 'podman info');
  console.log(`podman ${version.stdout.trim()} (runtime ${runtime || 'default'}; storage, network, cgroups: ${info.stdout.trim()}), ${process.getuid?.() === 0 ? 'root' : 'rootless'}`);
}

/** Node version of the Dockerfile's `ARG NODE_VERSION=`: the stand-in base carries the same. */
function dockerfileNodeVersion(): string {
  const match = /^ARG NODE_VERSION=(\S+)$/m.exec(readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8'));
  if (!match) fatal('Dockerfile has no `ARG NODE_VERSION=`');
  return match[1]!;
}

async function removeImage(ref: string): Promise<void> {
  await podman(['rmi', '--force', ref]);
}

async function prepareBase(): Promise<{ base: string; ms: number; cached: boolean }> {
  section('base image');
  if (process.env.FACEGATE_CONTAINER_BASE) {
    console.log(`FACEGATE_CONTAINER_BASE=${process.env.FACEGATE_CONTAINER_BASE} (used as it is)`);
    return { base: process.env.FACEGATE_CONTAINER_BASE, ms: 0, cached: true };
  }
  const nodeVersion = dockerfileNodeVersion();
  const npmVersion = BUNDLED_NPM[nodeVersion];
  if (!npmVersion) fatal(`add the npm version that Node ${nodeVersion} bundles to BUNDLED_NPM in tests/container/run.ts`);
  const script = path.join(here, 'build-base.sh');
  const key = createHash('sha256').update(readFileSync(script)).update(`${nodeVersion} ${npmVersion}`).digest('hex').slice(0, 12);
  const tag = `localhost/facegate-base:${nodeVersion}-bookworm-slim-${key}`;
  if (cold) await removeImage(tag);
  if ((await podman(['image', 'exists', tag])).code === 0) {
    console.log(`${tag}: cached (built earlier from the same script and versions)`);
    return { base: tag, ms: 0, cached: true };
  }
  console.log(`building ${tag}: stand-in for node:${nodeVersion}-bookworm-slim (log: test-artifacts/container/base.log)`);
  const result = await run('bash', [script, tag, nodeVersion, npmVersion], { log: path.join(artifacts, 'base.log'), timeoutMs: 15 * 60_000 });
  if (result.code !== 0) fatal(`building the base failed (exit ${result.code}):\n${tail(result.stderr || result.stdout, 30)}`);
  console.log(tail(result.stdout, 6));
  return { base: tag, ms: result.ms, cached: false };
}

/** Production dependencies with a native addon (binding.gyp and an install script) in the lockfile. */
function nativeAddons(): string[] {
  const lock = JSON.parse(readFileSync(path.join(repoRoot, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean; hasInstallScript?: boolean }>;
  };
  return Object.entries(lock.packages)
    .filter(([dir, pkg]) => dir && !pkg.dev && pkg.hasInstallScript && existsSync(path.join(repoRoot, dir, 'binding.gyp')))
    .map(([dir]) => dir.replace(/^(.*\/)?node_modules\//, ''));
}

async function buildImage(base: string): Promise<number> {
  section('image build');
  const buildArgs = ['--build-arg', `BASE=${base}`];
  // A native addon compiles from source where its prebuilt binary cannot be downloaded (as here):
  // give the deps stage a toolchain then. It never reaches the runtime stage.
  const addons = nativeAddons();
  const toolchain = process.env.FACEGATE_BUILD_PACKAGES ?? (addons.length ? 'python3 make g++' : '');
  if (toolchain) {
    buildArgs.push('--build-arg', `BUILD_PACKAGES=${toolchain}`);
    console.log(`BUILD_PACKAGES=${toolchain} (native addons: ${addons.join(', ') || 'none found; set by FACEGATE_BUILD_PACKAGES'})`);
  }
  const volumes: string[] = [];
  // Behind a TLS-inspecting proxy, npm in the build needs the proxy's CA, as npm on this host does.
  const extraCa = process.env.NODE_EXTRA_CA_CERTS;
  if (extraCa && existsSync(extraCa)) {
    volumes.push('--volume', `${extraCa}:/run/facegate-build-ca.pem:ro`);
    buildArgs.push('--build-arg', 'NODE_EXTRA_CA_CERTS=/run/facegate-build-ca.pem');
    console.log(`NODE_EXTRA_CA_CERTS: ${extraCa} is mounted into the build's RUN steps (not stored in the image)`);
  }
  const argv = ['build', '--network', 'host', '--format', 'docker', '--layers', ...buildArgs, ...volumes, '--tag', IMAGE, '--file', 'Dockerfile', '.'];
  console.log(`podman ${argv.join(' ')}  (log: test-artifacts/container/build.log)`);
  // Each STEP line starts a step; the next one (or the end) ends it.
  const steps: { label: string; at: number }[] = [];
  const started = performance.now();
  const result = await podmanOk(argv, 'podman build', {
    log: path.join(artifacts, 'build.log'),
    timeoutMs: 30 * 60_000,
    onLine: (line) => {
      if (/^\[\d+\/\d+\] STEP \d+\/\d+: /.test(line)) steps.push({ label: line.replace(/\s+/g, ' ').slice(0, 100), at: performance.now() - started });
    },
  });
  const cachedSteps = (result.stdout.match(/--> Using cache/g) ?? []).length;
  console.log(`built in ${seconds(result.ms)} (${steps.length} steps, ${cachedSteps} from the layer cache); the slowest:`);
  const timed = steps.map((step, i) => ({ label: step.label, ms: (steps[i + 1]?.at ?? result.ms) - step.at }));
  for (const step of timed.sort((a, b) => b.ms - a.ms).slice(0, 5)) console.log(`  ${seconds(step.ms).padStart(8)}  ${step.label}`);
  return result.ms;
}

interface ImageFacts {
  bytes: number;
}

async function inspectImage(): Promise<ImageFacts> {
  section('image contents');
  const inspect = JSON.parse((await podmanOk(['image', 'inspect', IMAGE], 'podman image inspect')).stdout) as {
    Size: number;
    Healthcheck?: { Test?: string[] };
    Config: { User?: string };
  }[];
  const image = inspect[0]!;
  console.log(`image size: ${mib(image.Size)} (${image.Size} bytes, uncompressed)`);
  check(image.Config.User === 'node', 'the image runs as the `node` user', `User=${image.Config.User ?? '(none)'}`);
  check(Boolean(image.Healthcheck?.Test?.length), 'the image has a HEALTHCHECK', image.Healthcheck?.Test?.slice(0, 2).join(' ') ?? '');

  const history = JSON.parse((await podmanOk(['history', '--format', 'json', IMAGE], 'podman history')).stdout) as { size: number; CreatedBy: string }[];
  console.log('layers with content (newest first; the last one is the base image):');
  for (const layer of history.filter((l) => l.size > 0)) {
    console.log(`  ${mib(layer.size).padStart(10)}  ${layer.CreatedBy.replace('/bin/sh -c #(nop) ', '').replace(/\s+/g, ' ').replace(/[0-9a-f]{64}/, (h) => h.slice(0, 12))}`);
  }

  const survey = String.raw`
    cd /app
    echo "total $(du -sk / --exclude=/proc --exclude=/sys 2>/dev/null | cut -f1)"
    for d in /usr/local/bin/node /usr/local/include /usr/local/lib/node_modules/npm /usr/lib /usr/share /var /app/node_modules /app/dist; do
      echo "path $(du -sk "$d" | cut -f1) $d"
    done
    for d in node_modules/* node_modules/@*/*; do case "$d" in node_modules/@*/*|node_modules/[!@]*) echo "module $(du -sk "$d" | cut -f1) $d";; esac; done
    for p in vitest vite typescript tsx @tensorflow/tfjs playwright-core @graphql-codegen/cli autocannon esbuild; do
      [ -e "node_modules/$p" ] && echo "devdep $p"
    done
    for t in gcc cc g++ make python3 git curl; do command -v "$t" >/dev/null 2>&1 && echo "tool $t"; done
    true`;
  const out = await podmanOk(['run', '--rm', '--network', 'none', '--no-healthcheck', '--entrypoint', 'sh', IMAGE, '-c', survey], 'surveying the image');
  const lines = out.stdout.trim().split('\n');
  const kib = (line: string): number => Number(line.split(' ')[1]) * 1024;
  const total = lines.find((l) => l.startsWith('total '));
  if (total) console.log(`files in the image: ${mib(kib(total))}`);
  for (const line of lines.filter((l) => l.startsWith('path '))) console.log(`  ${mib(kib(line)).padStart(10)}  ${line.split(' ')[2]}`);
  const modules = lines.filter((l) => l.startsWith('module ')).sort((a, b) => kib(b) - kib(a));
  console.log(`node_modules: ${modules.length} packages at the top level; the largest:`);
  for (const line of modules.slice(0, 12)) console.log(`  ${mib(kib(line)).padStart(10)}  ${line.split(' ')[2]}`);
  const devDeps = lines.filter((l) => l.startsWith('devdep ')).map((l) => l.slice(7));
  check(devDeps.length === 0, 'no devDependencies in the image', devDeps.join(', ') || 'none of vitest, vite, typescript, tsx, @tensorflow/tfjs, playwright-core, codegen, autocannon, esbuild');
  const tools = lines.filter((l) => l.startsWith('tool ')).map((l) => l.slice(5));
  check(tools.length === 0, 'no compilers or build tools in the image', tools.join(', ') || 'no gcc, g++, make, python3, git, curl');
  return { bytes: image.Size };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function startContainer(port: number): Promise<void> {
  section('run');
  const argv = [
    'run', '--detach', '--name', CONTAINER,
    // As docker-compose.yml runs it, but stricter: Docker's --read-only adds no tmpfs; neither does this.
    '--read-only', '--read-only-tmpfs=false',
    '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges',
    '--publish', `127.0.0.1:${port}:4000`,
    '--env', 'FACEGATE_WORKERS=2',
    IMAGE,
  ];
  console.log(`podman ${argv.join(' ')}`);
  await podmanOk(argv, 'podman run');
}

async function containerState(): Promise<{ status: string; exitCode: number }> {
  const out = await podman(['inspect', '--format', '{{.State.Status}} {{.State.ExitCode}}', CONTAINER]);
  const [status = 'unknown', code = '-1'] = out.stdout.trim().split(' ');
  return { status, exitCode: Number(code) };
}

async function waitReady(url: string): Promise<number> {
  const started = performance.now();
  for (;;) {
    try {
      const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) });
      if (response.status === 200) return performance.now() - started;
    } catch {
      // not listening yet
    }
    const state = await containerState();
    if (state.status !== 'running') fatal(`the container stopped (${state.status}, exit ${state.exitCode}) before /readyz:\n${await containerLogs(30)}`);
    if (performance.now() - started > READY_TIMEOUT_MS) fatal(`/readyz not 200 after ${seconds(READY_TIMEOUT_MS)}:\n${await containerLogs(30)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function containerLogs(lines: number): Promise<string> {
  const out = await podman(['logs', CONTAINER]);
  return tail(out.stdout + out.stderr, lines);
}

interface GqlBody {
  data?: Record<string, any> | null;
  errors?: { message: string; extensions?: { code?: string; argument?: string } }[];
}

async function graphql(url: string, query: string): Promise<{ status: number; body: GqlBody }> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });
  return { status: response.status, body: (await response.json()) as GqlBody };
}

async function uploadPair(url: string, reference: Upload, probe: Upload): Promise<{ status: number; body: GqlBody; ms: number }> {
  const query = 'mutation ($r: File!, $p: File!) { verify(reference: $r, probe: $p) { similarity match threshold model reference { faceCount } probe { faceCount } timings { totalMs } } }';
  const form = new FormData();
  form.append('operations', JSON.stringify({ query, variables: { r: null, p: null } }));
  form.append('map', JSON.stringify({ 0: ['variables.r'], 1: ['variables.p'] }));
  form.append('0', new Blob([reference.bytes], { type: reference.type }), reference.name);
  form.append('1', new Blob([probe.bytes], { type: probe.type }), probe.name);
  const started = performance.now();
  const response = await fetch(`${url}/graphql`, { method: 'POST', body: form });
  return { status: response.status, body: (await response.json()) as GqlBody, ms: performance.now() - started };
}

interface Upload {
  name: string;
  bytes: Uint8Array;
  type: string;
}

const lfwPhoto = (name: string, n: number): Upload => {
  const file = `${name}_${String(n).padStart(4, '0')}.jpg`;
  return { name: file, bytes: readFileSync(path.join(lfwDir, 'images', name, file)), type: 'image/jpeg' };
};

/** LFW when present (two photos of one person; two people); else face-api's demo photos. */
async function pairs(): Promise<{ source: string; genuine: [Upload, Upload]; impostor: [Upload, Upload] }> {
  if (existsSync(path.join(lfwDir, 'pairs.txt'))) {
    return {
      source: `LFW (${lfwDir})`,
      genuine: [lfwPhoto('Aaron_Peirsol', 1), lfwPhoto('Aaron_Peirsol', 2)],
      impostor: [lfwPhoto('Aaron_Peirsol', 1), lfwPhoto('Abel_Pacheco', 1)],
    };
  }
  // Without LFW: one demo photo against a brighter, re-encoded copy of itself (the same face, other
  // pixels: similarity 0.998 on the host), and the largest faces of two group photos (0.841).
  const demo = (n: number): Upload => ({
    name: `sample${n}.jpg`,
    bytes: readFileSync(path.join(repoRoot, `node_modules/@vladmandic/face-api/demo/sample${n}.jpg`)),
    type: 'image/jpeg',
  });
  const copy = await sharp(demo(3).bytes).modulate({ brightness: 1.1 }).jpeg({ quality: 85 }).toBuffer();
  return {
    source: 'face-api demo photos (LFW not found)',
    genuine: [demo(3), { name: 'sample3-brighter.jpg', bytes: copy, type: 'image/jpeg' }],
    impostor: [demo(4), demo(5)],
  };
}

async function exercise(url: string): Promise<void> {
  section('through the published port');
  const info = await graphql(url, '{ info { version backend workers detector defaultThreshold model { name dimensions } } health { ready } }');
  const i = info.body.data?.info;
  check(info.status === 200 && i?.backend === 'onnxruntime' && i?.workers === 2, 'Query.info', JSON.stringify(i));

  const { source, genuine, impostor } = await pairs();
  console.log(`pairs from ${source}`);
  const g = await uploadPair(url, ...genuine);
  const gv = g.body.data?.verify;
  check(g.status === 200 && gv?.match === true, `verify genuine ${genuine[0].name} / ${genuine[1].name}`,
    gv ? `similarity ${gv.similarity.toFixed(4)}, threshold ${gv.threshold}, match ${gv.match}, server ${gv.timings.totalMs.toFixed(0)} ms, round trip ${g.ms.toFixed(0)} ms` : JSON.stringify(g.body));
  const n = await uploadPair(url, ...impostor);
  const nv = n.body.data?.verify;
  check(n.status === 200 && nv?.match === false, `verify impostor ${impostor[0].name} / ${impostor[1].name}`,
    nv ? `similarity ${nv.similarity.toFixed(4)}, threshold ${nv.threshold}, match ${nv.match}, server ${nv.timings.totalMs.toFixed(0)} ms, round trip ${n.ms.toFixed(0)} ms` : JSON.stringify(n.body));
  // The first requests include each worker's first forward passes; the service's steady state is next.
  const warm: number[] = [];
  for (let i = 0; i < 5; i++) warm.push((await uploadPair(url, ...genuine)).ms);
  warm.sort((a, b) => a - b);
  console.log(`  ..   genuine verify again, 5 times one after another: round trip median ${warm[2]!.toFixed(0)} ms (min ${warm[0]!.toFixed(0)}, max ${warm[4]!.toFixed(0)}; host load average ${loadavg()[0]!.toFixed(2)})`);

  const text: Upload = { name: 'notes.txt', bytes: new TextEncoder().encode('this is not a photo\n'), type: 'text/plain' };
  const bad = await uploadPair(url, genuine[0], text);
  const badCode = bad.body.errors?.[0]?.extensions;
  check(bad.status === 200 && badCode?.code === 'UNSUPPORTED_FORMAT' && badCode.argument === 'probe', 'bad upload (text as the probe)',
    `HTTP ${bad.status}, ${badCode?.code} on ${badCode?.argument}: ${bad.body.errors?.[0]?.message}`);
  const truncated: Upload = { name: 'truncated.jpg', bytes: genuine[0].bytes.subarray(0, 2000), type: 'image/jpeg' };
  const cut = await uploadPair(url, truncated, genuine[1]);
  const cutCode = cut.body.errors?.[0]?.extensions;
  check(cut.status === 200 && cutCode?.code === 'BAD_IMAGE' && cutCode.argument === 'reference', 'bad upload (truncated JPEG as the reference)',
    `HTTP ${cut.status}, ${cutCode?.code} on ${cutCode?.argument}: ${cut.body.errors?.[0]?.message}`);
  const after = await fetch(`${url}/readyz`);
  check(after.status === 200, 'still ready after the bad uploads');

  const page = await fetch(`${url}/`);
  const html = await page.text();
  check(page.status === 200 && html.includes('<div id'), 'the web client is served at /', `HTTP ${page.status}, ${html.length} bytes`);
  const metrics = await (await fetch(`${url}/metrics`)).text();
  check(/facegate_graphql_requests_total\{[^}]*operation="verify"[^}]*\} [1-9]/.test(metrics), '/metrics counts the verifications');
}

async function fromInside(): Promise<void> {
  section('inside the container');
  const health = await podman(['healthcheck', 'run', CONTAINER]);
  check(health.code === 0, "the image's HEALTHCHECK passes", (health.stdout + health.stderr).trim() || 'healthy');
  const ids = await podman(['exec', CONTAINER, 'sh', '-c', 'id -u; id -g; id -un; grep -E "^(Uid|CapEff|NoNewPrivs)" /proc/1/status | tr -s "\\t" " "']);
  const [uid, gid, user, ...status] = ids.stdout.trim().split('\n');
  check(uid === '1000' && gid === '1000' && user === 'node', 'runs as a non-root user', `uid ${uid}, gid ${gid} (${user})`);
  check(status.some((l) => /^Uid: 1000 1000 1000 1000$/.test(l.trim())), 'the server process (PID 1) is uid 1000', status.find((l) => l.startsWith('Uid')) ?? '');
  check(status.some((l) => /^CapEff: 0+$/.test(l.trim())), 'the server process has no capabilities', status.find((l) => l.startsWith('CapEff')) ?? '');
  const writes = await podman(['exec', CONTAINER, 'sh', '-c', 'for d in /app /tmp /home/node; do touch "$d/.w" 2>/dev/null && echo "writable $d"; done; true']);
  check(writes.stdout.trim() === '', 'the root filesystem is read-only (/app, /tmp, /home/node), and the server needs nothing writable', writes.stdout.trim() || 'no writable path');
}

async function stopContainer(): Promise<void> {
  section('SIGTERM');
  const started = performance.now();
  const stop = await podman(['stop', '--time', String(STOP_GRACE_S), CONTAINER]);
  const ms = performance.now() - started;
  const state = await containerState();
  const logs = await containerLogs(200);
  const drained = logs.includes('"msg":"shutting down: draining requests"') && logs.includes('"reason":"SIGTERM"');
  const stopped = logs.includes('"msg":"stopped"');
  check(stop.code === 0 && state.exitCode === 0, 'podman stop (SIGTERM): exit code 0', `exit ${state.exitCode} after ${seconds(ms)} (grace ${STOP_GRACE_S} s; SIGKILL would be 137)`);
  check(ms < 15_000, 'stopped well within the grace period', seconds(ms));
  check(drained && stopped, 'logged the drain and the stop', `${drained ? 'draining on SIGTERM' : 'no drain line'}, ${stopped ? '"stopped"' : 'no "stopped" line'}`);
}

async function coldStart(): Promise<void> {
  section('--cold: removing the cached base, images, build cache and downloads');
  await podman(['rm', '--force', '--all', '--filter', `ancestor=${IMAGE}`]);
  await removeImage(IMAGE);
  const bases = await podman(['images', '--format', '{{.Repository}}:{{.Tag}}', '--filter', 'reference=localhost/facegate-base']);
  for (const ref of bases.stdout.trim().split('\n').filter(Boolean)) await removeImage(ref);
  await podman(['image', 'prune', '--force']);
  // Buildah keeps RUN --mount=type=cache folders here (the npm cache of the image's npm ci).
  for (const dir of ['/var/tmp/buildah-cache', `/var/tmp/buildah-cache-${process.getuid?.() ?? 0}`]) rmSync(dir, { recursive: true, force: true });
  rmSync(downloadCache, { recursive: true, force: true });
}

async function main(): Promise<void> {
  mkdirSync(artifacts, { recursive: true });
  const started = performance.now();
  await preflight();
  if (cold) await coldStart();
  const base = await prepareBase();
  const buildMs = await buildImage(base.base);
  const facts = await inspectImage();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  try {
    await startContainer(port);
    const readyMs = await waitReady(url);
    const readyLine = (await containerLogs(200)).split('\n').find((l) => l.includes('ready: models loaded'));
    const modelMs = readyLine ? (JSON.parse(readyLine) as { ms?: number }).ms : undefined;
    check(true, '/readyz is 200', `${seconds(readyMs)} after start${modelMs ? ` (models loaded in ${modelMs} ms)` : ''}`);
    await exercise(url);
    await fromInside();
    await stopContainer();
  } finally {
    writeFileSync(path.join(artifacts, 'container.log'), (await podman(['logs', CONTAINER])).stdout);
    if (!keep) await podman(['rm', '--force', CONTAINER]);
  }
  section('summary');
  console.log(`base: ${base.cached ? 'cached' : `built in ${seconds(base.ms)}`}; image build ${seconds(buildMs)}; image size ${mib(facts.bytes)}; whole test ${seconds(performance.now() - started)}`);
  if (failures.length) {
    console.log(`${failures.length} check(s) failed: ${failures.join('; ')}`);
    process.exitCode = 1;
  } else {
    console.log('every check passed');
  }
}

main().catch((error: unknown) => {
  if (!(error instanceof Fatal)) console.error(error);
  process.exitCode = 1;
});
