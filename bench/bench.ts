/**
 * Per-stage latency of the face pipeline on this machine: decode, detect, align, embed and end to end
 * (median, p95 and mean, milliseconds; the stages' means add up to the end-to-end mean, their medians
 * need not add up to its median), over a fixed list of 200 LFW images (every 38th image named by
 * pairs.txt) or, without LFW, the sample photos shipped with @vladmandic/face-api. One request at a
 * time, after a warm-up. Also peak RSS and, on TF.js, the tensor count before and after.
 *
 * Each image goes through the API's own library call (`FacePipeline.embedFace` with its defaults: the
 * most prominent face, chip + mirror).
 *
 * `--backend all` loads every backend that loads here (tensorflow when installed, onnxruntime, wasm) in
 * this one process and prints one table per backend and the ratio of each to onnxruntime. The backends
 * take turns in blocks of `--block` images (default 10): turns that short let drifting load on the machine
 * hit every backend alike, and within a block each runs as a server runs its one engine, with its own
 * weights in the caches and V8 collecting its own garbage. Turns of one image (`--block 1`) made
 * onnxruntime 1.5-2 ms per image slower than it is alone: the wasm ResNet run before each of its images
 * pushed its weights out of the caches, and most of V8's major collections (wasm makes 3-4x the garbage)
 * fell into onnxruntime's next decode.
 *
 *   npm run bench [-- --images N] [--data DIR] [--backend auto|all|onnxruntime|wasm|...] [--threads N] [--block N]
 */
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { type BackendRequest, decodeImage, type FaceEmbedding, FacePipeline, isFaceError, parseBackendRequest } from '../models/index.js';
import { imagePath, lfwAvailable, pairImageKeys, parseImageKey, parsePairs } from './lfw/protocol.js';

const { values } = parseArgs({
  options: {
    images: { type: 'string', default: '200' },
    data: { type: 'string', default: path.resolve('../shared/data/lfw') },
    backend: { type: 'string', default: 'auto' },
    threads: { type: 'string' },
    block: { type: 'string', default: '10' },
  },
});
const count = Number(values.images);
const dataDir = path.resolve(values.data!);
const block = Number(values.block);
if (!Number.isInteger(block) || block < 1) throw new Error(`--block must be a positive whole number, got ${values.block}`);

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
const threads = values.threads === undefined ? undefined : Number(values.threads);

async function loadBackends(): Promise<FacePipeline[]> {
  if (values.backend !== 'all') return [await FacePipeline.load({ backend: parseBackendRequest(values.backend), threads })];
  const loaded: FacePipeline[] = [];
  for (const backend of ['tensorflow', 'onnxruntime', 'wasm'] as BackendRequest[]) {
    try {
      loaded.push(await FacePipeline.load({ backend, threads }));
    } catch (error) {
      console.log(`(backend ${backend} skipped: ${(error as Error).message})`);
    }
  }
  return loaded;
}

const pipelines = await loadBackends();
const encoded = files.map((f) => readFileSync(f));
type Stages = { decode: number[]; detect: number[]; align: number[]; embed: number[]; total: number[] };
const stages = new Map<FacePipeline, Stages>(pipelines.map((p) => [p, { decode: [], detect: [], align: [], embed: [], total: [] }]));
let peakRss = process.memoryUsage().rss;
const noFace = new Map<FacePipeline, number>(pipelines.map((p) => [p, 0]));

/** One image through one backend: decode, then the API's embedFace (detect, choose the face, align, embed chip + mirror). */
async function once(pipeline: FacePipeline, bytes: Buffer, record: boolean): Promise<void> {
  const t0 = performance.now();
  const image = await decodeImage(bytes);
  const t1 = performance.now();
  let timings: FaceEmbedding['timings'];
  try {
    timings = pipeline.embedFace(image).timings;
  } catch (error) {
    if (!(isFaceError(error) && error.code === 'NO_FACE')) throw error;
    if (record) noFace.set(pipeline, noFace.get(pipeline)! + 1);
    return;
  }
  const t2 = performance.now();
  if (!record) return;
  const s = stages.get(pipeline)!;
  s.decode.push(t1 - t0);
  s.detect.push(timings.detectMs);
  s.align.push(timings.alignMs);
  s.embed.push(timings.embedMs);
  s.total.push(t2 - t0);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}

for (const bytes of encoded.slice(0, 5)) for (const p of pipelines) await once(p, bytes, false);
const tensorsBefore = pipelines.map((p) => p.tensorCount());
for (let start = 0; start < encoded.length; start += block) {
  for (const p of pipelines) for (const bytes of encoded.slice(start, start + block)) await once(p, bytes, true);
}
const tensorsAfter = pipelines.map((p) => p.tensorCount());

const median = (xs: number[]) => quantile([...xs].sort((a, b) => a - b), 0.5);
const p95 = (xs: number[]) => quantile([...xs].sort((a, b) => a - b), 0.95);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const label = (stage: string) => (stage === 'total' ? 'end to end' : stage).padEnd(12);

console.log(`facegate bench: node ${process.version}, ${os.availableParallelism()} cores (${os.cpus()[0]?.model ?? 'unknown CPU'})`);
console.log(`images: ${source}${pipelines.length > 1 ? `; backends take turns in blocks of ${block}` : ''}\n`);
pipelines.forEach((p, i) => {
  const s = stages.get(p)!;
  console.log(`backend ${p.backend}, model ${p.model.name}: ${s.total.length} images with a face, ${noFace.get(p)} without`);
  console.log('| stage        | p50 (ms) | p95 (ms) | mean (ms) |');
  console.log('|--------------|----------|----------|-----------|');
  for (const [stage, xs] of Object.entries(s)) {
    console.log(`| ${label(stage)} | ${median(xs).toFixed(1).padStart(8)} | ${p95(xs).toFixed(1).padStart(8)} | ${mean(xs).toFixed(1).padStart(9)} |`);
  }
  if (p.backend !== 'onnxruntime') console.log(`tensors ${tensorsBefore[i]} before, ${tensorsAfter[i]} after`);
  console.log('');
});
const ort = pipelines.find((p) => p.backend === 'onnxruntime');
const others = pipelines.filter((p) => p !== ort);
if (ort && others.length > 0) {
  console.log(`median time of each backend / onnxruntime's, same images, same run:`);
  console.log(`| stage        | ${others.map((p) => p.backend.padStart(10)).join(' | ')} |`);
  console.log(`|--------------|${others.map(() => '------------').join('|')}|`);
  for (const stage of Object.keys(stages.get(ort)!) as Array<keyof Stages>) {
    const base = median(stages.get(ort)![stage]);
    console.log(`| ${label(stage)} | ${others.map((p) => `${(median(stages.get(p)![stage]) / base).toFixed(2)}x`.padStart(10)).join(' | ')} |`);
  }
  console.log('');
}
console.log(`peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB`);
for (const p of pipelines) p.dispose();
