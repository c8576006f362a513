/**
 * docker-compose.yml run for real with podman-compose (called by run.ts, after the image test, with the
 * image it built): the service and PostgreSQL start together; a subject is enrolled through the
 * published port; the stack goes down and up again with its volume kept; the subject is verified and
 * identified after the restart with the same scores.
 *
 * PostgreSQL's official image cannot be pulled here, so a stand-in is built from the same base as the
 * service (tests/container/postgres/) and passed as FACEGATE_POSTGRES_IMAGE, which the compose file
 * reads with the official image as its default; FACEGATE_POSTGRES_IMAGE set by the caller is used as
 * it is (e.g. postgres:15-bookworm where a registry can be reached).
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type GqlResult, type Upload, graphql, pairs, upload } from './api.js';
import {
  artifacts,
  check,
  containerLogs,
  containerState,
  fatal,
  podman,
  podmanOk,
  repoRoot,
  run,
  section,
  seconds,
  tail,
  waitReady,
  which,
} from './engine.js';
import { freePort } from '../../bench/server-process.js';

const here = path.join(repoRoot, 'tests/container/postgres');
const PROJECT = `facegate-compose-test-${process.pid}`;
const READY_TIMEOUT_MS = 240_000;

/** The stand-in, tagged by a hash of its files and base, so that it is rebuilt only when they change. */
async function postgresImage(base: string): Promise<string> {
  if (process.env.FACEGATE_POSTGRES_IMAGE) {
    console.log(`FACEGATE_POSTGRES_IMAGE=${process.env.FACEGATE_POSTGRES_IMAGE} (used as it is)`);
    return process.env.FACEGATE_POSTGRES_IMAGE;
  }
  const hash = createHash('sha256').update(base);
  for (const file of ['Containerfile', 'entrypoint.sh']) hash.update(readFileSync(path.join(here, file)));
  const tag = `localhost/facegate-postgres:15-bookworm-${hash.digest('hex').slice(0, 12)}`;
  if ((await podman(['image', 'exists', tag])).code === 0) {
    console.log(`${tag}: cached (built earlier from the same files and base)`);
    return tag;
  }
  const argv = ['build', '--network', 'host', '--format', 'docker', '--build-arg', `BASE=${base}`, '--tag', tag, '--file', path.join(here, 'Containerfile'), here];
  console.log(`podman ${argv.join(' ')}  (log: test-artifacts/container/postgres-build.log)`);
  const built = await podmanOk(argv, 'building the PostgreSQL stand-in', { log: path.join(artifacts, 'postgres-build.log'), timeoutMs: 10 * 60_000 });
  const size = JSON.parse((await podmanOk(['image', 'inspect', tag], 'podman image inspect')).stdout) as { Size: number }[];
  console.log(`built ${tag} in ${seconds(built.ms)} (Debian's postgresql-15 on the base; ${(size[0]!.Size / 1024 / 1024).toFixed(0)} MiB)`);
  return tag;
}

interface Stack {
  url: string;
  env: NodeJS.ProcessEnv;
  adminKey: string;
}

const compose = (stack: Stack, argv: string[], what: string) =>
  run('podman-compose', ['--project-name', PROJECT, '--file', 'docker-compose.yml', ...argv], { env: stack.env, log: path.join(artifacts, `compose-${what}.log`), timeoutMs: 5 * 60_000 });

async function composeOk(stack: Stack, argv: string[], what: string): Promise<number> {
  const result = await compose(stack, argv, what);
  if (result.code !== 0) fatal(`podman-compose ${argv.join(' ')} failed (exit ${result.code}):\n${tail(result.stderr + result.stdout, 30)}`);
  return result.ms;
}

const container = (service: string): string => `${PROJECT}_${service}_1`;

/**
 * The anonymous volumes of the stack's containers (the service image's VOLUME /data): podman-compose 1.0.3's
 * `down --volumes` removes only the named ones, and `down` leaves the project's network.
 */
const anonymous = new Set<string>();

async function noteAnonymousVolumes(): Promise<void> {
  for (const service of ['facegate', 'postgres']) {
    const mounts = await podman(['inspect', '--format', '{{range .Mounts}}{{.Name}} {{end}}', container(service)]);
    for (const name of mounts.stdout.trim().split(/\s+/)) if (/^[0-9a-f]{64}$/.test(name)) anonymous.add(name);
  }
}

/** `up -d` and /readyz; what podman-compose did about the order and the health checks. */
async function up(stack: Stack, label: string): Promise<void> {
  const upMs = await composeOk(stack, ['up', '--detach', '--no-build'], `up-${label.replace(/\W+/g, '-')}`);
  await noteAnonymousVolumes();
  const readyMs = await waitReady(stack.url, container('facegate'), { timeoutMs: READY_TIMEOUT_MS, restarts: true });
  const pg = await containerState(container('postgres'));
  const fg = await containerState(container('facegate'));
  check(pg.status === 'running' && fg.status === 'running', `${label}: both services running, /readyz 200 through the published port`,
    `podman-compose up ${seconds(upMs)}, then /readyz after ${seconds(readyMs)}; facegate restarted ${fg.restarts} time(s) by its restart policy`);
  const logs = await containerLogs(container('facegate'), 400);
  const store = logs.split('\n').find((l) => l.includes('gallery store open'));
  check(Boolean(store?.includes('"kind":"postgres"')), `${label}: the gallery store is PostgreSQL`, store ? JSON.stringify((JSON.parse(store) as { location?: string }).location) : 'no "gallery store open" line');
  for (const service of ['postgres', 'facegate']) {
    const health = await podman(['healthcheck', 'run', container(service)]);
    check(health.code === 0, `${label}: ${service}'s compose healthcheck passes`, (health.stdout + health.stderr).trim() || 'healthy');
  }
}

const auth = (stack: Stack) => ({ authorization: `Bearer ${stack.adminKey}` });

function ok(result: GqlResult, field: string): any {
  const value = result.body.data?.[field];
  if (result.status !== 200 || !value) fatal(`${field} failed: HTTP ${result.status} ${JSON.stringify(result.body.errors ?? result.body)}`);
  return value;
}

interface Answers {
  verify: { match: boolean; similarity: number; threshold: number; templatesCompared: number };
  genuine: { decision: string; subject: { id: string } | null; candidates: { similarity: number }[] };
  impostor: { decision: string; subject: { id: string } | null; candidates: { similarity: number }[] };
}

async function ask(stack: Stack, galleryId: string, subjectId: string, genuine: Upload, impostor: Upload): Promise<Answers> {
  const verify = ok(await upload(stack.url, 'mutation ($s: ID!, $p: File!) { verifyFace(subjectId: $s, probe: $p) { match similarity threshold templatesCompared } }', { s: subjectId }, { p: genuine }, auth(stack)), 'verifyFace');
  const identify = 'mutation ($g: ID!, $p: File!) { identifyFace(galleryId: $g, probe: $p) { decision subject { id } candidates { similarity } } }';
  return {
    verify,
    genuine: ok(await upload(stack.url, identify, { g: galleryId }, { p: genuine }, auth(stack)), 'identifyFace'),
    impostor: ok(await upload(stack.url, identify, { g: galleryId }, { p: impostor }, auth(stack)), 'identifyFace'),
  };
}

function report(label: string, subjectId: string, a: Answers, names: { genuine: string; impostor: string }): void {
  check(a.verify.match && a.verify.templatesCompared === 1, `${label}: verifyFace(subject, ${names.genuine})`,
    `similarity ${a.verify.similarity.toFixed(4)}, threshold ${a.verify.threshold}, match ${a.verify.match}`);
  check(a.genuine.decision === 'MATCH' && a.genuine.subject?.id === subjectId, `${label}: identifyFace(${names.genuine})`,
    `${a.genuine.decision}, best ${a.genuine.candidates[0]?.similarity.toFixed(4)}`);
  check(a.impostor.decision === 'NO_MATCH' && a.impostor.subject === null, `${label}: identifyFace(${names.impostor})`,
    `${a.impostor.decision}, best ${a.impostor.candidates[0]?.similarity.toFixed(4)}`);
}

export async function composeTest(base: string, image: string): Promise<void> {
  section('docker-compose.yml with podman-compose');
  if (!which('podman-compose')) fatal('podman-compose is not installed (Debian: apt-get install -y podman-compose). This test does not skip.');
  const version = await run('podman-compose', ['version']);
  console.log((version.stdout + version.stderr).split('\n').find((l) => l.startsWith('podman-compos'))?.trim() ?? 'podman-compose version unknown');
  const pgImage = await postgresImage(base);
  const port = await freePort();
  const adminKey = `fg-compose-test-${randomBytes(12).toString('hex')}`;
  const stack: Stack = {
    url: `http://127.0.0.1:${port}`,
    adminKey,
    env: {
      FACEGATE_IMAGE: image,
      FACEGATE_POSTGRES_IMAGE: pgImage,
      FACEGATE_PUBLISH: `127.0.0.1:${port}`,
      FACEGATE_ADMIN_KEY: adminKey,
      POSTGRES_PASSWORD: randomBytes(12).toString('hex'),
    },
  };
  console.log(`project ${PROJECT}: FACEGATE_IMAGE=${image} FACEGATE_POSTGRES_IMAGE=${pgImage} FACEGATE_PUBLISH=127.0.0.1:${port} (logs: test-artifacts/container/compose-*.log)`);
  await compose(stack, ['down', '--volumes'], 'clean');
  try {
    await up(stack, 'first start');
    const { source, genuine, impostor } = await pairs();
    const names = { genuine: genuine[1].name, impostor: impostor[1].name };
    const gallery = ok(await graphql(stack.url, 'mutation { createGallery(input: { name: "compose-test" }) { id } }', {}, auth(stack)), 'createGallery');
    const subject = ok(await graphql(stack.url, 'mutation ($g: ID!) { createSubject(galleryId: $g, input: { externalId: "subject-1", displayName: "Subject One" }) { id } }', { g: gallery.id }, auth(stack)), 'createSubject');
    const enrolled = ok(await upload(stack.url, 'mutation ($s: ID!, $i: [File!]!) { enrollFaces(subjectId: $s, images: $i) { enrolled { index } rejected { index reason message } } }', { s: subject.id }, { i: [genuine[0]] }, auth(stack)), 'enrollFaces');
    check(enrolled.enrolled.length === 1, `enrollFaces(${genuine[0].name}) through the published port (${source})`, JSON.stringify(enrolled));
    const before = await ask(stack, gallery.id, subject.id, genuine[1], impostor[1]);
    report('before the restart', subject.id, before, names);

    // podman-compose 1.0.3 ignores stop_grace_period (stop and down take --timeout, default 10 s): pass
    // the compose file's 20 s. Stop first, to see the exit codes, which down's removal would take away.
    const stopMs = await composeOk(stack, ['stop', '--timeout', '20'], 'stop');
    const stopped = await Promise.all(['facegate', 'postgres'].map(async (service) => ({ service, ...(await containerState(container(service))) })));
    check(stopped.every((c) => c.status === 'exited' && c.exitCode === 0), 'podman-compose stop: both services exit 0 (SIGTERM drains facegate; SIGINT is a fast shutdown for PostgreSQL)',
      `${seconds(stopMs)}; ${stopped.map((c) => `${c.service} ${c.status} ${c.exitCode}`).join(', ')}`);
    const downMs = await composeOk(stack, ['down', '--timeout', '20'], 'down');
    const volumes = await podmanOk(['volume', 'ls', '--format', '{{.Name}}', '--filter', `label=io.podman.compose.project=${PROJECT}`], 'podman volume ls');
    const left = (await podman(['ps', '--all', '--format', '{{.Names}}', '--filter', `label=io.podman.compose.project=${PROJECT}`])).stdout.trim();
    check(left === '' && volumes.stdout.trim() !== '', 'podman-compose down: containers removed, the volume kept', `${seconds(downMs)}; volume ${volumes.stdout.trim() || 'none'}`);

    await up(stack, 'after down + up');
    const counted = ok(await graphql(stack.url, 'query ($s: ID!) { subject(id: $s) { externalId templateCount } }', { s: subject.id }, auth(stack)), 'subject');
    check(counted.externalId === 'subject-1' && counted.templateCount === 1, 'after the restart: the subject and its template are there', JSON.stringify(counted));
    const after = await ask(stack, gallery.id, subject.id, genuine[1], impostor[1]);
    report('after the restart', subject.id, after, names);
    const same = Math.abs(after.verify.similarity - before.verify.similarity) < 1e-6 && Math.abs((after.genuine.candidates[0]?.similarity ?? 0) - (before.genuine.candidates[0]?.similarity ?? 1)) < 1e-6;
    check(same, 'the same similarities before and after the restart', `verifyFace ${before.verify.similarity.toFixed(6)} / ${after.verify.similarity.toFixed(6)}`);
  } finally {
    for (const service of ['facegate', 'postgres']) {
      const logs = await podman(['logs', container(service)]);
      if (logs.code === 0) writeFileSync(path.join(artifacts, `compose-${service}-container.log`), logs.stdout + logs.stderr);
    }
    const down = await compose(stack, ['down', '--volumes'], 'cleanup');
    if (down.code !== 0) console.log(`podman-compose down --volumes failed (exit ${down.code}): ${tail(down.stderr, 5)}`);
    if (anonymous.size) await podman(['volume', 'rm', '--force', ...anonymous]);
    await podman(['network', 'rm', '--force', `${PROJECT}_default`]);
  }
}
