/**
 * Test-time augmentation on LFW View 1 only (pairsDevTrain + pairsDevTest, 3,200 pairs), never View 2:
 * embeds each image's PROMINENT face (from bench/tune-selection.ts's cache of detections) under several
 * template scales and vertical shifts, plain and mirrored, then scores combinations of them (the sum of
 * their vectors, L2-normalised) by AUC, best accuracy, accuracy at DEFAULT_THRESHOLD's neighbourhood,
 * EER and TAR at FAR 0.1%. Run bench/tune-selection.ts first.
 *
 *   npx tsx bench/tune-tta.ts [--data DIR] [--workers N] [--backend B]
 */
import os from 'node:os';
import path from 'node:path';
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { decodeImage, l2Normalize, PROMINENT, selectFace, type BackendRequest, type Face } from '../models/index.js';
import { decodeF32, encodeF32, JsonlCache } from './lfw/cache.js';
import { repoRoot } from './lfw/embed.js';
import { summaryLine } from './lfw/metrics.js';
import { WorkerPool } from './lfw/pool.js';
import { Progress } from './lfw/progress.js';
import { imageKey, imagePath, loadLfw, pairImageKeys, parseImageKey } from './lfw/protocol.js';
import type { TtaResult, TtaTask } from './lfw/tta-worker.js';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: process.env.FACEGATE_LFW_DIR ?? '../shared/data/lfw' },
    workers: { type: 'string', default: String(os.availableParallelism()) },
    backend: { type: 'string', default: 'auto' },
  },
});
const VARIANTS = [
  { scale: 1.12, shiftY: 0 },
  { scale: 1.04, shiftY: 0 },
  { scale: 1.2, shiftY: 0 },
  { scale: 1.12, shiftY: -4 },
  { scale: 1.12, shiftY: 4 },
];
const dataDir = path.resolve(values.data!);
const lfw = loadLfw(dataDir);
const pairs = [...lfw.devTrain.pairs, ...lfw.devTest.pairs];
const keys = pairImageKeys(pairs);

const facesDir = path.join(repoRoot, '.cache/tune-selection');
const facesFile = readdirSync(facesDir).find((f) => f.startsWith('faces-'));
if (!facesFile) throw new Error('run bench/tune-selection.ts first: it caches the detections this script uses');
const faces = JsonlCache.open<{ width: number; height: number; faces: Array<{ face: Face }> }>(path.join(facesDir, facesFile));

type Stored = { v: Array<{ p: string; m: string }> };
const cache = JsonlCache.open<Stored>(path.join(repoRoot, '.cache/tune-tta', `tta-${encodeURIComponent(JSON.stringify(VARIANTS)).length}-${VARIANTS.length}.jsonl`));
const todo = keys.filter((k) => !cache.has(k) && (faces.get(k)?.faces.length ?? 0) > 0);
if (todo.length) {
  const pool = await WorkerPool.start<TtaTask, TtaResult, { backend: string }>(new URL('./lfw/tta-worker.ts', import.meta.url), Math.max(1, Number(values.workers)), {
    backend: values.backend as BackendRequest,
  });
  const bar = new Progress(`tta (${pool.size} workers, ${pool.infos[0]!.backend})`, todo.length, process.stderr);
  const done: Array<Promise<void>> = [];
  try {
    for (const key of todo) {
      const rec = faces.get(key)!;
      const face = selectFace(rec.faces.map((f) => f.face), rec.width, rec.height, PROMINENT).face;
      const d = await decodeImage(await readFile(imagePath(dataDir, parseImageKey(key))));
      const image = { width: d.width, height: d.height, data: new Uint8Array(d.data) };
      const { result } = await pool.submit({ key, image, face, variants: VARIANTS }, [image.data.buffer]);
      done.push(
        result.then((r) => {
          cache.set(r.key, { v: r.vectors.map((x) => ({ p: encodeF32(x.plain), m: encodeF32(x.mirror) })) });
          bar.tick();
        }),
      );
    }
    await Promise.all(done);
  } finally {
    bar.finish();
    await pool.close();
    await cache.close();
  }
}

const vectors = new Map<string, Array<{ plain: Float32Array; mirror: Float32Array }>>();
for (const [k, s] of cache.entries()) vectors.set(k, s.v.map((x) => ({ plain: decodeF32(x.p), mirror: decodeF32(x.m) })));

function combo(indices: number[], mirror: boolean): (k: string) => Float32Array | undefined {
  return (k) => {
    const v = vectors.get(k);
    if (!v) return undefined;
    const sum = new Float32Array(v[0]!.plain.length);
    for (const i of indices) {
      for (let d = 0; d < sum.length; d++) sum[d]! += v[i]!.plain[d]! + (mirror ? v[i]!.mirror[d]! : 0);
    }
    return l2Normalize(sum);
  };
}

function score(vec: (k: string) => Float32Array | undefined): string {
  const s: number[] = [];
  const l: boolean[] = [];
  for (const p of pairs) {
    const a = vec(imageKey(p.a));
    const b = vec(imageKey(p.b));
    let x = -1;
    if (a && b) {
      x = 0;
      for (let d = 0; d < a.length; d++) x += a[d]! * b[d]!;
    }
    s.push(x);
    l.push(p.same);
  }
  return summaryLine(s, l);
}

const name = (i: number): string => `s${VARIANTS[i]!.scale}${VARIANTS[i]!.shiftY ? `y${VARIANTS[i]!.shiftY}` : ''}`;
console.log(`View 1: ${pairs.length} pairs, ${vectors.size} images embedded under ${VARIANTS.length} template variants`);
const combos: number[][] = [[0], [1], [2], [3], [4], [0, 1, 2], [0, 3, 4], [0, 1, 2, 3, 4], [0, 2], [0, 1]];
for (const mirror of [false, true]) {
  for (const c of combos) console.log(`${(c.map(name).join('+') + (mirror ? ' +flip' : '')).padEnd(36)} ${score(combo(c, mirror))}`);
}
