import { describe, expect, it } from 'vitest';
import { byGender, calibrate, identification, negEuclidean, poseBins, scorePairs, verification, type PairScores } from '../../bench/lfw/evaluate.js';
import { kFoldAccuracy } from '../../bench/lfw/metrics.js';
import type { Lfw, Pair } from '../../bench/lfw/protocol.js';

/** A unit vector along axis i of `dims`, nudged by `noise` along axis j. */
function vec(dims: number, i: number, noise = 0, j = (i + 1) % dims): Float32Array {
  const v = new Float32Array(dims);
  v[i] = 1;
  v[j]! += noise;
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

function pair(a: string, ai: number, b: string, bi: number, fold: number): Pair {
  return { a: { name: a, index: ai }, b: { name: b, index: bi }, same: a === b, fold };
}

describe('scorePairs and verification', () => {
  const vectors = new Map([
    ['A_0001', vec(4, 0)],
    ['A_0002', vec(4, 0, 0.1)],
    ['B_0001', vec(4, 1)],
    ['B_0002', vec(4, 1, 0.2)],
    ['C_0001', vec(4, 2)],
  ]);
  const scorer = { vector: (k: string) => vectors.get(k), fallback: () => false, score: (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0) };
  const pairs = [pair('A', 1, 'A', 2, 0), pair('A', 1, 'C', 1, 0), pair('B', 1, 'B', 2, 1), pair('B', 1, 'C', 1, 1)];

  it('scores pairs in order and separates these perfectly', () => {
    const s = scorePairs(pairs, scorer);
    expect(s.labels).toEqual([true, false, true, false]);
    expect(s.folds).toEqual([0, 0, 1, 1]);
    expect(s.scores[1]).toBeCloseTo(0, 6);
    const v = verification(s);
    expect(v.auc).toBe(1);
    expect(v.eer.eer).toBe(0);
    expect(v.tenFold.accuracy.mean).toBe(1);
  });
  it('refuses a pair with a missing embedding', () => {
    expect(() => scorePairs([pair('A', 1, 'Z', 1, 0)], scorer)).toThrow(/Z_0001/);
  });
  it('negates Euclidean distance so that higher means more alike', () => {
    expect(negEuclidean(new Float32Array([0, 0]), new Float32Array([3, 4]))).toBe(-5);
  });
});

describe('calibrate', () => {
  it('chooses thresholds on View 1 and only reports View 2', () => {
    // View 1: genuine 0.9 0.8 0.7 ... impostor 0.6 0.5 ...; View 2 deliberately different.
    const v1: PairScores = { pairs: [], scores: [0.9, 0.8, 0.7, 0.6, 0.5, 0.4], labels: [true, true, true, false, false, false], folds: [0, 0, 0, 0, 0, 0] };
    const v2: PairScores = { pairs: [], scores: [0.66, 0.64, 0.2, 0.1], labels: [true, false, true, false], folds: [0, 0, 0, 0] };
    const c = calibrate(v1, v2, [{ name: 'x', rule: 'fixed', threshold: 0.5 }]);
    const far = c.points.find((p) => p.name === 'FAR <= 0.1%')!;
    expect(far.threshold).toBeCloseTo(0.65, 12); // halfway between 0.7 (last genuine) and 0.6
    expect(c.recommended).toBe(0.65);
    expect(far.view1).toMatchObject({ tar: 1, far: 0 });
    expect(far.view2).toMatchObject({ tar: 0.5, far: 0 });
    expect(c.points.find((p) => p.name === 'x')!.view2.far).toBe(0.5);
    expect(c.points.find((p) => p.name === 'EER')!.view1.accuracy).toBe(1);
  });
});

describe('identification (people sets)', () => {
  // Two sets of two people; every image of person p is near axis p.
  const people = [
    [
      { name: 'P0', count: 3 },
      { name: 'P1', count: 1 },
    ],
    [
      { name: 'P2', count: 2 },
      { name: 'P3', count: 1 },
    ],
  ];
  const axis: Record<string, number> = { P0: 0, P1: 1, P2: 2, P3: 3 };
  const lfw = { peopleSets: people } as unknown as Lfw;
  const vector = (key: string): Float32Array => {
    const name = key.replace(/_\d{4}$/, '');
    const index = Number(key.slice(-4));
    return vec(6, axis[name]!, index === 1 ? 0 : 0.3, 5);
  };

  it('ranks mated probes against their set and scores the next set as non-mated', () => {
    const id = identification(lfw, vector, 6, [{ name: 'op', threshold: 0.9 }]);
    // Mated: P0_0002, P0_0003 (set 0), P2_0002 (set 1). Non-mated: set 1 (3 images) against set 0, set 0 (4) against set 1.
    expect(id.matedProbes).toBe(3);
    expect(id.nonMatedProbes).toBe(7);
    expect(id.rank[1]).toBe(1);
    // Mated top scores are cos(atan 0.3) ~ 0.958 >= 0.9; non-mated are orthogonal (0): all rejected.
    expect(id.atThresholds[0]).toMatchObject({ dir: 1, fpir: 0, rejection: 1 });
  });
});

describe('subsets', () => {
  const pairs = [pair('A', 1, 'A', 2, 0), pair('A', 1, 'B', 1, 0), pair('C', 1, 'C', 2, 1), pair('C', 1, 'B', 1, 1)];
  const s: PairScores = { pairs, scores: [0.9, 0.2, 0.8, 0.3], labels: [true, false, true, false], folds: [0, 0, 1, 1] };
  const tenFold = kFoldAccuracy(s.scores, s.labels, s.folds);

  it('splits by gender label, excluding mixed pairs', () => {
    const labels = new Map<string, 'female' | 'male'>([
      ['A_0001', 'female'],
      ['A_0002', 'female'],
      ['B_0001', 'male'],
      ['C_0001', 'male'],
      ['C_0002', 'male'],
    ]);
    const g = byGender(s, labels, tenFold, 0.5);
    expect(g.female.pairs).toBe(1);
    expect(g.male.pairs).toBe(2);
    expect(g.unlabelledOrMixed).toBe(1);
    expect(g.male.auc).toBe(1);
    expect(g.female.auc).toBeNull();
  });

  it('bins pairs by the larger yaw and keeps faceless images apart', () => {
    const frontal = { leftEye: { x: 100, y: 100 }, rightEye: { x: 150, y: 100 }, nose: { x: 125, y: 125 }, mouthLeft: { x: 105, y: 150 }, mouthRight: { x: 145, y: 150 } };
    const turned = { ...frontal, nose: { x: 140, y: 125 } }; // a = 0.6 -> atan(0.72) ~ 36 degrees
    const lm = (k: string) => (k === 'B_0001' ? undefined : k === 'C_0002' ? turned : frontal);
    const { bins } = poseBins(s, lm, tenFold, 0.5);
    expect(bins.map((b) => [b.bin, b.result.pairs])).toEqual([
      ['frontal', 1],
      ['15-45', 1],
      ['no face', 2],
    ]);
  });
});
