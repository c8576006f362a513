/**
 * `npm run test:container`: builds the production image with Podman and checks it for real.
 *
 * 1. The base: `FACEGATE_CONTAINER_BASE` when set (e.g. node:20.20.2-bookworm-slim where a registry can
 *    be reached), else a local stand-in built by build-base.sh (debootstrap + Node from the npm
 *    registry), reused while its inputs are unchanged.
 * 2. `podman build` of the Dockerfile (layers cached between runs), timed; the image's size, layers,
 *    what its folders hold and the biggest packages in node_modules; no devDependencies and no compilers
 *    in it; every native addon loads.
 * 3. `podman run` as the image says (its user, its CMD, no --init) with a read-only root filesystem and
 *    no tmpfs, no capabilities, no-new-privileges and a published port; waits for /readyz; then, through
 *    the published port: Query.info, a genuine and an impostor `verify`, bad uploads, the web client,
 *    the image's HEALTHCHECK; the process's uid and the read-only root from inside.
 * 4. `podman stop` (the image's STOPSIGNAL, SIGTERM): exit code 0, well within the grace period.
 * 5. docker-compose.yml with podman-compose, the service and PostgreSQL, across a restart (compose.ts).
 *
 * Fails (exit 1) on any failed check, and when Podman is missing: it never skips. Logs go to
 * test-artifacts/container/. The base and the image stay in Podman's storage (the cache of the next
 * run). Options: --cold (first remove the base, the images, their build cache and the downloads, and
 * build with --no-cache: a build from nothing), --keep (also leave the stopped container, for `podman logs`/`inspect`).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, loadavg } from 'node:os';
import path from 'node:path';
import { type Upload, graphql, pairs, verifyPair } from './api.js';
import { composeTest } from './compose.js';
import {
  Fatal,
  artifacts,
  check,
  containerLogs,
  containerState,
  failures,
  fatal,
  mib,
  podman,
  podmanOk,
  preflight,
  repoRoot,
  run,
  section,
  seconds,
  tail,
  waitReady,
} from './engine.js';
import { freePort } from '../../bench/server-process.js';

const here = path.join(repoRoot, 'tests/container');
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

// ---- steps ------------------------------------------------------------------------------------------

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
  // --cold: also --no-cache, so that nothing of an earlier build is reused even if removing it missed something.
  const argv = ['build', '--network', 'host', '--format', 'docker', '--layers', ...(cold ? ['--no-cache'] : []), ...buildArgs, ...volumes, '--tag', IMAGE, '--file', 'Dockerfile', '.'];
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
    for d in /usr/local/bin/node /usr/local/include /usr/local/lib/node_modules/npm /usr/local/share /usr/lib /usr/bin /usr/sbin /usr/share /usr/libexec /etc /var /app/node_modules /app/dist /app/bin /app/package.json; do
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
  const paths = lines.filter((l) => l.startsWith('path '));
  for (const line of paths) console.log(`  ${mib(kib(line)).padStart(10)}  ${line.split(' ')[2]}`);
  if (total) console.log(`  ${mib(kib(total) - paths.reduce((sum, l) => sum + kib(l), 0)).padStart(10)}  everything else (/lib64 links, /root, /home, ...)`);
  const modules = lines.filter((l) => l.startsWith('module ')).sort((a, b) => kib(b) - kib(a));
  console.log(`node_modules: ${modules.length} packages at the top level; the largest:`);
  for (const line of modules.slice(0, 12)) console.log(`  ${mib(kib(line)).padStart(10)}  ${line.split(' ')[2]}`);
  const devDeps = lines.filter((l) => l.startsWith('devdep ')).map((l) => l.slice(7));
  check(devDeps.length === 0, 'no devDependencies in the image', devDeps.join(', ') || 'none of vitest, vite, typescript, tsx, @tensorflow/tfjs, playwright-core, codegen, autocannon, esbuild');
  const tools = lines.filter((l) => l.startsWith('tool ')).map((l) => l.slice(5));
  check(tools.length === 0, 'no compilers or build tools in the image', tools.join(', ') || 'no gcc, g++, make, python3, git, curl');
  await nativeAddonsLoad();
  return { bytes: image.Size };
}

/**
 * Every native addon loads in the image and does one real thing: the pruning in the Dockerfile's
 * prod-deps stage removes other platforms' binaries and build leftovers, and this is what catches a
 * removed file that was needed (onnxruntime-node and sharp also run in the verify checks; better-sqlite3
 * and usearch would otherwise go untested here, usearch being used only past 50,000 templates). And no
 * compiled code imports the TF.js WebGL backend that prod-deps deletes.
 */
async function nativeAddonsLoad(): Promise<void> {
  const script = String.raw`
    const ort = require('onnxruntime-node');
    const out = { onnxruntime: typeof ort.InferenceSession.create === 'function' && ort.env.versions.node };
    const Database = require('better-sqlite3');
    out.sqlite = new Database(':memory:').prepare('select sqlite_version() as v').get().v;
    const usearch = require('usearch');
    const index = new usearch.Index({ metric: 'cos', dimensions: 4, connectivity: 16, quantization: 'f32' });
    index.add(7n, new Float32Array([1, 0, 0, 0]));
    out.usearch = Number(index.search(new Float32Array([1, 0.1, 0, 0]), 1).keys[0]);
    out.sharp = require('sharp').versions.vips;
    console.log(JSON.stringify(out));`;
  const loaded = await podman(['run', '--rm', '--network', 'none', '--no-healthcheck', '--read-only', '--entrypoint', 'node', IMAGE, '-e', script]);
  const facts = loaded.code === 0 ? (JSON.parse(loaded.stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>) : {};
  check(loaded.code === 0 && facts.usearch === 7 && typeof facts.sqlite === 'string', 'native addons load in the image (onnxruntime-node, better-sqlite3, usearch, sharp)',
    loaded.code === 0 ? JSON.stringify(facts) : tail(loaded.stderr || loaded.stdout, 8));
  const webgl = await podman(['run', '--rm', '--network', 'none', '--no-healthcheck', '--entrypoint', 'sh', IMAGE, '-c', 'grep -rl "tfjs-backend-webgl" /app/dist /app/bin; ls -d /app/node_modules/@tensorflow/*']);
  const importers = webgl.stdout.split('\n').filter((l) => l.startsWith('/app/dist') || l.startsWith('/app/bin'));
  check(importers.length === 0, 'no compiled code names the TF.js WebGL backend (deleted from node_modules)',
    importers.join(', ') || `kept: ${webgl.stdout.split('\n').filter((l) => l.includes('node_modules')).map((l) => l.replace('/app/node_modules/', '')).join(', ')}`);
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

async function exercise(url: string): Promise<void> {
  section('through the published port');
  const info = await graphql(url, '{ info { version backend workers detector defaultThreshold model { name dimensions } } health { ready } }');
  const i = info.body.data?.info;
  check(info.status === 200 && i?.backend === 'onnxruntime' && i?.workers === 2, 'Query.info', JSON.stringify(i));

  const { source, genuine, impostor } = await pairs();
  console.log(`pairs from ${source}`);
  const g = await verifyPair(url, ...genuine);
  const gv = g.body.data?.verify;
  check(g.status === 200 && gv?.match === true, `verify genuine ${genuine[0].name} / ${genuine[1].name}`,
    gv ? `similarity ${gv.similarity.toFixed(4)}, threshold ${gv.threshold}, match ${gv.match}, server ${gv.timings.totalMs.toFixed(0)} ms, round trip ${g.ms.toFixed(0)} ms` : JSON.stringify(g.body));
  const n = await verifyPair(url, ...impostor);
  const nv = n.body.data?.verify;
  check(n.status === 200 && nv?.match === false, `verify impostor ${impostor[0].name} / ${impostor[1].name}`,
    nv ? `similarity ${nv.similarity.toFixed(4)}, threshold ${nv.threshold}, match ${nv.match}, server ${nv.timings.totalMs.toFixed(0)} ms, round trip ${n.ms.toFixed(0)} ms` : JSON.stringify(n.body));
  // The first requests include each worker's first forward passes; the service's steady state is next.
  const warm: number[] = [];
  for (let i = 0; i < 5; i++) warm.push((await verifyPair(url, ...genuine)).ms);
  warm.sort((a, b) => a - b);
  console.log(`  ..   genuine verify again, 5 times one after another: round trip median ${warm[2]!.toFixed(0)} ms (min ${warm[0]!.toFixed(0)}, max ${warm[4]!.toFixed(0)}; host load average ${loadavg()[0]!.toFixed(2)})`);

  const text: Upload = { name: 'notes.txt', bytes: new TextEncoder().encode('this is not a photo\n'), type: 'text/plain' };
  const bad = await verifyPair(url, genuine[0], text);
  const badCode = bad.body.errors?.[0]?.extensions;
  check(bad.status === 200 && badCode?.code === 'UNSUPPORTED_FORMAT' && badCode.argument === 'probe', 'bad upload (text as the probe)',
    `HTTP ${bad.status}, ${badCode?.code} on ${badCode?.argument}: ${bad.body.errors?.[0]?.message}`);
  const truncated: Upload = { name: 'truncated.jpg', bytes: genuine[0].bytes.subarray(0, 2000), type: 'image/jpeg' };
  const cut = await verifyPair(url, truncated, genuine[1]);
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
  const env = await podman(['exec', CONTAINER, 'sh', '-c', "tr '\\0' '\\n' </proc/1/environ | grep -E '^(MALLOC_ARENA_MAX|NODE_ENV)='"]);
  check(env.stdout.includes('MALLOC_ARENA_MAX=2') && env.stdout.includes('NODE_ENV=production'), "the server's environment has the image's MALLOC_ARENA_MAX=2 and NODE_ENV=production", env.stdout.trim().split('\n').join(', '));
  const writes = await podman(['exec', CONTAINER, 'sh', '-c', 'for d in /app /tmp /home/node; do touch "$d/.w" 2>/dev/null && echo "writable $d"; done; true']);
  check(writes.stdout.trim() === '', 'the root filesystem is read-only (/app, /tmp, /home/node), and the server needs nothing writable', writes.stdout.trim() || 'no writable path');
}

async function stopContainer(): Promise<void> {
  section('SIGTERM');
  const started = performance.now();
  const stop = await podman(['stop', '--time', String(STOP_GRACE_S), CONTAINER]);
  const ms = performance.now() - started;
  const state = await containerState(CONTAINER);
  const logs = await containerLogs(CONTAINER, 200);
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
  const postgres = await podman(['images', '--format', '{{.Repository}}:{{.Tag}}', '--filter', 'reference=localhost/facegate-postgres']);
  for (const ref of [...bases.stdout.trim().split('\n'), ...postgres.stdout.trim().split('\n')].filter(Boolean)) await removeImage(ref);
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
    const readyMs = await waitReady(url, CONTAINER, { timeoutMs: READY_TIMEOUT_MS });
    const readyLine = (await containerLogs(CONTAINER, 200)).split('\n').find((l) => l.includes('ready: models loaded'));
    const modelMs = readyLine ? (JSON.parse(readyLine) as { ms?: number }).ms : undefined;
    check(true, '/readyz is 200', `${seconds(readyMs)} after start${modelMs ? ` (models loaded in ${modelMs} ms)` : ''}`);
    await exercise(url);
    await fromInside();
    await stopContainer();
  } finally {
    writeFileSync(path.join(artifacts, 'container.log'), (await podman(['logs', CONTAINER])).stdout);
    // --volumes: also the anonymous volume of the image's VOLUME /data.
    if (!keep) await podman(['rm', '--force', '--volumes', CONTAINER]);
  }
  const composeStarted = performance.now();
  await composeTest(base.base, IMAGE);
  const composeMs = performance.now() - composeStarted;
  section('summary');
  console.log(`base: ${base.cached ? 'cached' : `built in ${seconds(base.ms)}`}; image build ${seconds(buildMs)}; image size ${mib(facts.bytes)}; compose test ${seconds(composeMs)}; whole test ${seconds(performance.now() - started)}`);
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
