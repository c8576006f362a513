/**
 * Per-stage latency of the face pipeline on this machine: decode, detect, align, embed and end to end
 * (median and p95, milliseconds), over a fixed list of 200 LFW images (every 38th image named by
 * pairs.txt) or, without LFW, the sample photos shipped with @vladmandic/face-api. Single thread, one
 * request at a time, after a warm-up. Also peak RSS and the tensor count before and after.
 *
 *   npm run bench [-- --images N] [--data DIR] [--backend wasm]
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { decodeImage, FacePipeline, parseBackendRequest } from '../models/index.js';
import { tf } from '../models/tf.js';
import { imagePath, lfwAvailable, pairImageKeys, parseImageKey, parsePairs } from './lfw/protocol.js';

const { values } = parseArgs({
  options: {
    images: { type: 'string', default: '200' },
    data: { type: 'string', default: path.resolve('../shared/data/lfw') },
    backend: { type: 'string', default: 'auto' },
  },
});
const count = Number(values.images);
const dataDir = path.resolve(values.data!);

function benchFiles(): { source: string; files: string[] } {
  if (lfwAvailable(dataDir)) {
    const keys = pairImageKeys(parsePairs(readFileSync(path.join(dataDir, 'pairs.txt'), 'utf8')).pairs).sort();
    const step = Math.max(1, Math.floor(keys.length / count));
    const files = keys.filter((_, i) => i % step === 0).slice(0, count).map((k) => imagePath(dataDir, parseImageKey(k)));
    return { source: `LFW (${files.length} images from pairs.txt, every ${step}th)`, files };
  }
  const demo = path.resolve('node_modules/@vladmandic/face-api/demo');
  const files = readdirSync(demo).filter((f) => /^sample\d\.jpg$/.test(f)).map((f) => path.join(demo, f));
  return { source: `face-api sample photos (${files.length} images; LFW not found at ${dataDir})`, files };
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

const { source, files } = benchFiles();
const pipeline = await FacePipeline.load({ backend: parseBackendRequest(values.backend) });
const encoded = files.map((f) => readFileSync(f));
const stages = { decode: [] as number[], detect: [] as number[], align: [] as number[], embed: [] as number[], total: [] as number[] };
let peakRss = process.memoryUsage().rss;
let noFace = 0;

async function once(bytes: Buffer, record: boolean): Promise<void> {
  const t0 = performance.now();
  const image = await decodeImage(bytes);
  const t1 = performance.now();
  const face = pipeline.detectFaces(image)[0];
  const t2 = performance.now();
  if (!face) {
    if (record) noFace++;
    return;
  }
  const chip = pipeline.faceChip(image, face);
  const t3 = performance.now();
  pipeline.embedChips([chip]);
  const t4 = performance.now();
  if (!record) return;
  stages.decode.push(t1 - t0);
  stages.detect.push(t2 - t1);
  stages.align.push(t3 - t2);
  stages.embed.push(t4 - t3);
  stages.total.push(t4 - t0);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}

for (const bytes of encoded.slice(0, 5)) await once(bytes, false);
const tensorsBefore = tf.memory().numTensors;
for (const bytes of encoded) await once(bytes, true);
const tensorsAfter = tf.memory().numTensors;

const rows = Object.entries(stages).map(([stage, xs]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return `| ${stage.padEnd(12)} | ${quantile(sorted, 0.5).toFixed(1).padStart(8)} | ${quantile(sorted, 0.95).toFixed(1).padStart(8)} |`;
});
console.log(`facegate bench: backend ${pipeline.backend}, model ${pipeline.model.name}, node ${process.version}`);
console.log(`images: ${source}; ${stages.total.length} with a face, ${noFace} without\n`);
console.log('| stage        | p50 (ms) | p95 (ms) |');
console.log('|--------------|----------|----------|');
for (const row of rows) console.log(row.replace('| total       ', '| end to end  '));
console.log(`\npeak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB; tensors ${tensorsBefore} before, ${tensorsAfter} after`);
pipeline.dispose();
