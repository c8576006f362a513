/**
 * The evaluation's headline path: every image goes through the service exactly as an `embed` request
 * does (server/inference/service.ts `InferenceService.embed` on the upload's bytes, the server's worker
 * pool and inference workers, the API's default face choice), so the tables measure what the API
 * delivers. Nothing here chooses faces or touches the networks itself.
 *
 * An image the API answers NO_FACE for has no embedding (`face` null); its pairs are scored as certain
 * non-matches (`apiScore`), because a verify request would fail. For images with several faces the
 * largest face is embedded too, through the same call with `face: { rule: LARGEST }`, for the labelled
 * comparison row.
 *
 * Cache: `<cacheRoot>/api-<fingerprint>/api.jsonl`; the fingerprint hashes the face library, the
 * inference service, worker and pool, and the backend.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { cosineSimilarity, isFaceError, type Face } from '../../models/index.js';
import { loadConfig } from '../../server/config.js';
import { createInferencePool, InferenceService, type EmbeddingResult } from '../../server/inference/service.js';
import { createLogger } from '../../server/logger.js';
import { decodeF32, encodeF32, hashFiles, JsonlCache, shortHash, tsFilesUnder } from './cache.js';
import { repoRoot } from './embed.js';
import { Progress } from './progress.js';
import { imagePath, parseImageKey } from './protocol.js';

export interface ApiRecord {
  faceCount: number;
  /** The face the API embedded, or null when it answered NO_FACE. */
  face: Face | null;
  faceIndex: number;
  ambiguous: boolean;
  /** Empty when there was no face. */
  embedding: Float32Array;
  /** The largest face through the API (`face: { rule: LARGEST }`), when it is not the face above. */
  largest?: { face: Face; embedding: Float32Array };
  ms: { decode: number; queue: number; detect: number; align: number; embed: number; total: number };
}

export interface ApiStore {
  backend: string;
  model: { name: string; dimensions: number; inputSize: number } | undefined;
  cacheDir: string;
  records: Map<string, ApiRecord>;
  computed: number;
  seconds: number;
}

export interface ApiRequest {
  dataDir: string;
  cacheRoot: string | undefined;
  keys: readonly string[];
  workers: number;
  backend: string;
  quiet?: boolean;
}

type Stored = Omit<ApiRecord, 'embedding' | 'largest'> & { e: string; largest?: { face: Face; e: string } };

const CACHE_SCHEMA = 1;

function fingerprint(backend: string): string {
  const files = [
    ...tsFilesUnder(repoRoot, 'models').filter((f) => f !== path.join('models', 'calibration.ts')),
    ...tsFilesUnder(repoRoot, 'server/inference'),
    ...tsFilesUnder(repoRoot, 'server/pool'),
    'bench/lfw/api.ts',
  ];
  return shortHash({ code: hashFiles(repoRoot, files), backend, CACHE_SCHEMA });
}

function timings(r: EmbeddingResult): ApiRecord['ms'] {
  const t = r.timings;
  return { decode: t.decodeMs, queue: t.queueMs, detect: t.detectMs, align: t.alignMs ?? 0, embed: t.embedMs ?? 0, total: t.totalMs };
}

/** Embeds every key through `InferenceService.embed` (or loads it from the cache). */
export async function embedThroughApi(req: ApiRequest): Promise<ApiStore> {
  const start = performance.now();
  const dir = req.cacheRoot ? path.join(req.cacheRoot, `api-${fingerprint(req.backend)}`) : '';
  if (dir) mkdirSync(dir, { recursive: true });
  const cache = JsonlCache.open<Stored>(dir ? path.join(dir, 'api.jsonl') : '');
  const todo = [...new Set(req.keys)].filter((k) => !cache.has(k));
  let backend = 'cached';
  let model: ApiStore['model'];
  if (todo.length > 0) {
    // The server's own configuration and defaults; only the pool's size and backend come from the command line.
    const config = loadConfig({ FACEGATE_WORKERS: String(req.workers), FACEGATE_BACKEND: req.backend, FACEGATE_QUEUE_LIMIT: String(4 * req.workers) });
    const pool = createInferencePool(config, createLogger('warn'));
    await pool.start();
    const service = new InferenceService(pool, config);
    backend = pool.info?.backend ?? req.backend;
    model = pool.info?.model;
    const bar = new Progress(`API path (${req.workers} workers, ${backend})`, todo.length, process.stderr, req.quiet);
    const one = async (key: string): Promise<void> => {
      const bytes = new Uint8Array(await readFile(imagePath(req.dataDir, parseImageKey(key))));
      let stored: Stored;
      try {
        const r = await service.embed(bytes);
        stored = {
          faceCount: r.faceCount,
          face: r.face,
          faceIndex: r.selection.index,
          ambiguous: r.selection.ambiguous,
          e: encodeF32(r.embedding),
          ms: timings(r),
        };
        if (r.faceCount > 1 && r.selection.index !== 0) {
          const largest = await service.embed(bytes, { choice: { rule: 'largest' } });
          stored.largest = { face: largest.face, e: encodeF32(largest.embedding) };
        }
      } catch (error) {
        if (!(isFaceError(error) && error.code === 'NO_FACE')) throw error;
        stored = { faceCount: 0, face: null, faceIndex: -1, ambiguous: false, e: '', ms: { decode: 0, queue: 0, detect: 0, align: 0, embed: 0, total: 0 } };
      }
      cache.set(key, stored);
      bar.tick();
    };
    // Twice as many requests in flight as workers keeps every worker busy without tripping OVERLOADED.
    let next = 0;
    const lanes = Array.from({ length: 2 * req.workers }, async () => {
      while (next < todo.length) await one(todo[next++]!);
    });
    try {
      await Promise.all(lanes);
    } finally {
      bar.finish();
      await pool.close({ timeoutMs: 5_000 });
      if (dir) {
        await cache.close();
        if (model && !existsSync(path.join(dir, 'meta.json'))) writeFileSync(path.join(dir, 'meta.json'), `${JSON.stringify({ backend, model }, null, 2)}\n`);
      }
    }
  }
  if (!model && dir && existsSync(path.join(dir, 'meta.json'))) {
    const meta = JSON.parse(await readFile(path.join(dir, 'meta.json'), 'utf8')) as { backend: string; model: ApiStore['model'] };
    backend = meta.backend;
    model = meta.model;
  }
  const records = new Map<string, ApiRecord>();
  for (const [k, { e, largest, ...rest }] of cache.entries()) {
    records.set(k, { ...rest, embedding: e ? decodeF32(e) : new Float32Array(0), ...(largest ? { largest: { face: largest.face, embedding: decodeF32(largest.e) } } : {}) });
  }
  return { backend, model, cacheDir: dir, records, computed: todo.length, seconds: (performance.now() - start) / 1000 };
}

/**
 * The service's own comparison (`cosineSimilarity`, as `verify` computes it), or -1 (a certain non-match)
 * when the API found no face on either side.
 */
export function apiScore(a: Float32Array, b: Float32Array): number {
  if (a.length === 0 || b.length === 0) return -1;
  return cosineSimilarity(a, b);
}
