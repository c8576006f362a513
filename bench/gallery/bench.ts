/**
 * `npm run bench:gallery`: the gallery's search at 10k, 100k and 1M synthetic templates, exact scan and
 * HNSW (usearch) with exact re-ranking, through GalleryIndex, the class identifyFace searches; and
 * enrollment throughput: the store and index alone (SQLite, and PostgreSQL with --pg or
 * FACEGATE_DATABASE_URL; synthetic templates) and through the GraphQL API with real images (embedding
 * included).
 *
 * Synthetic templates imitate face embeddings (see identityVector below): each subject an identity in a
 * cone around one common direction, its templates noisy samples of it. Queries are fresh samples of
 * enrolled subjects. recall@1: the share of queries whose best subject by ANN is the exact search's best
 * subject.
 *
 *   npm run bench:gallery -- [--sizes 10000,100000,1000000] [--ann-sizes (default: --sizes)] [--queries 200] [--no-api] [--pg URL]
 *                            [--store-count 5000 (0: skip)] [--genuine-cos 0.96] [--impostor-cos 0.85]
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startServer } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import { DEFAULT_QUALITY_POLICY } from '../../server/gallery/config.js';
import { CURRENT_MODEL } from '../../server/gallery/model.js';
import { ANN_CONNECTIVITY, ANN_EXPANSION_ADD, ANN_EXPANSION_SEARCH } from '../../server/gallery/search/ann.js';
import { GalleryIndex } from '../../server/gallery/search/gallery-index.js';
import { PostgresGalleryStore } from '../../server/gallery/store/postgres.js';
import { SqliteGalleryStore } from '../../server/gallery/store/sqlite.js';
import type { GalleryStore } from '../../server/gallery/store/store.js';
import { DEFAULT_MATCH_POLICY } from '../../server/gallery/thresholds.js';
import { createLogger } from '../../server/logger.js';
import { rng } from '../lfw/degrade.js';
import { GalleryApi, CREATE_GALLERY, CREATE_SUBJECT, ENROLL, mapLimit } from './api.js';
import { tempDir } from './temp.js';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10000,100000,1000000' },
    'ann-sizes': { type: 'string', description: 'Sizes at which the HNSW graph is built and searched too (default: every size; the build takes about 20 min at 1M)' },
    queries: { type: 'string', default: '200' },
    'templates-per-subject': { type: 'string', default: '2' },
    'no-api': { type: 'boolean', default: false },
    'genuine-cos': { type: 'string', default: '0.96' },
    'impostor-cos': { type: 'string', default: '0.85' },
    'store-count': { type: 'string', default: '5000' },
    'ef-search': { type: 'string', description: 'HNSW efSearch (default: the service\'s)' },
    'ef-add': { type: 'string', description: 'HNSW efConstruction (default: the service\'s)' },
    connectivity: { type: 'string', description: 'HNSW M (default: the service\'s)' },
    pg: { type: 'string', description: 'PostgreSQL URL (a database the bench may create tables in) for the store throughput; default FACEGATE_DATABASE_URL' },
    out: { type: 'string', default: 'reports/gallery-bench' },
  },
});
const sizes = values.sizes!.split(',').map(Number);
const annSizes = new Set(values['ann-sizes'] === undefined ? sizes : values['ann-sizes'].split(',').filter(Boolean).map(Number));
const queryCount = Number(values.queries);
const perSubject = Number(values['templates-per-subject']);
const dims = CURRENT_MODEL.dimensions;

/** Seeded samples (mulberry32, Gaussian), so runs are comparable. */
const rand = rng(11);
function gaussian(): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}
function normalise(v: Float32Array): Float32Array {
  let n = 0;
  for (const x of v) n += x * x;
  const s = 1 / Math.sqrt(n);
  for (let i = 0; i < v.length; i++) v[i]! *= s;
  return v;
}
function randomUnit(): Float32Array {
  return normalise(Float32Array.from({ length: dims }, gaussian));
}
/**
 * Face embeddings are not spread over the whole sphere: dlib-resnet vectors of different people still have
 * a cosine around IMPOSTOR_COS (they share a common direction), two images of one person around
 * GENUINE_COS. The synthetic gallery imitates both: identity_s = normalise(sqrt(a) m + sqrt(1 - a) g_s)
 * around one fixed unit vector m (g_s Gaussian of unit expected norm), so two identities have cosine ~a;
 * a template is normalise(identity + sigma h), so two templates of one subject have cosine
 * ~1 / (1 + sigma^2) = GENUINE_COS and templates of different subjects ~a * GENUINE_COS = IMPOSTOR_COS.
 * Defaults from LFW through the API (the eval:gallery embedding cache, 2026-12-03): the first two images
 * of 1,680 people, mean cosine 0.959 (sd 0.016); the first images of 5,748 neighbouring names, 0.850
 * (sd 0.035). The model is isotropic around its mean, so impostor scores spread less than real ones.
 */
const GENUINE_COS = Number(values['genuine-cos']);
const IMPOSTOR_COS = Number(values['impostor-cos']);
const A = IMPOSTOR_COS / GENUINE_COS;
const SIGMA = Math.sqrt(1 / GENUINE_COS - 1);
const common = randomUnit();
function gaussianUnitNorm(): Float32Array {
  return Float32Array.from({ length: dims }, () => gaussian() / Math.sqrt(dims));
}
function identityVector(): Float32Array {
  const g = gaussianUnitNorm();
  return normalise(Float32Array.from(common, (x, i) => Math.sqrt(A) * x + Math.sqrt(1 - A) * g[i]!));
}
function sample(identity: Float32Array): Float32Array {
  const h = gaussianUnitNorm();
  return normalise(Float32Array.from(identity, (x, i) => x + SIGMA * h[i]!));
}
function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
const mb = (bytes: number): number => Math.round(bytes / 1048576);

interface SizeResult {
  templates: number;
  subjects: number;
  /** correct: the exact search's best subject is the query's own (the synthetic task is solvable). */
  exact: { p50: number; p95: number; correct: number };
  /** Null until the graph is built. */
  ann: { buildSeconds: number; p50: number; p95: number; recallAt1: number } | null;
  memoryMb: { vectors: number; rssBefore: number; rssExact: number; rssAnn: number | null };
  /** Measured on the generated templates (1,000 pairs): one subject's two templates, and neighbouring subjects'. */
  synthetic: { genuineCos: number; impostorCos: number };
}

const annOptions = {
  ...(values['ef-search'] ? { efSearch: Number(values['ef-search']) } : {}),
  ann: { ...(values['ef-add'] ? { expansionAdd: Number(values['ef-add']) } : {}), ...(values.connectivity ? { connectivity: Number(values.connectivity) } : {}) },
};
const results: SizeResult[] = [];
for (const size of sizes) {
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  const subjects = Math.ceil(size / perSubject);
  const index = new GalleryIndex({ dims, annMinTemplates: null, ...annOptions });
  // Only the queried subjects' identities are kept, so that RSS is the index's.
  const queried = Array.from({ length: queryCount }, () => Math.floor(rand() * subjects));
  const wanted = new Set(queried);
  const identities = new Map<number, Float32Array>();
  let previous: Float32Array | null = null;
  let impostorSum = 0;
  let genuineSum = 0;
  let pairs = 0;
  for (let s = 0; s < subjects; s++) {
    const identity = identityVector();
    if (wanted.has(s)) identities.set(s, identity);
    const first = sample(identity);
    index.add(`t${s}-0`, `s${s}`, first);
    for (let t = 1; t < perSubject && s * perSubject + t < size; t++) {
      const next = sample(identity);
      index.add(`t${s}-${t}`, `s${s}`, next);
      if (t === 1 && pairs < 1000 && previous) {
        genuineSum += dot(first, next);
        impostorSum += dot(previous, next);
        pairs++;
      }
    }
    previous = first;
  }
  global.gc?.();
  const rssExact = process.memoryUsage().rss;
  const queries = queried.map((s) => sample(identities.get(s)!));
  /** Runs every query once; the latencies (sorted) and each query's best subject. */
  const timeAll = (fn: (q: Float32Array) => string | undefined): { ms: number[]; top: (string | undefined)[] } => {
    const top: (string | undefined)[] = [];
    const ms = queries
      .map((q) => {
        const t0 = performance.now();
        top.push(fn(q));
        return performance.now() - t0;
      })
      .sort((a, b) => a - b);
    return { ms, top };
  };
  const exact = timeAll((q) => index.search(q, 5).hits[0]?.subjectId);
  const r: SizeResult = {
    templates: index.size,
    subjects,
    exact: { p50: quantile(exact.ms, 0.5), p95: quantile(exact.ms, 0.95), correct: exact.top.filter((s, i) => s === `s${queried[i]}`).length / queries.length },
    ann: null,
    memoryMb: { vectors: mb(index.matrix.vectorBytes), rssBefore: mb(rssBefore), rssExact: mb(rssExact), rssAnn: null },
    synthetic: { genuineCos: genuineSum / pairs, impostorCos: impostorSum / pairs },
  };
  // Written before the graph is built, so that a run cut short still leaves the exact figures.
  results.push(r);
  writeReport([], null);
  if (!annSizes.has(size)) {
    console.error(JSON.stringify(r));
    continue;
  }
  const built = performance.now();
  index.forceAnn();
  const buildSeconds = (performance.now() - built) / 1000;
  global.gc?.();
  r.memoryMb.rssAnn = mb(process.memoryUsage().rss);
  const ann = timeAll((q) => index.search(q, 5).hits[0]?.subjectId);
  r.ann = { buildSeconds, p50: quantile(ann.ms, 0.5), p95: quantile(ann.ms, 0.95), recallAt1: ann.top.filter((s, i) => s === exact.top[i]).length / queries.length };
  console.error(JSON.stringify(r));
  // Written after every size, so that a run cut short still leaves what it measured.
  writeReport([], null);
}

/**
 * Store + index write throughput: one subject and one synthetic template per enrollment (createSubject,
 * then addTemplates: one transaction each, as enrollFaces writes), one enrollment at a time and 8 at once.
 */
async function storeThroughput(engine: string, open: () => Promise<GalleryStore>, count: number): Promise<StoreResult> {
  const store = await open();
  const g = await store.createGallery({ id: randomUUID(), name: `bench-${randomUUID()}`, storeImages: false, matchPolicy: DEFAULT_MATCH_POLICY, qualityPolicy: DEFAULT_QUALITY_POLICY });
  const index = new GalleryIndex({ dims, annMinTemplates: null });
  const one = async (i: number): Promise<void> => {
    const s = await store.createSubject({ id: randomUUID(), galleryId: g.id, externalId: `e${i}`, displayName: null, metadata: null }, 10_000_000);
    const [t] = await store.addTemplates(s.id, [{ id: randomUUID(), vector: sample(identityVector()), model: CURRENT_MODEL.name, modelVersion: CURRENT_MODEL.version, quality: { faceSize: 100, detectorScore: 1, sharpness: 90, yaw: 0, pitch: 0 }, image: null, imageType: null }], 20);
    index.add(t!.id, s.id, t!.vector);
  };
  let started = performance.now();
  for (let i = 0; i < count; i++) await one(i);
  const serial = count / ((performance.now() - started) / 1000);
  started = performance.now();
  await mapLimit(Array.from({ length: count }, (_, i) => count + i), 8, one);
  const parallel = count / ((performance.now() - started) / 1000);
  started = performance.now();
  const loaded = await store.loadTemplates(g.id);
  const fresh = new GalleryIndex({ dims, annMinTemplates: null });
  for (const t of loaded) fresh.add(t.id, t.subjectId, t.vector);
  const loadSeconds = (performance.now() - started) / 1000;
  await store.deleteGallery(g.id);
  await store.close();
  return { engine, count, serialPerSecond: serial, parallelPerSecond: parallel, loadSeconds, loaded: loaded.length };
}

interface StoreResult {
  engine: string;
  count: number;
  serialPerSecond: number;
  parallelPerSecond: number;
  /** Loading every template back into a fresh index, as a server does at start. */
  loadSeconds: number;
  loaded: number;
}

/** enrollFaces through the API, one image per call, real models: what a client sees. */
async function apiThroughput(): Promise<{ perSecond: number; count: number; workers: number }> {
  const key = 'bench-admin-key-0123456789abcdef';
  const config = loadConfig({ FACEGATE_HOST: '127.0.0.1', FACEGATE_PORT: '0', FACEGATE_CLIENT_DIR: 'none', FACEGATE_DATA_DIR: tempDir(), FACEGATE_ADMIN_KEY: key });
  const server = await startServer(config, { logger: createLogger('warn') });
  await server.ready;
  const api = new GalleryApi(server.yoga, key);
  const { createGallery } = await api.must<{ createGallery: { id: string } }>(CREATE_GALLERY, { input: { name: 'bench', matchPolicy: { duplicateThreshold: 1.0001 } } });
  const { readFileSync, readdirSync, existsSync } = await import('node:fs');
  const lfw = path.resolve(process.env.FACEGATE_LFW_DIR ?? '../shared/data/lfw', 'images');
  const files = existsSync(lfw)
    ? readdirSync(lfw).sort().slice(0, 60).map((n) => path.join(lfw, n, `${n}_0001.jpg`))
    : Array.from({ length: 20 }, () => path.resolve('node_modules/@vladmandic/face-api/demo/sample1.jpg'));
  const bytes = files.map((f) => readFileSync(f));
  const started = performance.now();
  await mapLimit(bytes, 6, async (b, i) => {
    const { createSubject } = await api.must<{ createSubject: { id: string } }>(CREATE_SUBJECT, { g: createGallery.id, input: { externalId: `p${i}` } });
    await api.call(ENROLL, { s: createSubject.id }, { 'images.0': b });
  });
  const seconds = (performance.now() - started) / 1000;
  await server.stop();
  return { perSecond: bytes.length / seconds, count: bytes.length, workers: config.pool.workers };
}

const storeCount = Number(values['store-count']);
const stores: StoreResult[] = [];
if (storeCount > 0) {
  stores.push(await storeThroughput('SQLite', async () => SqliteGalleryStore.open(tempDir()), storeCount));
  writeReport(stores, null);
}
const pgUrl = values.pg ?? process.env.FACEGATE_DATABASE_URL;
if (storeCount > 0 && pgUrl) {
  stores.push(await storeThroughput('PostgreSQL', () => PostgresGalleryStore.open(pgUrl, createLogger('warn')), storeCount));
  writeReport(stores, null);
} else if (storeCount > 0) console.error('PostgreSQL store throughput skipped: pass --pg URL or set FACEGATE_DATABASE_URL');
const viaApi = values['no-api'] ? null : await apiThroughput();
console.log(writeReport(stores, viaApi));

function writeReport(stores: StoreResult[], viaApi: { perSecond: number; count: number; workers: number } | null): string {
const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const lines = [
  `# bench:gallery`,
  ``,
  `${os.cpus().length} x ${cpu}, Node ${process.version}; ${perSubject} templates per subject, ${queryCount} queries per size, top-5; latency of the search itself (identifyFace's searchMs), not the embedding. HNSW M ${annOptions.ann.connectivity ?? ANN_CONNECTIVITY}, efConstruction ${annOptions.ann.expansionAdd ?? ANN_EXPANSION_ADD}, efSearch ${annOptions.efSearch ?? ANN_EXPANSION_SEARCH}.`,
  ``,
  `| templates | subjects | exact p50 / p95 ms | exact top-1 correct | ANN p50 / p95 ms | ANN recall@1 | ANN build s | vectors MB | RSS MB exact / +ANN |`,
  `| --- | --- | --- | --- | --- | --- | --- | --- | --- |`,
  ...results.map(
    (r) =>
      `| ${r.templates.toLocaleString('en')} | ${r.subjects.toLocaleString('en')} | ${r.exact.p50.toFixed(2)} / ${r.exact.p95.toFixed(2)} | ${(r.exact.correct * 100).toFixed(1)}% | ` +
      (r.ann ? `${r.ann.p50.toFixed(2)} / ${r.ann.p95.toFixed(2)} | ${(r.ann.recallAt1 * 100).toFixed(1)}% | ${r.ann.buildSeconds.toFixed(1)}` : annSizes.has(r.templates) ? 'not built yet | | ' : 'not built (--ann-sizes) | | ') +
      ` | ${r.memoryMb.vectors} | ${r.memoryMb.rssExact} / ${r.memoryMb.rssAnn ?? '?'} |`,
  ),
  ``,
  `Synthetic structure: genuine cosine ${GENUINE_COS}, impostor ${IMPOSTOR_COS} asked; measured ${results.map((r) => `${r.synthetic.genuineCos.toFixed(3)} / ${r.synthetic.impostorCos.toFixed(3)}`).join(', ')}.`,
  ``,
  `| store | enrollments | one at a time /s | 8 at once /s | load into index |`,
  `| --- | --- | --- | --- | --- |`,
  ...stores.map((x) => `| ${x.engine} | ${x.count.toLocaleString('en')} + ${x.count.toLocaleString('en')} | ${x.serialPerSecond.toFixed(0)} | ${x.parallelPerSecond.toFixed(0)} | ${x.loaded.toLocaleString('en')} templates in ${x.loadSeconds.toFixed(2)} s |`),
  ``,
  viaApi ? `enrollFaces through the API with real images (${viaApi.workers} workers, embedding included): ${viaApi.perSecond.toFixed(2)}/s over ${viaApi.count}.` : 'enrollFaces through the API: not measured (yet, or --no-api).',
];
mkdirSync(path.dirname(values.out!), { recursive: true });
writeFileSync(`${values.out}.json`, JSON.stringify({ results, stores, viaApi, cpu }, null, 2));
writeFileSync(`${values.out}.md`, `${lines.join('\n')}\n`);
return lines.join('\n');
}
