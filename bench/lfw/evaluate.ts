/**
 * From embeddings to the report's tables. Pure (no I/O, no models): every input is a lookup from image key
 * to vector, so the tables can be recomputed from the cache in seconds.
 */
import { cosineSimilarity } from '../../models/index.js';
import { estimateYaw, poseBin, type DegradationName, type PoseBin } from './degrade.js';
import {
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
  type BestThreshold,
  type Eer,
  type OpenSetPoint,
  type Rates,
  type RocPoint,
  type Separability,
  type Summary,
  type TarAtFar,
  type TenFold,
} from './metrics.js';
import { imageKey, pairGender, personImages, type Gender, type Lfw, type Pair } from './protocol.js';

export const FAR_TARGETS = [0.1, 0.01, 0.001] as const;

/** A way of turning two images into a similarity score (higher = same person). */
export interface Scorer {
  /** Vector of an image, or undefined when it was not embedded. */
  vector(key: string): Float32Array | undefined;
  /** Whether the image fell back to the centre crop (no face found). */
  fallback(key: string): boolean;
  score(a: Float32Array, b: Float32Array): number;
}

export const cosineScore = (a: Float32Array, b: Float32Array): number => cosineSimilarity(a, b);

/** face-api's convention: Euclidean distance, lower = same. Scored as its negation. */
export const negEuclidean = (a: Float32Array, b: Float32Array): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return -Math.sqrt(s);
};

export interface PairScores {
  pairs: Pair[];
  scores: number[];
  labels: boolean[];
  folds: number[];
}

/** Scores every pair; `probe` (default: the same scorer) embeds the second image, e.g. degraded. */
export function scorePairs(pairs: readonly Pair[], scorer: Scorer, probe: Scorer = scorer): PairScores {
  const out: PairScores = { pairs: [], scores: [], labels: [], folds: [] };
  for (const p of pairs) {
    const a = scorer.vector(imageKey(p.a));
    const b = probe.vector(imageKey(p.b));
    if (!a || !b) throw new Error(`no embedding for ${!a ? imageKey(p.a) : imageKey(p.b)}`);
    out.pairs.push(p);
    out.scores.push(scorer.score(a, b));
    out.labels.push(p.same);
    out.folds.push(p.fold);
  }
  return out;
}

function subset(s: PairScores, keep: (p: Pair, i: number) => boolean): PairScores {
  const out: PairScores = { pairs: [], scores: [], labels: [], folds: [] };
  s.pairs.forEach((p, i) => {
    if (!keep(p, i)) return;
    out.pairs.push(p);
    out.scores.push(s.scores[i]!);
    out.labels.push(s.labels[i]!);
    out.folds.push(s.folds[i]!);
  });
  return out;
}

export interface Verification {
  pairs: number;
  genuine: number;
  impostor: number;
  tenFold: TenFold;
  auc: number;
  eer: Eer;
  tarAtFar: TarAtFar[];
  /** Best-accuracy threshold over all pairs (descriptive; the 10-fold figure is the protocol's). */
  best: BestThreshold;
  /** Images of these pairs that fell back to the centre crop. */
  fallbackImages: number;
  roc: RocPoint[];
}

export function verification(s: PairScores, fallbackImages = 0): Verification {
  const curve = roc(s.scores, s.labels);
  const genuine = s.labels.filter(Boolean).length;
  return {
    pairs: s.scores.length,
    genuine,
    impostor: s.scores.length - genuine,
    tenFold: kFoldAccuracy(s.scores, s.labels, s.folds),
    auc: auc(curve),
    eer: eer(curve),
    tarAtFar: FAR_TARGETS.map((t) => tarAtFar(s.scores, s.labels, t)),
    best: bestAccuracyThreshold(s.scores, s.labels),
    fallbackImages,
    roc: curve,
  };
}

function countFallbacks(pairs: readonly Pair[], isFallback: (key: string) => boolean, which: 'both' | 'b' = 'both'): number {
  const keys = new Set<string>();
  for (const p of pairs) {
    if (which === 'both') keys.add(imageKey(p.a));
    keys.add(imageKey(p.b));
  }
  let n = 0;
  for (const k of keys) if (isFallback(k)) n++;
  return n;
}

export interface SubgroupResult {
  pairs: number;
  genuine: number;
  impostor: number;
  auc: number | null;
  eer: number | null;
  /** Accuracy with each pair's fold threshold from the full 10-fold run (thresholds never saw its fold). */
  accuracy: number;
  /** TAR/FAR at the operating threshold calibrated on View 1. */
  atOperating: Rates | null;
}

export function subgroup(s: PairScores, tenFold: TenFold, operating: number | undefined): SubgroupResult {
  const genuine = s.labels.filter(Boolean).length;
  const both = genuine > 0 && genuine < s.labels.length;
  const curve = both ? roc(s.scores, s.labels) : undefined;
  return {
    pairs: s.scores.length,
    genuine,
    impostor: s.scores.length - genuine,
    auc: curve ? auc(curve) : null,
    eer: curve ? eer(curve).eer : null,
    accuracy: accuracyWithFoldThresholds(s.scores, s.labels, s.folds, tenFold),
    atOperating: operating === undefined || s.scores.length === 0 ? null : ratesAt(s.scores, s.labels, operating),
  };
}

// ---------------------------------------------------------------------------------------------------
// Calibration on View 1

export interface OperatingPoint {
  name: string;
  /** How it was chosen. */
  rule: string;
  threshold: number;
  view1: Rates;
  view2: Rates;
}

export interface Calibration {
  view1Pairs: number;
  view1Genuine: number;
  view1Impostor: number;
  points: OperatingPoint[];
  /** The strict operating point for deployments that need it: the FAR <= 0.1% point, rounded up to 3 decimals (STRICT_THRESHOLD). */
  recommended: number;
}

/** Chooses thresholds on View 1 and reports their rates on View 1 and View 2. */
export function calibrate(view1: PairScores, view2: PairScores, extra: ReadonlyArray<{ name: string; rule: string; threshold: number }> = []): Calibration {
  const curve = roc(view1.scores, view1.labels);
  const far = tarAtFar(view1.scores, view1.labels, 0.001);
  const e = eer(curve);
  const best = bestAccuracyThreshold(view1.scores, view1.labels);
  const recommended = Math.ceil(far.threshold * 1000) / 1000;
  const mk = (name: string, rule: string, threshold: number): OperatingPoint => ({
    name,
    rule,
    threshold,
    view1: ratesAt(view1.scores, view1.labels, threshold),
    view2: ratesAt(view2.scores, view2.labels, threshold),
  });
  const genuine = view1.labels.filter(Boolean).length;
  return {
    view1Pairs: view1.scores.length,
    view1Genuine: genuine,
    view1Impostor: view1.scores.length - genuine,
    points: [
      mk('FAR <= 0.1%', 'highest View 1 TAR with FAR <= 0.1% (halfway to the next lower score)', far.threshold),
      mk('strict', 'the FAR <= 0.1% threshold rounded up to 3 decimals (STRICT_THRESHOLD)', recommended),
      mk('EER', 'View 1 equal-error point (linear interpolation on the ROC)', e.threshold),
      mk('best accuracy', 'highest View 1 accuracy', best.threshold),
      ...extra.map((x) => mk(x.name, x.rule, x.threshold)),
    ],
    recommended,
  };
}

// ---------------------------------------------------------------------------------------------------
// Identification (people.txt)

export interface Identification {
  protocol: string;
  experiments: number;
  galleryPerExperiment: Summary;
  matedProbes: number;
  nonMatedProbes: number;
  /** Pooled over all experiments' mated probes. */
  rank: Record<number, number>;
  /** Rank-1 per experiment (mean, sd). */
  rank1PerExperiment: Summary;
  /** At the operating thresholds calibrated on View 1. */
  atThresholds: Array<{ name: string } & OpenSetPoint>;
  dirAtFpir: OpenSetPoint[];
}

/**
 * For each of the 10 people.txt sets: the gallery holds one image per person of the set (their first);
 * mated probes are the remaining images of the set's people; non-mated probes are every image of the next
 * set's people (absent from this gallery). Closed-set ranks come from the mated probes; the open-set
 * figures pool the mated and non-mated outcomes of all 10 experiments.
 */
export function identification(
  lfw: Lfw,
  vector: (key: string) => Float32Array | undefined,
  dims: number,
  thresholds: ReadonlyArray<{ name: string; threshold: number }>,
): Identification {
  const sets = lfw.peopleSets;
  const ranks: number[] = [];
  const rank1s: number[] = [];
  const mated: Array<{ topScore: number; topCorrect: boolean }> = [];
  const nonMatedTop: number[] = [];
  const gallerySizes: number[] = [];
  const need = (key: string): Float32Array => {
    const v = vector(key);
    if (!v) throw new Error(`identification: no embedding for ${key}`);
    return v;
  };
  for (let s = 0; s < sets.length; s++) {
    const people = sets[s]!;
    const gallery = new Float32Array(people.length * dims);
    people.forEach((p, j) => gallery.set(need(imageKey({ name: p.name, index: 1 })), j * dims));
    gallerySizes.push(people.length);
    const expRanks: number[] = [];
    people.forEach((p, j) => {
      for (const ref of personImages(p).slice(1)) {
        const o = probeOutcome(scoreGallery(need(imageKey(ref)), gallery, dims), j);
        expRanks.push(o.rank!);
        mated.push({ topScore: o.topScore, topCorrect: o.topCorrect });
      }
    });
    for (const p of sets[(s + 1) % sets.length]!) {
      for (const ref of personImages(p)) nonMatedTop.push(probeOutcome(scoreGallery(need(imageKey(ref)), gallery, dims), -1).topScore);
    }
    ranks.push(...expRanks);
    rank1s.push(rankK(expRanks, [1])[1]!);
  }
  const input = { mated, nonMatedTop };
  return {
    protocol:
      'people.txt, 10 experiments: gallery = first image of each person in set k; mated probes = their other images; non-mated probes = every image of set k+1',
    experiments: sets.length,
    galleryPerExperiment: summarize(gallerySizes),
    matedProbes: mated.length,
    nonMatedProbes: nonMatedTop.length,
    rank: rankK(ranks, [1, 5, 10]),
    rank1PerExperiment: summarize(rank1s),
    atThresholds: thresholds.map((t) => ({ name: t.name, ...openSetAt(input, t.threshold) })),
    dirAtFpir: [0.001, 0.01, 0.1].map((f) => dirAtFpir(input, f)),
  };
}

// ---------------------------------------------------------------------------------------------------
// Pose and gender subsets

export interface PoseResult {
  bin: PoseBin | 'no face';
  result: SubgroupResult;
}

/** Pairs binned by the larger absolute yaw of their two images (from the clean detections). */
export function poseBins(
  s: PairScores,
  landmarksOf: (key: string) => Parameters<typeof estimateYaw>[0] | undefined,
  tenFold: TenFold,
  operating: number | undefined,
): { bins: PoseResult[]; yawSummary: Summary } {
  const yawOf = new Map<string, number | undefined>();
  const yaw = (key: string): number | undefined => {
    if (!yawOf.has(key)) {
      const l = landmarksOf(key);
      yawOf.set(key, l ? Math.abs(estimateYaw(l)) : undefined);
    }
    return yawOf.get(key);
  };
  const binOf = (p: Pair): PoseBin | 'no face' => {
    const a = yaw(imageKey(p.a));
    const b = yaw(imageKey(p.b));
    return a === undefined || b === undefined ? 'no face' : poseBin(Math.max(a, b));
  };
  const order: Array<PoseBin | 'no face'> = ['frontal', '15-45', '>45', 'no face'];
  const bins = order
    .map((bin) => ({ bin, result: subgroup(subset(s, (p) => binOf(p) === bin), tenFold, operating) }))
    .filter((b) => b.result.pairs > 0);
  const yaws = [...yawOf.values()].filter((v): v is number => v !== undefined);
  return { bins, yawSummary: summarize(yaws) };
}

export function byGender(
  s: PairScores,
  labels: Map<string, Gender>,
  tenFold: TenFold,
  operating: number | undefined,
): { female: SubgroupResult; male: SubgroupResult; unlabelledOrMixed: number } {
  const g = s.pairs.map((p) => pairGender(p, labels));
  return {
    female: subgroup(subset(s, (_, i) => g[i] === 'female'), tenFold, operating),
    male: subgroup(subset(s, (_, i) => g[i] === 'male'), tenFold, operating),
    unlabelledOrMixed: g.filter((x) => x === undefined).length,
  };
}

// ---------------------------------------------------------------------------------------------------
// Robustness

export interface RobustnessRow {
  condition: DegradationName | 'clean';
  description: string;
  verification: Omit<Verification, 'roc'>;
  /** Degraded probe images where no face was found (centre-crop fallback). */
  probeFallbacks: number;
  probes: number;
  atOperating: Rates | null;
  roc: RocPoint[];
}

export function robustnessRow(
  condition: DegradationName | 'clean',
  description: string,
  s: PairScores,
  probeFallback: (key: string) => boolean,
  operating: number | undefined,
): RobustnessRow {
  const { roc: curve, ...v } = verification(s);
  return {
    condition,
    description,
    verification: v,
    probeFallbacks: countFallbacks(s.pairs, probeFallback, 'b'),
    probes: new Set(s.pairs.map((p) => imageKey(p.b))).size,
    atOperating: operating === undefined ? null : ratesAt(s.scores, s.labels, operating),
    roc: curve,
  };
}

export { countFallbacks, subset };

/** Median, 90th percentile and mean of a list of milliseconds. */
export function latencySummary(ms: readonly number[]): { n: number; median: number; p90: number; mean: number } {
  const s = [...ms].sort((a, b) => a - b);
  const q = (f: number): number => (s.length ? s[Math.min(s.length - 1, Math.floor(f * s.length))]! : NaN);
  return { n: s.length, median: q(0.5), p90: q(0.9), mean: s.length ? s.reduce((a, b) => a + b, 0) / s.length : NaN };
}

export { separability, type Separability };
