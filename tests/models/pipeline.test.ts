import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePairs } from '../../bench/lfw/protocol.js';
import { cosineSimilarity, decodeImage, DEFAULT_THRESHOLD, FacePipeline } from '../../models/index.js';
import { codeOf } from '../support/errors.js';
import { tf } from '../../models/tf.js';
import { hasLfw, lfwDir, lfwSkipReason, readLfwImage, readSample } from '../support/fixtures.js';
import { gradientJpeg } from '../support/images.js';

let pipeline: FacePipeline;
beforeAll(async () => {
  pipeline = await FacePipeline.load();
});
afterAll(() => pipeline?.dispose());

describe('embeddings', () => {
  it('are 128-d unit vectors from the named model', async () => {
    const result = await pipeline.embed(readSample(3));
    expect(result.model).toBe('dlib-resnet-v1');
    expect(result.embedding).toHaveLength(128);
    expect(Math.hypot(...result.embedding)).toBeCloseTo(1, 5);
    expect(result.faceCount).toBe(3);
    // the largest face is the one embedded
    expect(result.face.box.width * result.face.box.height).toBeGreaterThan(200 * 200);
  });

  it('are unchanged by EXIF orientation: a copy stored rotated with orientation 6 embeds the same face', async () => {
    const { data, info } = await sharp(readSample(1)).resize(960).raw().toBuffer({ resolveWithObject: true });
    const raw = { raw: { width: info.width, height: info.height, channels: 3 as const } };
    const upright = await sharp(data, raw).tiff({ compression: 'lzw' }).toBuffer();
    // Orientation 6 means "rotate 90 degrees clockwise to display": store the pixels turned the other way.
    const stored = await sharp(data, raw).rotate(-90).toBuffer({ resolveWithObject: true });
    const rotated = await sharp(stored.data, { raw: { width: stored.info.width, height: stored.info.height, channels: 3 } })
      .tiff({ compression: 'lzw' })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    expect((await sharp(rotated).metadata()).orientation).toBe(6);
    const a = await pipeline.embed(upright);
    const b = await pipeline.embed(rotated);
    expect(b.image).toMatchObject({ width: a.image.width, height: a.image.height });
    expect(1 - cosineSimilarity(a.embedding, b.embedding)).toBeLessThan(1e-3);
  });

  it('do not leak tensors on TF.js: the count after 20 verify calls equals the count after the first', async () => {
    const wasm = await FacePipeline.load({ backend: 'wasm' });
    try {
      // LFW-sized copies keep 20 round trips quick; the code path is the same as for full photos.
      const a = await sharp(readSample(3)).resize(480).jpeg().toBuffer();
      const b = await sharp(readSample(5)).resize(480).jpeg().toBuffer();
      await wasm.verify(a, b);
      const after1 = tf.memory().numTensors;
      expect(wasm.tensorCount()).toBe(after1);
      for (let i = 0; i < 19; i++) await wasm.verify(a, b);
      expect(tf.memory().numTensors).toBe(after1);
      await codeOf(wasm.verify(a, await gradientJpeg())); // the NO_FACE path must not leak either
      expect(tf.memory().numTensors).toBe(after1);
    } finally {
      wasm.dispose();
    }
  });
});

describe('checkpoint (cooperative cancellation)', () => {
  for (const backend of ['onnxruntime', 'wasm'] as const) {
    it(`on ${backend}: runs before every network run; throwing stops the call between runs, and the pipeline goes on`, async () => {
      let calls = 0;
      let stopAt = Number.POSITIVE_INFINITY;
      const stopped = new Error('stopped (test)');
      const p = await FacePipeline.load({
        backend,
        checkpoint: () => {
          if (++calls >= stopAt) throw stopped;
        },
      });
      try {
        const image = await decodeImage(await sharp(readSample(2)).resize(640).jpeg().toBuffer());
        const full = p.embedFace(image);
        // P-Net once per pyramid level, then R-Net, O-Net and the embedder: many runs for one call.
        const runs = calls;
        expect(runs).toBeGreaterThan(5);
        const tensors = p.tensorCount();
        for (const at of [1, Math.floor(runs / 2), runs]) {
          calls = 0;
          stopAt = at;
          expect(() => p.embedFace(image)).toThrow(stopped);
          expect(calls).toBe(at);
          expect(p.tensorCount()).toBe(tensors);
        }
        calls = 0;
        stopAt = Number.POSITIVE_INFINITY;
        expect(cosineSimilarity(p.embedFace(image).embedding, full.embedding)).toBeCloseTo(1, 6);
        expect(calls).toBe(runs);
      } finally {
        p.dispose();
      }
    });
  }
});

describe('bad input', () => {
  it('maps each case to its error code', async () => {
    const jpeg = readSample(4);
    expect(await codeOf(pipeline.embed(new Uint8Array()))).toBe('BAD_IMAGE');
    expect(await codeOf(pipeline.embed(Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 40503) & 0xff))))).toBe('UNSUPPORTED_FORMAT');
    expect(await codeOf(pipeline.embed(jpeg.subarray(0, 20_000)))).toBe('BAD_IMAGE');
    expect(await codeOf(pipeline.detect(Buffer.from('{"not": "an image"}')))).toBe('UNSUPPORTED_FORMAT');
    expect(await codeOf(pipeline.embed(jpeg, { limits: { maxPixels: 100_000 } }))).toBe('IMAGE_TOO_LARGE');
    expect(await codeOf(pipeline.embed(await gradientJpeg()))).toBe('NO_FACE');
    expect((await pipeline.detect(await gradientJpeg())).faces).toEqual([]);
  });
});

describe.skipIf(!hasLfw)('LFW View 1 (pairsDevTrain.txt)', () => {
  it('classifies 100 genuine and 100 impostor pairs at least 97% correctly at the default threshold', async () => {
    const file = parsePairs(readFileSync(path.join(lfwDir, 'pairsDevTrain.txt'), 'utf8'));
    // every 11th pair of each class: spread over the file rather than its first names alphabetically
    const genuine = file.pairs.filter((p) => p.same).filter((_, i) => i % 11 === 0).slice(0, 100);
    const impostor = file.pairs.filter((p) => !p.same).filter((_, i) => i % 11 === 0).slice(0, 100);
    expect(genuine).toHaveLength(100);
    expect(impostor).toHaveLength(100);
    const cache = new Map<string, number[]>();
    const embed = async (name: string, index: number): Promise<number[]> => {
      const key = `${name}/${index}`;
      let v = cache.get(key);
      if (!v) {
        v = (await pipeline.embed(readLfwImage(name, index))).embedding;
        cache.set(key, v);
      }
      return v;
    };
    let correct = 0;
    for (const p of [...genuine, ...impostor]) {
      const s = cosineSimilarity(await embed(p.a.name, p.a.index), await embed(p.b.name, p.b.index));
      if ((s >= DEFAULT_THRESHOLD) === p.same) correct++;
    }
    expect(correct / 200).toBeGreaterThanOrEqual(0.97);
  }, 300_000);
});

if (!hasLfw) describe('LFW View 1', () => it.skip(lfwSkipReason, () => {}));
