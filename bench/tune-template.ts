/**
 * Tunes the dlib chip template for MTCNN landmarks on LFW View 1 (pairsDevTrain.txt), never View 2.
 * Detects each image once, then re-aligns and re-embeds under a grid of template adjustments (scale about
 * the template centre, vertical shift) and prints AUC, best accuracy and d' (separation) for each.
 *
 *   npx tsx bench/tune-template.ts [--pairs N] [--data DIR]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { alignmentTransform, mirrorChip, warpToChip } from '../models/align.js';
import { dlibChipTemplate } from '../models/embedders/dlib-resnet.js';
import { decodeImage, FacePipeline, l2Normalize, type Face, type RgbImage } from '../models/index.js';
import { imageKey, imagePath, pairImageKeys, parseImageKey, parsePairs } from './lfw/protocol.js';

const { values } = parseArgs({
  options: {
    pairs: { type: 'string', default: '300' },
    data: { type: 'string', default: '../shared/data/lfw' },
    scales: { type: 'string', default: '0.94,1,1.06' },
    shifts: { type: 'string', default: '-3,0,3' },
    flip: { type: 'boolean', default: false },
  },
});
const dataDir = path.resolve(values.data!);
const perClass = Number(values.pairs);

const file = parsePairs(readFileSync(path.join(dataDir, 'pairsDevTrain.txt'), 'utf8'));
const pairs = [...file.pairs.filter((p) => p.same).slice(0, perClass), ...file.pairs.filter((p) => !p.same).slice(0, perClass)];
const keys = pairImageKeys(pairs);

const pipeline = await FacePipeline.load();
const detected = new Map<string, { image: RgbImage; face: Face }>();
for (const key of keys) {
  const image = await decodeImage(readFileSync(imagePath(dataDir, parseImageKey(key))));
  const face = pipeline.detectFaces(image)[0];
  if (face) detected.set(key, { image, face });
}
console.log(`${keys.length} images, ${detected.size} with a face, ${pairs.length} pairs (View 1 pairsDevTrain)`);

function auc(genuine: number[], impostor: number[]): number {
  let wins = 0;
  for (const g of genuine) for (const i of impostor) wins += g > i ? 1 : g === i ? 0.5 : 0;
  return wins / (genuine.length * impostor.length);
}
function bestAccuracy(scored: Array<{ s: number; same: boolean }>): number {
  let best = 0;
  for (const { s: t } of scored) {
    const correct = scored.filter((p) => (p.s >= t) === p.same).length;
    best = Math.max(best, correct / scored.length);
  }
  return best;
}
function meanSd(xs: number[]): [number, number] {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return [m, Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length)];
}

console.log('scale  shiftY   AUC      acc     d\'');
for (const scale of values.scales!.split(',').map(Number)) {
  for (const shiftY of values.shifts!.split(',').map(Number)) {
    const template = dlibChipTemplate(150, 0.25, { scale, shiftY });
    const vectors = new Map<string, Float32Array>();
    const entries = [...detected.entries()];
    for (let i = 0; i < entries.length; i += 16) {
      const batch = entries.slice(i, i + 16);
      const chips = batch.map(([, d]) => warpToChip(d.image, alignmentTransform(d.face.landmarks, template), 150));
      const embedded = pipeline.embedChips(chips);
      if (values.flip) {
        pipeline.embedChips(chips.map((c) => mirrorChip(c, 150))).forEach((m, j) => {
          const v = embedded[j]!;
          for (let k = 0; k < v.length; k++) v[k]! += m[k]!;
        });
      }
      embedded.forEach((v, j) => vectors.set(batch[j]![0], l2Normalize(v)));
    }
    const scored = pairs.flatMap((p) => {
      const a = vectors.get(imageKey(p.a));
      const b = vectors.get(imageKey(p.b));
      if (!a || !b) return [];
      let s = 0;
      for (let k = 0; k < a.length; k++) s += a[k]! * b[k]!;
      return [{ s, same: p.same }];
    });
    const genuine = scored.filter((p) => p.same).map((p) => p.s);
    const impostor = scored.filter((p) => !p.same).map((p) => p.s);
    const [mg, sg] = meanSd(genuine);
    const [mi, si] = meanSd(impostor);
    const dPrime = (mg - mi) / Math.sqrt((sg * sg + si * si) / 2);
    console.log(`${scale.toFixed(2)}  ${String(shiftY).padStart(5)}  ${auc(genuine, impostor).toFixed(5)}  ${bestAccuracy(scored).toFixed(4)}  ${dPrime.toFixed(3)}`);
  }
}
pipeline.dispose();
