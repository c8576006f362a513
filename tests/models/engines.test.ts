/**
 * The two engines run one description of each network (models/nets), so they must agree: on 60 images
 * (LFW when present, else 54 variants of the face-api sample photos), the same faces with boxes and
 * landmarks within 1 px, embeddings with cosine >= 0.9999, and the 68-point landmark net's points within
 * 1 px, between onnxruntime and TF.js wasm.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imagePath, pairImageKeys, parseImageKey, parsePairs } from '../../bench/lfw/protocol.js';
import { cosineSimilarity, decodeImage, FacePipeline, type Face, type RgbImage } from '../../models/index.js';
import { landmarkPoints } from '../../models/align.js';
import { Landmark68Net } from '../../models/landmarks/landmark68.js';
import { hasLfw, lfwDir, readSample } from '../support/fixtures.js';

async function images(): Promise<Array<{ name: string; image: RgbImage }>> {
  if (hasLfw) {
    const keys = pairImageKeys(parsePairs(readFileSync(path.join(lfwDir, 'pairs.txt'), 'utf8')).pairs).sort();
    const step = Math.floor(keys.length / 60);
    const chosen = keys.filter((_, i) => i % step === 0).slice(0, 60);
    return Promise.all(chosen.map(async (k) => ({ name: k, image: await decodeImage(readFileSync(imagePath(lfwDir, parseImageKey(k)))) })));
  }
  const out: Array<{ name: string; image: RgbImage }> = [];
  for (const n of [1, 2, 3, 4, 5, 6] as const) {
    for (const width of [800, 560, 400]) {
      for (const variant of ['plain', 'mirrored', 'grey'] as const) {
        let img = sharp(readSample(n)).resize(width);
        if (variant === 'mirrored') img = img.flop();
        if (variant === 'grey') img = img.grayscale();
        out.push({ name: `sample${n} ${width}px ${variant}`, image: await decodeImage(await img.jpeg({ quality: 90 }).toBuffer()) });
      }
    }
  }
  return out;
}

function maxDistance(a: Face, b: Face): number {
  const box = [a.box.x - b.box.x, a.box.y - b.box.y, a.box.width - b.box.width, a.box.height - b.box.height].map(Math.abs);
  const pb = landmarkPoints(b.landmarks);
  const points = landmarkPoints(a.landmarks).flatMap((p, i) => [Math.abs(p.x - pb[i]!.x), Math.abs(p.y - pb[i]!.y)]);
  return Math.max(...box, ...points);
}

describe('onnxruntime and wasm agree', () => {
  let wasm: FacePipeline;
  let ort: FacePipeline;
  let set: Array<{ name: string; image: RgbImage }>;
  beforeAll(async () => {
    wasm = await FacePipeline.load({ backend: 'wasm' });
    ort = await FacePipeline.load({ backend: 'onnxruntime' });
    set = await images();
  });
  afterAll(() => {
    wasm?.dispose();
    ort?.dispose();
  });

  it('on boxes, landmarks and embeddings over 50+ images', async () => {
    expect(ort.backend).toBe('onnxruntime');
    expect(wasm.backend).toBe('wasm');
    expect(set.length).toBeGreaterThanOrEqual(50);
    let faces = 0;
    let worstPx = 0;
    let worstCosine = 1;
    for (const { name, image } of set) {
      const a = wasm.detectFaces(image);
      const b = ort.detectFaces(image);
      expect(b.length, name).toBe(a.length);
      a.forEach((face, i) => {
        const d = maxDistance(face, b[i]!);
        worstPx = Math.max(worstPx, d);
        expect(d, `${name} face ${i}`).toBeLessThanOrEqual(1);
      });
      if (!a[0]) continue;
      faces += a.length;
      // the embedder alone, on one chip (and its mirror: embedChips flips), then end to end on each engine's own face
      const chip = wasm.faceChip(image, a[0]);
      const same = cosineSimilarity(wasm.embedChips([chip])[0]!, ort.embedChips([chip])[0]!);
      const own = cosineSimilarity(wasm.embedChips([chip])[0]!, ort.embedChips([ort.faceChip(image, b[0]!)])[0]!);
      worstCosine = Math.min(worstCosine, same, own);
      expect(same, name).toBeGreaterThanOrEqual(0.9999);
      expect(own, name).toBeGreaterThanOrEqual(0.9999);
    }
    console.info(`[engines] ${set.length} images, ${faces} faces: largest box/landmark difference ${worstPx.toFixed(4)} px, lowest cosine ${worstCosine.toFixed(6)}`);
    expect(faces).toBeGreaterThanOrEqual(50);
  }, 240_000);

  it("on the 68-point landmark net's points, on the same face boxes, over 50+ faces", () => {
    const onWasm = Landmark68Net.load(wasm.engine);
    const onOrt = Landmark68Net.load(ort.engine);
    try {
      let faces = 0;
      let worstPx = 0;
      for (const { name, image } of set) {
        const boxes = wasm.detectFaces(image).map((f) => f.box);
        const a = onWasm.detect(image, boxes);
        const b = onOrt.detect(image, boxes);
        expect(b, name).toHaveLength(a.length);
        a.forEach((face, i) => {
          expect(face.points, name).toHaveLength(68);
          const d = Math.max(...face.points.flatMap((p, k) => [Math.abs(p.x - b[i]!.points[k]!.x), Math.abs(p.y - b[i]!.points[k]!.y)]));
          worstPx = Math.max(worstPx, d);
          expect(d, `${name} face ${i}`).toBeLessThanOrEqual(1);
        });
        faces += a.length;
      }
      console.info(`[engines] 68-point net on ${faces} faces: largest point difference ${worstPx.toFixed(5)} px`);
      expect(faces).toBeGreaterThanOrEqual(50);
    } finally {
      onWasm.dispose();
      onOrt.dispose();
    }
  }, 120_000);
});
