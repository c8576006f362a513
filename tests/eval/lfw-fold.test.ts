/**
 * Regression gate for what the API delivers: LFW View 2 fold 1 (600 pairs, 807 images), every image through
 * the service's `embed` path (bench/lfw/api.ts: InferenceService, the server's worker pool, the default face
 * choice), as `npm run eval -- lfw` measures its headline, on both CPU engines (onnxruntime, the default,
 * and TF.js WASM). Accuracy is judged at the service's DEFAULT_THRESHOLD (chosen on LFW View 1, never on
 * View 2).
 *
 * The bounds are the fold's measured figures minus two standard errors, so that a refactor that changes
 * nothing real cannot fail the gate while a real regression does: accuracy's standard error is the
 * binomial sqrt(p(1-p)/600), AUC's is Hanley and McNeil's (1982) for 300 genuine and 300 impostor pairs.
 */
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { apiScore, embedThroughApi } from '../../bench/lfw/api.js';
import { scorePairs } from '../../bench/lfw/evaluate.js';
import { accuracyAt, auc, eer, roc } from '../../bench/lfw/metrics.js';
import { loadLfw, pairImageKeys } from '../../bench/lfw/protocol.js';
import { DEFAULT_THRESHOLD } from '../../models/index.js';
import { hasLfw, lfwDir, lfwSkipReason } from '../support/fixtures.js';

/** Fold 1 through the API path, as measured (wasm, 2026-12-03; README "CI gate"): 591 of 600 at DEFAULT_THRESHOLD. */
const FOLD_ACCURACY = 0.985;
const FOLD_AUC = 0.99911;

function hanleyMcNeilSe(a: number, positives: number, negatives: number): number {
  const q1 = a / (2 - a);
  const q2 = (2 * a * a) / (1 + a);
  return Math.sqrt((a * (1 - a) + (positives - 1) * (q1 - a * a) + (negatives - 1) * (q2 - a * a)) / (positives * negatives));
}

const MIN_ACCURACY = FOLD_ACCURACY - 2 * Math.sqrt((FOLD_ACCURACY * (1 - FOLD_ACCURACY)) / 600);
const MIN_AUC = FOLD_AUC - 2 * hanleyMcNeilSe(FOLD_AUC, 300, 300);

describe.skipIf(!hasLfw)('LFW View 2, fold 1 through the API path', () => {
  it.each(['onnxruntime', 'wasm'] as const)(
    `reaches accuracy >= ${(MIN_ACCURACY * 100).toFixed(2)}% at the service threshold and AUC >= ${MIN_AUC.toFixed(4)} (measured minus 2 SE) on %s`,
    async (backend) => {
      const lfw = loadLfw(lfwDir);
      const pairs = lfw.view2.pairs.filter((p) => p.fold === 0);
      expect(pairs).toHaveLength(600);
      const keys = pairImageKeys(pairs);
      const store = await embedThroughApi({
        dataDir: lfwDir,
        cacheRoot: undefined,
        keys,
        workers: Math.min(2, os.availableParallelism()),
        backend,
        quiet: true,
      });
      expect(store.records.size).toBe(keys.length);
      expect(store.model?.name).toBe('dlib-resnet-v1');
      expect(store.backend).toBe(backend);
      const s = scorePairs(pairs, { vector: (k) => store.records.get(k)?.embedding, fallback: () => false, score: apiScore });
      const curve = roc(s.scores, s.labels);
      const v = { auc: auc(curve), eer: eer(curve) };
      const accuracy = accuracyAt(s.scores, s.labels, DEFAULT_THRESHOLD);
      const noFace = keys.filter((k) => store.records.get(k)!.face === null).length;
      const ambiguous = keys.filter((k) => store.records.get(k)!.ambiguous).length;
      console.info(
        `[lfw fold 1, API path, ${store.backend}] ${keys.length} images in ${store.seconds.toFixed(1)} s, no face: ${noFace}, ambiguous: ${ambiguous}; ` +
          `accuracy at ${DEFAULT_THRESHOLD}: ${(accuracy * 100).toFixed(2)}%, AUC ${v.auc.toFixed(5)}, EER ${(v.eer.eer * 100).toFixed(2)}%`,
      );
      expect(noFace).toBeLessThanOrEqual(2);
      expect(accuracy).toBeGreaterThanOrEqual(MIN_ACCURACY);
      expect(v.auc).toBeGreaterThanOrEqual(MIN_AUC);
    },
    300_000,
  );
});

if (!hasLfw) {
  describe('LFW View 2, fold 1 through the API path', () => {
    it.skip(lfwSkipReason, () => {});
  });
}
