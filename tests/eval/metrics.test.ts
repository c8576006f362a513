import { describe, expect, it } from 'vitest';
import {
  accuracyAt,
  accuracyWithFoldThresholds,
  auc,
  bestAccuracyThreshold,
  dirAtFpir,
  eer,
  kFoldAccuracy,
  openSetAt,
  probeOutcome,
  rankK,
  ratesAt,
  roc,
  scoreGallery,
  separability,
  summarize,
  tarAtFar,
} from '../../bench/lfw/metrics.js';

// Six pairs, worked by hand: G = genuine, I = impostor.
//   score  0.9 0.8 0.7 0.6 0.5 0.4
//   label   G   G   I   G   I   I
const S = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4];
const L = [true, true, false, true, false, false];

describe('roc', () => {
  it('gives one point per distinct score, from (0,0) to (1,1)', () => {
    const pts = roc(S, L).map((p) => [p.threshold, p.far, p.tar]);
    expect(pts).toEqual([
      [Infinity, 0, 0],
      [0.9, 0, 1 / 3],
      [0.8, 0, 2 / 3],
      [0.7, 1 / 3, 2 / 3],
      [0.6, 1 / 3, 1],
      [0.5, 2 / 3, 1],
      [0.4, 1, 1],
    ]);
  });

  it('does not depend on input order', () => {
    const order = [3, 0, 5, 1, 4, 2];
    expect(roc(order.map((i) => S[i]!), order.map((i) => L[i]!))).toEqual(roc(S, L));
  });

  it('accepts tied scores together (one diagonal step)', () => {
    const pts = roc([0.5, 0.5, 0.9], [true, false, true]).map((p) => [p.far, p.tar]);
    expect(pts).toEqual([
      [0, 0],
      [0, 0.5],
      [1, 1],
    ]);
  });

  it('refuses one-class input', () => {
    expect(() => roc([0.1, 0.2], [true, true])).toThrow(/both genuine and impostor/);
  });
});

describe('auc', () => {
  it('integrates by trapezoids: 8/9 for the worked example (= Mann-Whitney: 8 of 9 G/I pairs ordered)', () => {
    expect(auc(roc(S, L))).toBeCloseTo(8 / 9, 12);
  });
  it('is 1 for perfect separation, 0 for reversed, 1/2 for all ties', () => {
    expect(auc(roc([0.9, 0.8, 0.1], [true, true, false]))).toBe(1);
    expect(auc(roc([0.1, 0.2, 0.9], [true, true, false]))).toBe(0);
    expect(auc(roc([0.5, 0.5, 0.5, 0.5], [true, false, true, false]))).toBeCloseTo(0.5, 12);
  });
});

describe('eer', () => {
  it('lands on a ROC point where FAR = FRR exactly', () => {
    // At threshold 0.7: FAR = 1/3, TAR = 2/3 so FRR = 1/3.
    const r = eer(roc(S, L));
    expect(r.eer).toBeCloseTo(1 / 3, 12);
    expect(r.threshold).toBeCloseTo(0.7, 12);
  });
  it('interpolates linearly between the bracketing points', () => {
    // G 0.9, 0.5; I 0.7. ROC: (0,0) (0,.5)@.9 (1,.5)@.7 (1,1)@.5. FAR-FRR goes -0.5 -> +0.5 between
    // 0.9 and 0.7: halfway, FAR = FRR = 0.5 at threshold 0.8.
    const r = eer(roc([0.9, 0.5, 0.7], [true, true, false]));
    expect(r.eer).toBeCloseTo(0.5, 12);
    expect(r.threshold).toBeCloseTo(0.8, 12);
  });
  it('is 0 for perfect separation', () => {
    expect(eer(roc([0.9, 0.8, 0.2, 0.1], [true, true, false, false])).eer).toBe(0);
  });
});

describe('tarAtFar', () => {
  it('takes the highest TAR whose FAR stays under the ceiling', () => {
    const at0 = tarAtFar(S, L, 0);
    expect(at0.tar).toBeCloseTo(2 / 3, 12);
    expect(at0.far).toBe(0);
    expect(at0.threshold).toBeCloseTo(0.75, 12); // halfway between 0.8 (accepted) and 0.7 (rejected)
    const at40 = tarAtFar(S, L, 0.4);
    expect(at40.tar).toBe(1);
    expect(at40.far).toBeCloseTo(1 / 3, 12);
    expect(at40.threshold).toBeCloseTo(0.55, 12);
    // 0.3 < 1/3: the impostor at 0.7 may not be accepted.
    expect(tarAtFar(S, L, 0.3).tar).toBeCloseTo(2 / 3, 12);
  });
  it('reproduces its own point at its threshold', () => {
    for (const target of [0, 0.2, 0.34, 0.7, 1]) {
      const p = tarAtFar(S, L, target);
      const r = ratesAt(S, L, p.threshold);
      expect(r.tar).toBeCloseTo(p.tar, 12);
      expect(r.far).toBeCloseTo(p.far, 12);
    }
  });
  it('gives TAR 0 when the top score is an impostor and FAR must be 0', () => {
    const p = tarAtFar([0.9, 0.5], [false, true], 0);
    expect(p.tar).toBe(0);
    expect(ratesAt([0.9, 0.5], [false, true], p.threshold).far).toBe(0);
  });
});

describe('ratesAt and bestAccuracyThreshold', () => {
  it('counts with score >= threshold accepted', () => {
    expect(ratesAt(S, L, 0.7)).toMatchObject({ tp: 2, fn: 1, fp: 1, tn: 2, accuracy: 4 / 6 });
    expect(ratesAt(S, L, 0.6)).toMatchObject({ tp: 3, fn: 0, fp: 1, tn: 2 });
  });
  it('picks the strictest best cut and sits halfway to the next score', () => {
    // Accuracy by cut: none 3/6, .9 4/6, .8 5/6, .7 4/6, .6 5/6, .5 4/6, .4 3/6 -> first 5/6 is at 0.8.
    const b = bestAccuracyThreshold(S, L);
    expect(b.accuracy).toBeCloseTo(5 / 6, 12);
    expect(b.threshold).toBeCloseTo(0.75, 12);
    expect(accuracyAt(S, L, b.threshold)).toBeCloseTo(5 / 6, 12);
  });
  it('can choose to accept nothing or everything', () => {
    expect(bestAccuracyThreshold([0.9, 0.1], [false, false]).threshold).toBeGreaterThan(0.9);
    const all = bestAccuracyThreshold([0.9, 0.1], [true, true]);
    expect(all.accuracy).toBe(1);
    expect(all.threshold).toBeLessThan(0.1);
  });
});

describe('kFoldAccuracy (threshold chosen on the other folds)', () => {
  it('scores each fold with the threshold of the rest', () => {
    // Fold 0: G 0.9, I 0.3.  Fold 1: G 0.55, I 0.5.
    // Fold 0 tested: trained on fold 1 -> cut at 0.55, threshold (0.55+0.5)/2 = 0.525 -> fold 0 all right.
    // Fold 1 tested: trained on fold 0 -> cut at 0.9, threshold (0.9+0.3)/2 = 0.6 -> G 0.55 rejected: 1/2.
    const scores = [0.9, 0.3, 0.55, 0.5];
    const labels = [true, false, true, false];
    const folds = [0, 0, 1, 1];
    const r = kFoldAccuracy(scores, labels, folds);
    expect(r.folds.map((f) => f.threshold)).toEqual([0.525, expect.closeTo(0.6, 12)]);
    expect(r.folds.map((f) => f.accuracy)).toEqual([1, 0.5]);
    expect(r.accuracy.mean).toBeCloseTo(0.75, 12);
    expect(r.accuracy.sd).toBeCloseTo(Math.SQRT2 / 4, 12); // sample sd of {1, 0.5}
    expect(r.accuracy.se).toBeCloseTo(0.25, 12);
    expect(accuracyWithFoldThresholds(scores, labels, folds, r)).toBeCloseTo(0.75, 12);
    // A subset is judged by its own folds' thresholds.
    expect(accuracyWithFoldThresholds([0.55], [true], [1], r)).toBe(0);
  });
  it('never uses the held-out fold to choose its threshold', () => {
    // Fold 2 is badly separated; its own best threshold would be 0.2, but folds 0-1 put it at 0.5.
    const scores = [0.8, 0.2, 0.7, 0.3, 0.4, 0.1];
    const labels = [true, false, true, false, true, false];
    const r = kFoldAccuracy(scores, labels, [0, 0, 1, 1, 2, 2]);
    expect(r.folds[2]!.threshold).toBeCloseTo(0.5, 12); // (0.7 + 0.3) / 2 on folds 0-1
    expect(r.folds[2]!.accuracy).toBe(0.5);
  });
});

describe('summarize and separability', () => {
  it('uses the sample standard deviation', () => {
    const s = summarize([1, 2, 3, 4]);
    expect(s.mean).toBe(2.5);
    expect(s.sd).toBeCloseTo(Math.sqrt(5 / 3), 12);
  });
  it('works on cosine distances', () => {
    // distances: genuine 0.1, 0.3 (mean 0.2); impostor 0.6, 1.0 (mean 0.8); ratio 4.
    const sep = separability([0.9, 0.7, 0.4, 0], [true, true, false, false]);
    expect(sep.genuine.mean).toBeCloseTo(0.2, 12);
    expect(sep.impostor.mean).toBeCloseTo(0.8, 12);
    expect(sep.ratio).toBeCloseTo(4, 12);
    expect(sep.genuine.sd).toBeCloseTo(Math.SQRT2 * 0.1, 12);
    expect(sep.impostor.sd).toBeCloseTo(Math.SQRT2 * 0.2, 12);
    expect(sep.dPrime).toBeCloseTo(0.6 / Math.sqrt((0.02 + 0.08) / 2), 12);
  });
});

describe('identification', () => {
  const gallery = new Float32Array([1, 0, 0, 0, 1, 0, 0, 0, 1]); // e1, e2, e3
  it('scores a probe against a packed gallery and ranks the true identity', () => {
    const s = scoreGallery([0.1, 0.9, 0.4], gallery, 3);
    expect(Array.from(s)).toEqual([expect.closeTo(0.1, 6), expect.closeTo(0.9, 6), expect.closeTo(0.4, 6)]);
    expect(probeOutcome(s, 1)).toMatchObject({ rank: 1, topIndex: 1, topCorrect: true });
    expect(probeOutcome(s, 2)).toMatchObject({ rank: 2, topCorrect: false });
    expect(probeOutcome(s, 0).rank).toBe(3);
    expect(probeOutcome(s, -1)).toMatchObject({ rank: undefined, topCorrect: false });
  });
  it('counts ties against the probe', () => {
    expect(probeOutcome([0.2, 0.9, 0.9], 1).rank).toBe(2);
  });
  it('computes rank-k rates', () => {
    expect(rankK([1, 1, 2, 5, 11], [1, 5, 10])).toEqual({ 1: 0.4, 5: 0.8, 10: 0.8 });
  });
  it('computes open-set DIR, FPIR and rejection', () => {
    const input = {
      mated: [
        { topScore: 0.95, topCorrect: true },
        { topScore: 0.82, topCorrect: true },
        { topScore: 0.99, topCorrect: false },
      ],
      nonMatedTop: [0.9, 0.8, 0.7, 0.6],
    };
    // FPIR 25%: one of four non-mated probes may pass, so 0.8 must be rejected: threshold 0.85.
    const p = dirAtFpir(input, 0.25);
    expect(p.threshold).toBeCloseTo(0.85, 12);
    expect(p.fpir).toBe(0.25);
    expect(p.dir).toBeCloseTo(1 / 3, 12);
    expect(dirAtFpir(input, 0).threshold).toBeGreaterThan(0.9);
    expect(dirAtFpir(input, 0).dir).toBeCloseTo(1 / 3, 12);
    const at = openSetAt(input, 0.75);
    expect(at).toMatchObject({ fpir: 0.5, rejection: 0.5 });
    expect(at.dir).toBeCloseTo(2 / 3, 12);
  });
  it('handles ties at the FPIR boundary by rejecting the whole tie', () => {
    const p = dirAtFpir({ mated: [{ topScore: 0.9, topCorrect: true }], nonMatedTop: [0.8, 0.8, 0.1, 0.1] }, 0.25);
    expect(p.fpir).toBe(0);
    expect(p.threshold).toBeGreaterThan(0.8);
  });
});
