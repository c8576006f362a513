/**
 * How often MTCNN finds at least one face in the 7,701 distinct images that LFW's pairs.txt uses.
 *
 *   npx tsx bench/detect-rate.ts [--data DIR] [--min-face 20]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { decodeImage, FacePipeline } from '../models/index.js';
import { imagePath, pairImageKeys, parseImageKey, parsePairs } from './lfw/protocol.js';

const { values } = parseArgs({
  options: { data: { type: 'string', default: '../shared/data/lfw' }, 'min-face': { type: 'string', default: '20' } },
});
const dataDir = path.resolve(values.data!);
const keys = pairImageKeys(parsePairs(readFileSync(path.join(dataDir, 'pairs.txt'), 'utf8')).pairs);
const pipeline = await FacePipeline.load();
const missed: string[] = [];
let multiple = 0;
const start = performance.now();
for (const [i, key] of keys.entries()) {
  const image = await decodeImage(readFileSync(imagePath(dataDir, parseImageKey(key))));
  const faces = pipeline.detectFaces(image, { minFaceSize: Number(values['min-face']) });
  if (faces.length === 0) missed.push(key);
  if (faces.length > 1) multiple++;
  if ((i + 1) % 500 === 0) process.stderr.write(`${i + 1}/${keys.length}\n`);
}
const found = keys.length - missed.length;
console.log(`MTCNN (min face ${values['min-face']} px, backend ${pipeline.backend}) on the ${keys.length} images of pairs.txt:`);
console.log(`  at least one face: ${found} (${((100 * found) / keys.length).toFixed(2)}%); more than one: ${multiple}; none: ${missed.length}`);
if (missed.length) console.log(`  no face in: ${missed.join(', ')}`);
console.log(`  ${((performance.now() - start) / 1000).toFixed(0)} s`);
pipeline.dispose();
