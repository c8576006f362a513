/**
 * `npm run bench:scale`: one replica against two behind nginx, on this machine, in one run; and the
 * per-replica costs a capacity plan needs.
 *
 * - Setups, both behind the same nginx configuration (bench/scale/nginx.ts), on one PostgreSQL database:
 *   `1 x 2`: one replica with 2 workers; `2 x 1`: two replicas with 1 worker each. Same number of
 *   inference workers (one per core here), so the comparison shows what the second process and the proxy
 *   cost or gain, not more hardware: on one 2-core machine expect no gain. Real scale-out puts each
 *   replica on its own cores.
 * - Load: closed loops of `verify` (a genuine pair of face crops) and of `identifyFace` (a gallery of 5
 *   people) at a fixed concurrency; then one live session over graphql-ws, frames sent one after the
 *   other (each after the previous result), 640x480 JPEG frames with the probe face in the middle.
 * - Costs: CPU-seconds of the replicas' processes (user + system, /proc) per request and per live frame,
 *   RSS (peak, sampled every 100 ms); nginx's CPU too. Memory per 100k templates: RSS after start of a
 *   replica whose database holds 100,000 templates (50,000 subjects, random unit vectors) minus one on an
 *   empty database, with exact search (the default) and with the HNSW index (FACEGATE_ANN_MIN_TEMPLATES=50000);
 *   the time to /readyz, which the index rebuild at start holds back.
 *
 *   FACEGATE_TEST_DATABASE_URL=$(bash .ci/postgres.sh) npm run bench:scale -- [--seconds 15] [--concurrency 4] [--frames 60]
 *
 * Writes reports/bench-scale.json and .md.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import sharp from 'sharp';
import { CURRENT_MODEL } from '../../server/gallery/model.js';
import { call, CREATE_GALLERY, CREATE_SUBJECT, ENROLL, faceCrops, IDENTIFY, images, variant } from '../../tests/server/gallery-client.js';
import { START_LIVE, SUBMIT, subscribeLive, once, wsClient } from '../../tests/server/live-client.js';
import { freshDatabase } from '../../tests/server/pg.js';
import { cpuSeconds, findNginx, rssBytes, startNginx, startReplica, stopReplicas, type Nginx, type Replica } from './cluster.js';
import { encodeForm, graphqlForm } from '../graphql-form.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '15' },
    concurrency: { type: 'string', default: '4' },
    frames: { type: 'string', default: '60' },
    templates: { type: 'string', default: '100000' },
    out: { type: 'string', default: 'reports' },
  },
});
const SECONDS = Number(values.seconds);
const CONCURRENCY = Number(values.concurrency);
const FRAMES = Number(values.frames);
const TEMPLATES = Number(values.templates);
const ADMIN = 'bench-scale-admin-key-0123456789abcdef';

const nginxBinary = findNginx();
if (!nginxBinary) throw new Error('nginx not found (apt-get install nginx, or set FACEGATE_NGINX)');
if (!process.env.FACEGATE_TEST_DATABASE_URL) throw new Error('set FACEGATE_TEST_DATABASE_URL (e.g. $(bash .ci/postgres.sh))');

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;
const MiB = 1024 * 1024;

/** Multipart body of one GraphQL request, encoded once. */
function multipart(query: string, variables: Record<string, unknown>, files: Record<string, Buffer>): Promise<{ body: Buffer; contentType: string }> {
  return encodeForm(graphqlForm(query, variables, files));
}

/** Samples the peak RSS of some processes every 100 ms until stopped. */
function rssSampler(pids: number[]): { stop(): number[] } {
  const peak = pids.map(() => 0);
  const timer = setInterval(() => {
    pids.forEach((pid, i) => {
      try {
        peak[i] = Math.max(peak[i]!, rssBytes(pid));
      } catch {
        // exited
      }
    });
  }, 100);
  return {
    stop: () => {
      clearInterval(timer);
      return peak;
    },
  };
}

/** nginx's worker processes (children of the master). */
function nginxPids(nginx: Nginx): number[] {
  const master = nginx.child.pid!;
  const children = readFileSync(`/proc/${master}/task/${master}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  return [master, ...children];
}

interface LoadResult {
  operation: string;
  requests: number;
  errors: number;
  seconds: number;
  rps: number;
  p50: number;
  p95: number;
  /** Replica CPU-seconds per request (all replicas together). */
  cpuPerRequest: number;
  nginxCpuPerRequest: number;
  /** Requests each replica answered. */
  byReplica: Record<string, number>;
  peakRssMiB: number[];
}

async function load(operation: string, nginx: Nginx, replicas: Replica[], request: { body: Buffer; contentType: string }, headers: Record<string, string>, ok: (text: string) => boolean): Promise<LoadResult> {
  const latencies: number[] = [];
  const byReplica: Record<string, number> = {};
  let errors = 0;
  const pids = replicas.map((r) => r.child.pid!);
  const proxy = nginxPids(nginx);
  const cpuBefore = pids.reduce((s, p) => s + cpuSeconds(p), 0);
  const nginxBefore = proxy.reduce((s, p) => s + cpuSeconds(p), 0);
  const sampler = rssSampler(pids);
  const started = performance.now();
  const deadline = started + SECONDS * 1000;
  const loop = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      try {
        const response = await fetch(`${nginx.url}/graphql`, { method: 'POST', headers: { ...headers, 'content-type': request.contentType }, body: new Uint8Array(request.body) });
        const text = await response.text();
        if (response.status !== 200 || !ok(text)) errors++;
        const by = response.headers.get('x-facegate-replica') ?? 'none';
        byReplica[by] = (byReplica[by] ?? 0) + 1;
      } catch {
        errors++;
      }
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, loop));
  const seconds = (performance.now() - started) / 1000;
  const peak = sampler.stop();
  const cpu = pids.reduce((s, p) => s + cpuSeconds(p), 0) - cpuBefore;
  const nginxCpu = proxy.reduce((s, p) => s + cpuSeconds(p), 0) - nginxBefore;
  latencies.sort((a, b) => a - b);
  return {
    operation,
    requests: latencies.length,
    errors,
    seconds: round(seconds, 2),
    rps: round(latencies.length / seconds, 2),
    p50: round(percentile(latencies, 50)),
    p95: round(percentile(latencies, 95)),
    cpuPerRequest: round(cpu / latencies.length, 4),
    nginxCpuPerRequest: round(nginxCpu / latencies.length, 5),
    byReplica,
    peakRssMiB: peak.map((b) => round(b / MiB)),
  };
}

interface LiveResult {
  frames: number;
  fps: number;
  p50: number;
  cpuPerFrame: number;
}

/** One live session through nginx over graphql-ws; each frame is sent after the previous result. */
async function live(nginx: Nginx, replicas: Replica[], reference: Buffer, frame: Buffer): Promise<LiveResult> {
  const client = wsClient(nginx.url);
  try {
    const started = await once<{ startLiveSession: { id: string } }>(client, START_LIVE, { ref: reference.toString('base64') });
    const id = started.data!.startLiveSession.id;
    const session = subscribeLive(client, id);
    const b64 = frame.toString('base64');
    const pids = replicas.map((r) => r.child.pid!);
    const cpuBefore = pids.reduce((s, p) => s + cpuSeconds(p), 0);
    const t0 = performance.now();
    const rtts: number[] = [];
    for (let i = 0; i < FRAMES; i++) {
      const sent = performance.now();
      await once(client, SUBMIT, { id, frame: b64 });
      await session.until((f) => f.length > i, 30_000);
      rtts.push(performance.now() - sent);
    }
    const seconds = (performance.now() - t0) / 1000;
    const cpu = pids.reduce((s, p) => s + cpuSeconds(p), 0) - cpuBefore;
    session.dispose();
    rtts.sort((a, b) => a - b);
    return { frames: FRAMES, fps: round(FRAMES / seconds, 2), p50: round(percentile(rtts, 50)), cpuPerFrame: round(cpu / FRAMES, 4) };
  } finally {
    await client.dispose();
  }
}

/** The probe face centred on a 640x480 frame, as a webcam would send it (JPEG, quality 85). */
async function webcamFrame(face: Buffer): Promise<Buffer> {
  const meta = await sharp(face).metadata();
  const left = Math.floor((640 - meta.width!) / 2);
  const top = Math.floor((480 - meta.height!) / 2);
  return sharp(face)
    .extend({ left, top, right: 640 - meta.width! - left, bottom: 480 - meta.height! - top, background: { r: 40, g: 40, b: 40 } })
    .jpeg({ quality: 85 })
    .toBuffer();
}

interface SetupResult {
  name: string;
  replicas: number;
  workersPerReplica: number;
  verify: LoadResult;
  identify: LoadResult;
  live: LiveResult;
  idleRssMiB: number[];
}

/** Random unit vectors as little-endian float32 bytes. */
function randomVector(): Buffer {
  const v = new Float32Array(CURRENT_MODEL.dimensions);
  let norm = 0;
  for (let i = 0; i < v.length; i++) {
    // Box-Muller: a Gaussian vector, normalised, is uniform on the sphere.
    const g = Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random());
    v[i] = g;
    norm += g * g;
  }
  norm = Math.sqrt(norm);
  for (let i = 0; i < v.length; i++) v[i]! /= norm;
  return Buffer.from(v.buffer);
}

/** Fills a gallery with `count` templates, two per subject, straight into the database. */
async function fillGallery(url: string, galleryId: string, count: number): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const subjects = Math.ceil(count / 2);
    await client.query(
      "INSERT INTO subjects (id, gallery_id, external_id, created_at, updated_at) SELECT 'bench-s-' || g, $1, 'bench-' || g, now(), now() FROM generate_series(1, $2) g",
      [galleryId, subjects],
    );
    const quality = JSON.stringify({ faceSize: 120, detectorScore: 0.999, sharpness: 100, yaw: 0, pitch: 0 });
    for (let start = 0; start < count; start += 5000) {
      const n = Math.min(5000, count - start);
      const ids: string[] = [];
      const subjectIds: string[] = [];
      const vectors: Buffer[] = [];
      for (let i = start; i < start + n; i++) {
        ids.push(`bench-t-${i}`);
        subjectIds.push(`bench-s-${Math.floor(i / 2) + 1}`);
        vectors.push(randomVector());
      }
      await client.query(
        `INSERT INTO templates (id, subject_id, gallery_id, vector, model, model_version, quality, created_at)
         SELECT id, sid, $4, v, $5, $6, $7::jsonb, now() FROM unnest($1::text[], $2::text[], $3::bytea[]) AS t(id, sid, v)`,
        [ids, subjectIds, vectors, galleryId, CURRENT_MODEL.name, CURRENT_MODEL.version, quality],
      );
    }
  } finally {
    await client.end();
  }
}

interface StartCost {
  templates: number;
  search: string;
  readyMs: number;
  indexLoadMs: number | null;
  rssMiB: number;
}

/** Starts a replica on `url`, measures the time to /readyz and its RSS once ready, and stops it. */
async function startCost(url: string, logDir: string, templates: number, search: string, env: Record<string, string> = {}): Promise<StartCost> {
  const t0 = performance.now();
  const id = `m${templates}-${search.replace(/[^A-Za-z0-9]+/g, '-').replace(/-+$/, '')}`.slice(0, 63);
  const replica = await startReplica({ id, databaseUrl: url, logDir, env: { FACEGATE_LOG_LEVEL: 'info', ...env } }).catch((error: unknown) => {
    process.stderr.write(readFileSync(path.join(logDir, `${id}.log`), 'utf8').slice(-2000));
    throw error;
  });
  const readyMs = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 1000));
  const rss = rssBytes(replica.child.pid!);
  await stopReplicas([replica]);
  const line = readFileSync(replica.logFile, 'utf8').split('\n').find((l) => l.includes('gallery indexes loaded'));
  const indexLoadMs = line ? (JSON.parse(line) as { ms?: number }).ms ?? null : null;
  return { templates, search, readyMs: Math.round(readyMs), indexLoadMs, rssMiB: round(rss / MiB) };
}

async function main(): Promise<void> {
  const logDir = mkdtempSync(path.join(os.tmpdir(), 'facegate-bench-scale-'));
  const db = await freshDatabase();
  const memoryDb = await freshDatabase();
  const setups: SetupResult[] = [];
  const load1 = os.loadavg()[0]!;
  try {
    let galleryId = '';
    let crops: Buffer[] = [];
    for (const [count, workers] of [
      [1, 2],
      [2, 1],
    ] as const) {
      const replicas: Replica[] = [];
      for (let i = 1; i <= count; i++) {
        replicas.push(await startReplica({ id: `s${count}-${i}`, databaseUrl: db.url, logDir, env: { FACEGATE_ADMIN_KEY: ADMIN, FACEGATE_WORKERS: String(workers), FACEGATE_QUEUE_LIMIT: '64' } }));
      }
      const nginx = await startNginx(nginxBinary!, replicas);
      try {
        if (!galleryId) {
          crops = await faceCrops(async (bytes) => {
            const r = await call<{ detect: { faces: { box: { x: number; y: number; width: number; height: number } }[] } }>(nginx.url, null, 'mutation ($image: File!) { detect(image: $image) { faces { box { x y width height } } } }', {}, { image: { bytes } });
            return r.body.data!.detect.faces;
          });
          const g = await call<{ createGallery: { id: string } }>(nginx.url, ADMIN, CREATE_GALLERY, { input: { name: 'bench-scale' } });
          galleryId = g.body.data!.createGallery.id;
          for (const [i, crop] of crops.entries()) {
            const s = await call<{ createSubject: { id: string } }>(nginx.url, ADMIN, CREATE_SUBJECT, { galleryId, input: { externalId: `person-${i}` } });
            await call(nginx.url, ADMIN, ENROLL, { subjectId: s.body.data!.createSubject.id }, images([{ bytes: crop }]));
          }
        }
        const probe = await variant(crops[0]!);
        const verifyBody = await multipart('mutation ($r: File!, $p: File!) { verify(reference: $r, probe: $p) { similarity match } }', {}, { r: crops[0]!, p: probe });
        const identifyBody = await multipart('mutation ($g: ID!, $probe: File!) { identifyFace(galleryId: $g, probe: $probe) { decision } }', { g: galleryId }, { probe });
        const idleRssMiB = replicas.map((r) => round(rssBytes(r.child.pid!) / MiB));
        // Warm-up: every worker has seen the image sizes.
        for (let i = 0; i < 8; i++) await fetch(`${nginx.url}/graphql`, { method: 'POST', headers: { 'content-type': verifyBody.contentType }, body: new Uint8Array(verifyBody.body) });
        const name = `${count} x ${workers}`;
        process.stderr.write(`[bench:scale] ${name}: verify for ${SECONDS} s at concurrency ${CONCURRENCY}\n`);
        const verify = await load('verify', nginx, replicas, verifyBody, {}, (t) => t.includes('"match":true'));
        process.stderr.write(`[bench:scale] ${name}: identifyFace\n`);
        const identify = await load('identifyFace', nginx, replicas, identifyBody, { authorization: `Bearer ${ADMIN}` }, (t) => t.includes('"decision":"MATCH"'));
        process.stderr.write(`[bench:scale] ${name}: live, ${FRAMES} frames\n`);
        const liveResult = await live(nginx, replicas, crops[0]!, await webcamFrame(probe));
        setups.push({ name, replicas: count, workersPerReplica: workers, verify, identify, live: liveResult, idleRssMiB });
      } finally {
        await nginx.stop();
        await stopReplicas(replicas);
      }
    }

    process.stderr.write(`[bench:scale] memory: a replica on an empty database, then on ${TEMPLATES} templates\n`);
    const empty = await startCost(memoryDb.url, logDir, 0, 'none');
    const admin = new pg.Client({ connectionString: memoryDb.url });
    await admin.connect();
    const { rows } = await admin.query<{ id: string }>(
      `INSERT INTO galleries (id, name, store_images, match_policy, quality_policy, created_at, updated_at)
       VALUES ('bench-big', 'bench-big', false, '{}', '{}', now(), now()) RETURNING id`,
    );
    await admin.end();
    const filled = performance.now();
    await fillGallery(memoryDb.url, rows[0]!.id, TEMPLATES);
    const fillSeconds = (performance.now() - filled) / 1000;
    const hnsw = await startCost(memoryDb.url, logDir, TEMPLATES, 'HNSW from 50,000', { FACEGATE_ANN_MIN_TEMPLATES: '50000' });
    const exact = await startCost(memoryDb.url, logDir, TEMPLATES, 'default (exact)');
    const memory = { empty, hnsw, exact, fillSeconds: round(fillSeconds) };

    const report = { date: new Date().toISOString(), machine: `${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), load average at start ${load1.toFixed(2)}`, seconds: SECONDS, concurrency: CONCURRENCY, setups, memory };
    const md = markdown(report);
    process.stdout.write(md);
    mkdirSync(values.out, { recursive: true });
    writeFileSync(path.join(values.out, 'bench-scale.json'), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(path.join(values.out, 'bench-scale.md'), md);
  } finally {
    await db.drop();
    await memoryDb.drop();
    rmSync(logDir, { recursive: true, force: true });
  }
}

function markdown(report: { date: string; machine: string; seconds: number; concurrency: number; setups: SetupResult[]; memory: { empty: StartCost; hnsw: StartCost; exact: StartCost; fillSeconds: number } }): string {
  const lines: string[] = [];
  lines.push(`# bench:scale (${report.date})`, '', `${report.machine}; closed loops of ${report.concurrency} for ${report.seconds} s per operation, through nginx.`, '');
  lines.push('| setup | operation | requests | errors | req/s | p50 ms | p95 ms | replica CPU-s / request | nginx CPU-ms / request | answered by | peak RSS MiB per replica |');
  lines.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |');
  for (const s of report.setups) {
    for (const r of [s.verify, s.identify]) {
      lines.push(`| ${s.name} | ${r.operation} | ${r.requests} | ${r.errors} | ${r.rps} | ${r.p50} | ${r.p95} | ${r.cpuPerRequest} | ${round(r.nginxCpuPerRequest * 1000, 2)} | ${Object.entries(r.byReplica).map(([k, v]) => `${k}: ${v}`).join(', ')} | ${r.peakRssMiB.join(', ')} |`);
    }
  }
  lines.push('', '| setup | live frames (640x480) | frames/s (one session, sequential) | round trip p50 ms | replica CPU-s / frame | idle RSS MiB per replica |', '| --- | ---: | ---: | ---: | ---: | --- |');
  for (const s of report.setups) lines.push(`| ${s.name} | ${s.live.frames} | ${s.live.fps} | ${s.live.p50} | ${s.live.cpuPerFrame} | ${s.idleRssMiB.join(', ')} |`);
  const m = report.memory;
  lines.push('', `Start of one replica (1 worker) and its RSS 1 s after /readyz (database filled in ${m.fillSeconds} s):`, '');
  lines.push('| templates | search | /readyz after ms | index load ms (log) | RSS MiB | RSS minus empty MiB |', '| ---: | --- | ---: | ---: | ---: | ---: |');
  for (const c of [m.empty, m.hnsw, m.exact]) lines.push(`| ${c.templates} | ${c.search} | ${c.readyMs} | ${c.indexLoadMs ?? '-'} | ${c.rssMiB} | ${round(c.rssMiB - m.empty.rssMiB)} |`);
  return `${lines.join('\n')}\n`;
}

await main();
