/**
 * Embedding every image the evaluation needs, once, across worker threads, with an on-disk cache.
 *
 * The main thread reads and decodes (sharp, on libuv's pool) and hands raw pixels to the workers, which
 * run the models; results are appended to the cache as they arrive. Cache layout under `cacheRoot`:
 *   ours-<fingerprint>/meta.json, aligned.jsonl, box.jsonl, centre.jsonl, degraded-<name>-<hash>.jsonl
 *   peer-face-api-<version>-<fingerprint>/meta.json, peer.jsonl
 * The fingerprint hashes the face library's source (models/**.ts) and the backend asked for, so any change
 * to detection, alignment or the embedder starts a fresh cache; degraded variants also hash degrade.ts.
 */
import os from 'node:os';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeImage, type BackendRequest, type Face, type RgbImage } from '../../models/index.js';
import { decodeF32, encodeF32, hashFiles, JsonlCache, shortHash, tsFilesUnder } from './cache.js';
import type { DegradationName } from './degrade.js';
import type { OursInfo, OursResult, OursTask } from './embed-worker.js';
import type { PeerInfo, PeerResult, PeerTask } from './peer-worker.js';
import { PEER_OPTIONS } from './peer-worker.js';
import { WorkerPool } from './pool.js';
import { Progress } from './progress.js';
import { imagePath, parseImageKey } from './protocol.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface VariantRecord {
  faceCount?: number;
  fallback: boolean;
  embedding: Float32Array;
}

export interface PeerRecord {
  faceCount: number;
  fallback: boolean;
  descriptor: Float32Array;
  ms: { decode: number; total: number };
}

export interface OursStore {
  info: OursInfo | undefined;
  cacheDir: string;
  box: Map<string, VariantRecord>;
  centre: Map<string, VariantRecord>;
  degraded: Map<DegradationName, Map<string, VariantRecord>>;
  /** Images computed in this run (the rest came from the cache). */
  computed: number;
  seconds: number;
  /** Time spent filling the cache across runs. */
  cacheTiming: CacheTiming | undefined;
}

export interface PeerStore {
  info: PeerInfo | undefined;
  cacheDir: string;
  records: Map<string, PeerRecord>;
  computed: number;
  seconds: number;
  cacheTiming: CacheTiming | undefined;
}

export interface OursRequest {
  dataDir: string;
  cacheRoot: string | undefined;
  workers: number;
  backend: BackendRequest;
  /** The clean image's face as the API chose it (null: none), for every image below. */
  faces: ReadonlyMap<string, Face | null>;
  /** Images that need the box and centre-crop ablation variants. */
  ablation: readonly string[];
  /** Images that need each degraded variant. */
  degraded: ReadonlyMap<DegradationName, readonly string[]>;
  quiet?: boolean;
}

type Stored<T> = Omit<T, 'embedding' | 'descriptor'> & { e: string };

/** Bump when the cache records change shape. */
const CACHE_SCHEMA = 3;

function oursFingerprint(backend: BackendRequest): { hash: string; modelsHash: string } {
  // Decision thresholds do not change an embedding: calibration.ts stays out of the key.
  const modelsHash = hashFiles(repoRoot, tsFilesUnder(repoRoot, 'models').filter((f) => f !== path.join('models', 'calibration.ts')));
  const workerHash = hashFiles(repoRoot, ['bench/lfw/embed-worker.ts']);
  return { hash: shortHash({ modelsHash, workerHash, backend, CACHE_SCHEMA }), modelsHash };
}

function degradeHash(): string {
  return hashFiles(repoRoot, ['bench/lfw/degrade.ts']).slice(0, 8);
}

/** Owned, transferable copy of decoded pixels (sharp may hand back a view into a larger buffer). */
function ownPixels(img: RgbImage): RgbImage {
  const data = img.data.byteOffset === 0 && img.data.byteLength === img.data.buffer.byteLength ? img.data : new Uint8Array(img.data);
  return { width: img.width, height: img.height, data };
}

async function decodeKey(dataDir: string, key: string): Promise<{ image: RgbImage; ms: number }> {
  const bytes = await readFile(imagePath(dataDir, parseImageKey(key)));
  const start = performance.now();
  const image = ownPixels(await decodeImage(bytes));
  return { image, ms: performance.now() - start };
}

function checkMeta(dir: string, meta: Record<string, unknown>): void {
  const file = path.join(dir, 'meta.json');
  mkdirSync(dir, { recursive: true });
  if (existsSync(file)) {
    const old = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    for (const k of Object.keys(meta)) {
      if (JSON.stringify(old[k]) !== JSON.stringify(meta[k])) {
        throw new Error(`embedding cache ${dir} was made with ${k}=${JSON.stringify(old[k])}, now ${JSON.stringify(meta[k])}: remove it or use --cache another folder`);
      }
    }
  } else writeFileSync(file, `${JSON.stringify(meta, null, 2)}\n`);
}

/** Time spent filling a cache, over every run that computed something in it. */
export interface CacheTiming {
  seconds: number;
  images: number;
  runs: number;
  workers: number[];
}

function addTiming(dir: string, seconds: number, images: number, workers: number): CacheTiming | undefined {
  if (!dir) return undefined;
  const file = path.join(dir, 'timing.json');
  const t: CacheTiming = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as CacheTiming) : { seconds: 0, images: 0, runs: 0, workers: [] };
  if (images > 0) {
    t.seconds += seconds;
    t.images += images;
    t.runs += 1;
    t.workers = [...new Set([...t.workers, workers])];
    writeFileSync(file, `${JSON.stringify(t, null, 2)}\n`);
  }
  return t.runs > 0 ? t : undefined;
}

/** Embeds (or loads from the cache) every image and variant the request names. */
export async function embedOurs(req: OursRequest): Promise<OursStore> {
  const start = performance.now();
  const fp = oursFingerprint(req.backend);
  const dir = req.cacheRoot ? path.join(req.cacheRoot, `ours-${fp.hash}`) : '';
  const open = <T extends object>(name: string): JsonlCache<T> => JsonlCache.open<T>(dir ? path.join(dir, name) : '');
  const dh = degradeHash();
  const boxC = open<Stored<VariantRecord>>('box.jsonl');
  const centreC = open<Stored<VariantRecord>>('centre.jsonl');
  const degC = new Map<DegradationName, JsonlCache<Stored<VariantRecord>>>();
  for (const name of req.degraded.keys()) degC.set(name, open(`degraded-${name}-${dh}.jsonl`));

  // What each image still needs.
  const ablation = new Set(req.ablation);
  const degradedFor = new Map<string, DegradationName[]>();
  for (const [name, keys] of req.degraded) {
    for (const k of keys) if (!degC.get(name)!.has(k)) degradedFor.set(k, [...(degradedFor.get(k) ?? []), name]);
  }
  const all = [...new Set([...req.ablation, ...[...req.degraded.values()].flat()])];
  const tasks: Array<Omit<OursTask, 'image'>> = [];
  for (const key of all) {
    const face = req.faces.get(key);
    if (face === undefined) throw new Error(`${key}: the clean image's face is needed first (bench/lfw/api.ts)`);
    const t: Omit<OursTask, 'image'> = {
      key,
      face,
      box: ablation.has(key) && !boxC.has(key),
      centre: ablation.has(key) && !centreC.has(key),
      degraded: degradedFor.get(key) ?? [],
    };
    if (t.box || t.centre || t.degraded.length) tasks.push(t);
  }

  let info: OursInfo | undefined;
  if (tasks.length > 0) {
    const pool = await WorkerPool.start<OursTask, OursResult, OursInfo>(
      new URL('./embed-worker.ts', import.meta.url),
      Math.max(1, req.workers),
      { backend: req.backend, threads: Math.max(1, Math.floor(os.availableParallelism() / Math.max(1, req.workers))) },
    );
    info = pool.infos[0];
    if (dir) checkMeta(dir, { modelsHash: fp.modelsHash, backend: info!.backend, model: info!.model, template: info!.template });
    const bar = new Progress(`ours (${pool.size} workers, ${info!.backend})`, tasks.length, process.stderr, req.quiet);
    const done: Array<Promise<void>> = [];
    try {
      for (const t of tasks) {
        const { image } = await decodeKey(req.dataDir, t.key);
        const { result: pending } = await pool.submit({ ...t, image }, [image.data.buffer as ArrayBuffer]);
        done.push(
          pending.then((r) => {
            if (r.box) boxC.set(r.key, { fallback: r.box.fallback, e: encodeF32(r.box.embedding) });
            if (r.centre) centreC.set(r.key, { fallback: false, e: encodeF32(r.centre.embedding) });
            for (const d of r.degraded) degC.get(d.name)!.set(r.key, { faceCount: d.faceCount, fallback: d.fallback, e: encodeF32(d.embedding) });
            bar.tick();
          }),
        );
      }
      await Promise.all(done);
    } finally {
      bar.finish();
      await Promise.allSettled(done);
      await pool.close();
      await Promise.all([boxC, centreC, ...degC.values()].map((c) => (dir ? c.close() : Promise.resolve())));
    }
  } else if (dir && existsSync(path.join(dir, 'meta.json'))) {
    const m = JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8')) as OursInfo;
    info = { backend: m.backend, model: m.model, template: m.template };
  }

  const load = <T extends { embedding: Float32Array }>(c: JsonlCache<Stored<T>>): Map<string, T> => {
    const m = new Map<string, T>();
    for (const [k, { e, ...rest }] of c.entries()) m.set(k, { ...rest, embedding: decodeF32(e) } as unknown as T);
    return m;
  };
  const degraded = new Map<DegradationName, Map<string, VariantRecord>>();
  for (const [name, c] of degC) degraded.set(name, load<VariantRecord>(c));
  return {
    info,
    cacheDir: dir,
    box: load<VariantRecord>(boxC),
    centre: load<VariantRecord>(centreC),
    degraded,
    computed: tasks.length,
    seconds: (performance.now() - start) / 1000,
    cacheTiming: addTiming(dir, (performance.now() - start) / 1000, tasks.length, req.workers),
  };
}

export interface PeerRequest {
  dataDir: string;
  cacheRoot: string | undefined;
  workers: number;
  keys: readonly string[];
  quiet?: boolean;
}

/** Runs face-api's pipeline on every image (or loads it from the cache). */
export async function embedPeer(req: PeerRequest): Promise<PeerStore> {
  const start = performance.now();
  const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'node_modules/@vladmandic/face-api/package.json'), 'utf8')) as { version: string };
  const fp = shortHash({ options: PEER_OPTIONS, worker: hashFiles(repoRoot, ['bench/lfw/peer-worker.ts', 'models/select.ts']), version: pkg.version, CACHE_SCHEMA });
  const dir = req.cacheRoot ? path.join(req.cacheRoot, `peer-face-api-${pkg.version}-${fp}`) : '';
  const cache = JsonlCache.open<Stored<PeerRecord>>(dir ? path.join(dir, 'peer.jsonl') : '');
  const todo = [...new Set(req.keys)].filter((k) => !cache.has(k));
  let info: PeerInfo | undefined;
  if (todo.length > 0) {
    const pool = await WorkerPool.start<PeerTask, PeerResult, PeerInfo>(new URL('./peer-worker.ts', import.meta.url), Math.max(1, req.workers), {});
    info = pool.infos[0];
    if (dir) checkMeta(dir, { version: info!.version, backend: info!.backend, tfjs: info!.tfjs, options: PEER_OPTIONS });
    const bar = new Progress(`face-api (${pool.size} workers, ${info!.backend})`, todo.length, process.stderr, req.quiet);
    const done: Array<Promise<void>> = [];
    try {
      for (const key of todo) {
        const { image, ms: decodeMs } = await decodeKey(req.dataDir, key);
        const { result: pending } = await pool.submit({ key, image }, [image.data.buffer as ArrayBuffer]);
        done.push(
          pending.then((r) => {
            cache.set(r.key, { faceCount: r.faceCount, fallback: r.fallback, ms: { decode: decodeMs, total: r.ms }, e: encodeF32(r.descriptor) });
            bar.tick();
          }),
        );
      }
      await Promise.all(done);
    } finally {
      bar.finish();
      await Promise.allSettled(done);
      await pool.close();
      if (dir) await cache.close();
    }
  } else if (dir && existsSync(path.join(dir, 'meta.json'))) {
    info = JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8')) as PeerInfo;
  }
  const records = new Map<string, PeerRecord>();
  for (const [k, { e, ...rest }] of cache.entries()) records.set(k, { ...rest, descriptor: decodeF32(e) });
  const seconds = (performance.now() - start) / 1000;
  return { info, cacheDir: dir, records, computed: todo.length, seconds, cacheTiming: addTiming(dir, seconds, todo.length, req.workers) };
}
