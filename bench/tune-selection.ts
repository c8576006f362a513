/**
 * Chooses the PROMINENT face-selection rule's constants (models/select.ts) on LFW View 1 only
 * (pairsDevTrain + pairsDevTest, 3,200 pairs), never View 2. Every face of every View 1 image is detected
 * and embedded once (cached under .cache/tune-selection/), then each rule of a grid picks one face per
 * image and the pairs are scored: AUC, best accuracy, EER, TAR at FAR 0.1%, and how many images the rule
 * flags as ambiguous. The largest-face rule and FaceNet's `area - 2 offset^2` are printed for comparison.
 *
 *   npx tsx bench/tune-selection.ts [--data DIR] [--workers N] [--backend B]
 */
import os from 'node:os';
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { AMBIGUITY_RATIO, decodeImage, DEFAULT_THRESHOLD, selectFace, type BackendRequest, type Face, type FaceChoice, type ProminenceParams } from '../models/index.js';
import { decodeF32, encodeF32, hashFiles, JsonlCache, shortHash, tsFilesUnder } from './lfw/cache.js';
import type { FacesResult, FacesTask } from './lfw/faces-worker.js';
import { accuracyAt, auc, bestAccuracyThreshold, eer, roc, tarAtFar } from './lfw/metrics.js';
import { WorkerPool } from './lfw/pool.js';
import { Progress } from './lfw/progress.js';
import { imageKey, imagePath, loadLfw, pairImageKeys, parseImageKey } from './lfw/protocol.js';
import { repoRoot } from './lfw/embed.js';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: process.env.FACEGATE_LFW_DIR ?? '../shared/data/lfw' },
    workers: { type: 'string', default: String(os.availableParallelism()) },
    backend: { type: 'string', default: 'auto' },
  },
});
const dataDir = path.resolve(values.data!);
const lfw = loadLfw(dataDir);
const pairs = [...lfw.devTrain.pairs, ...lfw.devTest.pairs];
const keys = pairImageKeys(pairs);

interface Stored {
  width: number;
  height: number;
  faces: Array<{ face: Face; e: string }>;
}
const modelsHash = hashFiles(repoRoot, tsFilesUnder(repoRoot, 'models').filter((f) => !['calibration.ts', 'select.ts'].includes(path.basename(f))));
const fingerprint = shortHash({ modelsHash, worker: hashFiles(repoRoot, ['bench/lfw/faces-worker.ts']), backend: values.backend });
const cache = JsonlCache.open<Stored>(path.join(repoRoot, '.cache/tune-selection', `faces-${fingerprint}.jsonl`));
const todo = keys.filter((k) => !cache.has(k));
if (todo.length > 0) {
  const pool = await WorkerPool.start<FacesTask, FacesResult, { backend: string }>(
    new URL('./lfw/faces-worker.ts', import.meta.url),
    Math.max(1, Number(values.workers)),
    { backend: values.backend as BackendRequest },
  );
  const bar = new Progress(`faces (${pool.size} workers, ${pool.infos[0]!.backend})`, todo.length, process.stderr);
  const done: Array<Promise<void>> = [];
  try {
    for (const key of todo) {
      const decoded = await decodeImage(await readFile(imagePath(dataDir, parseImageKey(key))));
      const image = { width: decoded.width, height: decoded.height, data: new Uint8Array(decoded.data) };
      const { result } = await pool.submit({ key, image }, [image.data.buffer]);
      done.push(
        result.then((r) => {
          cache.set(r.key, { width: r.width, height: r.height, faces: r.faces.map((f) => ({ face: f.face, e: encodeF32(f.embedding) })) });
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

const images = new Map<string, { width: number; height: number; faces: Face[]; vectors: Float32Array[] }>();
for (const [k, s] of cache.entries()) images.set(k, { width: s.width, height: s.height, faces: s.faces.map((f) => f.face), vectors: s.faces.map((f) => decodeF32(f.e)) });
const multi = keys.filter((k) => (images.get(k)?.faces.length ?? 0) > 1).length;
const none = keys.filter((k) => (images.get(k)?.faces.length ?? 0) === 0).length;
console.log(`View 1: ${pairs.length} pairs, ${keys.length} images; ${multi} with more than one face, ${none} with none`);

type Pick = (img: { width: number; height: number; faces: Face[] }) => { index: number; ambiguous: boolean };

function evaluate(pick: Pick): { auc: number; acc: number; accDefault: number; eer: number; tar: number; ambiguous: number; differs: number } {
  const chosen = new Map<string, { vector: Float32Array | undefined; ambiguous: boolean; index: number }>();
  for (const k of keys) {
    const img = images.get(k)!;
    if (img.faces.length === 0) chosen.set(k, { vector: undefined, ambiguous: false, index: -1 });
    else {
      const p = pick(img);
      chosen.set(k, { vector: img.vectors[p.index], ambiguous: p.ambiguous, index: p.index });
    }
  }
  const scores: number[] = [];
  const labels: boolean[] = [];
  for (const pair of pairs) {
    const a = chosen.get(imageKey(pair.a));
    const b = chosen.get(imageKey(pair.b));
    let s = -1; // an image without a face fails the API with NO_FACE: scored as a certain non-match
    if (a?.vector && b?.vector) {
      s = 0;
      for (let i = 0; i < a.vector.length; i++) s += a.vector[i]! * b.vector[i]!;
    }
    scores.push(s);
    labels.push(pair.same);
  }
  const curve = roc(scores, labels);
  return {
    auc: auc(curve),
    acc: bestAccuracyThreshold(scores, labels).accuracy,
    accDefault: accuracyAt(scores, labels, DEFAULT_THRESHOLD),
    eer: eer(curve).eer,
    tar: tarAtFar(scores, labels, 0.001).tar,
    ambiguous: [...chosen.values()].filter((c) => c.ambiguous).length,
    differs: [...chosen.values()].filter((c) => c.index > 0).length,
  };
}

const rule = (choice: FaceChoice, params?: ProminenceParams): Pick => (img) => {
  const s = selectFace(img.faces, img.width, img.height, choice, params);
  return { index: s.index, ambiguous: s.ambiguous };
};
const facenet: Pick = (img) => {
  let best = 0;
  let bestScore = -Infinity;
  img.faces.forEach((f, i) => {
    const dx = f.box.x + f.box.width / 2 - img.width / 2;
    const dy = f.box.y + f.box.height / 2 - img.height / 2;
    const s = f.box.width * f.box.height - 2 * (dx * dx + dy * dy);
    if (s > bestScore) [best, bestScore] = [i, s];
  });
  return { index: best, ambiguous: false };
};

const row = (name: string, r: ReturnType<typeof evaluate>): string =>
  `${name.padEnd(34)} ${r.auc.toFixed(5)}  ${(r.acc * 100).toFixed(2)}%  ${(r.accDefault * 100).toFixed(2)}%  ${(r.eer * 100).toFixed(2)}%  ${(r.tar * 100).toFixed(2)}%  ${String(r.differs).padStart(5)}  ${String(r.ambiguous).padStart(5)}`;
console.log(`${'rule'.padEnd(34)} AUC      acc     acc@${DEFAULT_THRESHOLD} EER    TAR@0.1%  not-0  ambig (ratio ${AMBIGUITY_RATIO})`);
console.log(row('largest', evaluate(rule({ rule: 'largest' }))));
console.log(row('facenet area - 2 offset^2', evaluate(facenet)));
const grid: Array<{ params: ProminenceParams; r: ReturnType<typeof evaluate> }> = [];
for (const borderPower of [0, 1, 2, 3, 4]) {
  for (const centreSigma of [0.15, 0.2, 0.25, 0.35, 0.5, 0.75, Infinity]) {
    const params = { borderPower, centreSigma };
    const r = evaluate(rule({ rule: 'prominent' }, params));
    grid.push({ params, r });
    console.log(row(`prominent border^${borderPower} sigma ${centreSigma}`, r));
  }
}
grid.sort((x, y) => y.r.acc - x.r.acc || y.r.auc - x.r.auc);
console.log(`best on View 1: ${JSON.stringify(grid[0]!.params)} (accuracy, then AUC)`);
