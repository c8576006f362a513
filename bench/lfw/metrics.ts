/**
 * Verification and identification metrics, tensor-free and pure.
 *
 * Conventions used throughout:
 * - A score is a similarity: higher means "more likely the same person" (cosine similarity for our
 *   pipeline; the negated Euclidean distance for face-api). A pair is accepted when `score >= threshold`.
 * - `labels[i]` is true for a genuine (same person) pair and false for an impostor pair.
 * - TAR = accepted genuine / genuine, FAR = accepted impostors / impostors, FRR = 1 - TAR.
 * - Thresholds chosen from data sit halfway between two adjacent distinct scores (the widest margin that
 *   gives the same counts on that data), so they do not sit exactly on a training score.
 */

export interface RocPoint {
  /** Lowest accepted score at this point (+Infinity for the first point, where nothing is accepted). */
  threshold: number;
  far: number;
  tar: number;
}

/** Counts at one threshold. */
export interface Rates {
  threshold: number;
  tp: number;
  fn: number;
  fp: number;
  tn: number;
  tar: number;
  far: number;
  frr: number;
  accuracy: number;
}

function checkInputs(scores: ArrayLike<number>, labels: ArrayLike<boolean>): { p: number; n: number } {
  if (scores.length !== labels.length) throw new Error(`scores (${scores.length}) and labels (${labels.length}) differ in length`);
  let p = 0;
  for (let i = 0; i < labels.length; i++) {
    if (Number.isNaN(scores[i]!)) throw new Error(`score ${i} is NaN`);
    if (labels[i]) p++;
  }
  return { p, n: labels.length - p };
}

/** Indices sorted by score, highest first. */
function descending(scores: ArrayLike<number>): number[] {
  const idx = Array.from({ length: scores.length }, (_, i) => i);
  idx.sort((i, j) => scores[j]! - scores[i]!);
  return idx;
}

interface Cut {
  /** Lowest accepted score (every score >= value is accepted). */
  value: number;
  /** Next lower distinct score, or -Infinity when this cut accepts everything. */
  below: number;
  tp: number;
  fp: number;
}

/**
 * The sorted-threshold sweep: one cut per distinct score, highest first, each accepting every score >= it.
 * Tied scores are always accepted together, so ties produce one (diagonal) ROC step, never an optimistic
 * or pessimistic ordering.
 */
function cuts(scores: ArrayLike<number>, labels: ArrayLike<boolean>): Cut[] {
  const order = descending(scores);
  const out: Cut[] = [];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < order.length; ) {
    const value = scores[order[k]!]!;
    while (k < order.length && scores[order[k]!]! === value) {
      if (labels[order[k]!]) tp++;
      else fp++;
      k++;
    }
    const below = k < order.length ? scores[order[k]!]! : -Infinity;
    out.push({ value, below, tp, fp });
  }
  return out;
}

function midpoint(hi: number, lo: number): number {
  if (hi === Infinity) return lo + Math.max(1e-6, Math.abs(lo) * 1e-9);
  if (lo === -Infinity) return hi - Math.max(1e-6, Math.abs(hi) * 1e-9);
  return (hi + lo) / 2;
}

/**
 * ROC curve: (FAR, TAR) at every distinct score used as threshold, from (0, 0) (threshold +Infinity,
 * nothing accepted) to (1, 1) (everything accepted). FAR is non-decreasing along the array.
 */
export function roc(scores: ArrayLike<number>, labels: ArrayLike<boolean>): RocPoint[] {
  const { p, n } = checkInputs(scores, labels);
  if (p === 0 || n === 0) throw new Error(`ROC needs both genuine and impostor pairs (got ${p} and ${n})`);
  const pts: RocPoint[] = [{ threshold: Infinity, far: 0, tar: 0 }];
  for (const c of cuts(scores, labels)) pts.push({ threshold: c.value, far: c.fp / n, tar: c.tp / p });
  return pts;
}

/** Area under the ROC curve by the trapezoid rule (equals the Mann-Whitney U statistic with ties as 1/2). */
export function auc(curve: readonly RocPoint[]): number {
  let area = 0;
  for (let i = 1; i < curve.length; i++) {
    const a = curve[i - 1]!;
    const b = curve[i]!;
    area += ((b.far - a.far) * (b.tar + a.tar)) / 2;
  }
  return area;
}

export interface Eer {
  /** Equal error rate: where FAR = FRR on the piecewise-linear ROC. */
  eer: number;
  /** Score threshold at that point, interpolated linearly between the two bracketing ROC thresholds. */
  threshold: number;
}

/**
 * Equal error rate. Walking the ROC from the strict end, FAR rises and FRR = 1 - TAR falls; the first
 * segment where FAR - FRR changes sign from negative to non-negative is interpolated linearly.
 */
export function eer(curve: readonly RocPoint[]): Eer {
  for (let i = 1; i < curve.length; i++) {
    const a = curve[i - 1]!;
    const b = curve[i]!;
    const da = a.far - (1 - a.tar);
    const db = b.far - (1 - b.tar);
    if (da < 0 && db >= 0) {
      const t = -da / (db - da);
      const rate = a.far + t * (b.far - a.far);
      const threshold = Number.isFinite(a.threshold) ? a.threshold + t * (b.threshold - a.threshold) : b.threshold;
      return { eer: rate, threshold };
    }
  }
  // Unreachable for a valid ROC (it starts at FAR-FRR = -1 and ends at +1).
  throw new Error('EER: the ROC never crosses FAR = FRR');
}

export interface TarAtFar {
  /** Requested FAR ceiling. */
  target: number;
  /** Highest TAR among ROC points with FAR <= target. */
  tar: number;
  /** FAR actually achieved at that point (<= target). */
  far: number;
  /**
   * A threshold that reproduces this point on the data: halfway between the lowest accepted score and the
   * next lower score (+Infinity-side margin when nothing can be accepted).
   */
  threshold: number;
}

/** TAR at a FAR ceiling: the highest TAR with FAR <= target (no interpolation between ROC points). */
export function tarAtFar(scores: ArrayLike<number>, labels: ArrayLike<boolean>, target: number): TarAtFar {
  const { p, n } = checkInputs(scores, labels);
  if (p === 0 || n === 0) throw new Error('TAR@FAR needs both genuine and impostor pairs');
  const cs = cuts(scores, labels);
  let best: TarAtFar = { target, tar: 0, far: 0, threshold: midpoint(Infinity, cs[0]!.value) };
  for (const c of cs) {
    if (c.fp / n > target) break;
    best = { target, tar: c.tp / p, far: c.fp / n, threshold: midpoint(c.value, c.below) };
  }
  return best;
}

/** Counts and rates when accepting `score >= threshold`. */
export function ratesAt(scores: ArrayLike<number>, labels: ArrayLike<boolean>, threshold: number): Rates {
  checkInputs(scores, labels);
  let tp = 0;
  let fn = 0;
  let fp = 0;
  let tn = 0;
  for (let i = 0; i < scores.length; i++) {
    const accept = scores[i]! >= threshold;
    if (labels[i]) {
      if (accept) tp++;
      else fn++;
    } else if (accept) fp++;
    else tn++;
  }
  const p = tp + fn;
  const n = fp + tn;
  return {
    threshold,
    tp,
    fn,
    fp,
    tn,
    tar: p ? tp / p : NaN,
    far: n ? fp / n : NaN,
    frr: p ? fn / p : NaN,
    accuracy: scores.length ? (tp + tn) / scores.length : NaN,
  };
}

export function accuracyAt(scores: ArrayLike<number>, labels: ArrayLike<boolean>, threshold: number): number {
  return ratesAt(scores, labels, threshold).accuracy;
}

export interface BestThreshold {
  threshold: number;
  accuracy: number;
}

/**
 * The threshold of highest accuracy on these pairs. Every cut of the sorted scores is tried (including
 * "accept nothing"); among equally accurate cuts the strictest (highest) one wins; the returned threshold
 * is halfway between the lowest accepted score and the next lower one.
 */
export function bestAccuracyThreshold(scores: ArrayLike<number>, labels: ArrayLike<boolean>): BestThreshold {
  const { p, n } = checkInputs(scores, labels);
  const total = p + n;
  if (total === 0) throw new Error('best threshold of an empty set');
  const cs = cuts(scores, labels);
  // Accept nothing: every impostor is right.
  let best: BestThreshold = { threshold: midpoint(Infinity, cs[0]!.value), accuracy: n / total };
  for (const c of cs) {
    const acc = (c.tp + (n - c.fp)) / total;
    if (acc > best.accuracy) best = { threshold: midpoint(c.value, c.below), accuracy: acc };
  }
  return best;
}

export interface Summary {
  n: number;
  mean: number;
  /** Sample standard deviation (n - 1 in the denominator), as in the LFW protocol's sigma-hat. */
  sd: number;
  /** Standard error of the mean, sd / sqrt(n). */
  se: number;
}

export function summarize(values: ArrayLike<number>): Summary {
  const n = values.length;
  if (n === 0) return { n: 0, mean: NaN, sd: NaN, se: NaN };
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i]!;
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (values[i]! - mean) ** 2;
  const sd = n > 1 ? Math.sqrt(ss / (n - 1)) : 0;
  return { n, mean, sd, se: sd / Math.sqrt(n) };
}

export interface FoldResult {
  fold: number;
  /** Threshold chosen on the other folds. */
  threshold: number;
  /** Accuracy of that threshold on this fold. */
  accuracy: number;
  /** Accuracy of the chosen threshold on the folds it was chosen on. */
  trainAccuracy: number;
}

export interface TenFold {
  folds: FoldResult[];
  /** Mean, sd and standard error of the per-fold accuracies. */
  accuracy: Summary;
  /** Mean and sd of the per-fold thresholds. */
  threshold: Summary;
}

/**
 * The LFW protocol: for each fold, the best-accuracy threshold is chosen on the other folds and scored on
 * the held-out fold; the result is the mean and sd of the per-fold accuracies. `folds[i]` is pair i's fold.
 */
export function kFoldAccuracy(scores: ArrayLike<number>, labels: ArrayLike<boolean>, folds: ArrayLike<number>): TenFold {
  checkInputs(scores, labels);
  if (folds.length !== scores.length) throw new Error('folds and scores differ in length');
  const ids = [...new Set(Array.from(folds))].sort((a, b) => a - b);
  if (ids.length < 2) throw new Error('k-fold accuracy needs at least 2 folds');
  const results: FoldResult[] = [];
  for (const f of ids) {
    const trS: number[] = [];
    const trL: boolean[] = [];
    const teS: number[] = [];
    const teL: boolean[] = [];
    for (let i = 0; i < scores.length; i++) {
      if (folds[i] === f) {
        teS.push(scores[i]!);
        teL.push(labels[i]!);
      } else {
        trS.push(scores[i]!);
        trL.push(labels[i]!);
      }
    }
    const best = bestAccuracyThreshold(trS, trL);
    results.push({ fold: f, threshold: best.threshold, accuracy: accuracyAt(teS, teL, best.threshold), trainAccuracy: best.accuracy });
  }
  return {
    folds: results,
    accuracy: summarize(results.map((r) => r.accuracy)),
    threshold: summarize(results.map((r) => r.threshold)),
  };
}

/**
 * Accuracy of pairs scored with their own fold's threshold from `kFoldAccuracy` (for subsets such as one
 * gender or one pose bin, so every pair is judged by a threshold that never saw its fold).
 */
export function accuracyWithFoldThresholds(
  scores: ArrayLike<number>,
  labels: ArrayLike<boolean>,
  folds: ArrayLike<number>,
  tenFold: TenFold,
): number {
  const th = new Map(tenFold.folds.map((f) => [f.fold, f.threshold]));
  let right = 0;
  for (let i = 0; i < scores.length; i++) {
    const t = th.get(folds[i]!);
    if (t === undefined) throw new Error(`no threshold for fold ${folds[i]}`);
    if ((scores[i]! >= t) === labels[i]) right++;
  }
  return scores.length ? right / scores.length : NaN;
}

export interface Separability {
  genuine: { n: number; mean: number; sd: number };
  impostor: { n: number; mean: number; sd: number };
  /** impostor mean distance / genuine mean distance (the paper's "ratio"). */
  ratio: number;
  /** Decidability index d' = |mu_i - mu_g| / sqrt((sd_g^2 + sd_i^2) / 2). */
  dPrime: number;
}

/** Statistics of cosine distance (1 - cosine similarity) for genuine and impostor pairs. */
export function separability(similarities: ArrayLike<number>, labels: ArrayLike<boolean>): Separability {
  checkInputs(similarities, labels);
  const g: number[] = [];
  const im: number[] = [];
  for (let i = 0; i < similarities.length; i++) (labels[i] ? g : im).push(1 - similarities[i]!);
  const sg = summarize(g);
  const si = summarize(im);
  return {
    genuine: { n: sg.n, mean: sg.mean, sd: sg.sd },
    impostor: { n: si.n, mean: si.mean, sd: si.sd },
    ratio: si.mean / sg.mean,
    dPrime: Math.abs(si.mean - sg.mean) / Math.sqrt((sg.sd ** 2 + si.sd ** 2) / 2),
  };
}

// ---------------------------------------------------------------------------------------------------
// Identification

/** Dot product of two equal-length vectors (cosine similarity for unit vectors). */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Scores of one probe against every gallery entry; the gallery is packed row-major (G x dims). */
export function scoreGallery(probe: ArrayLike<number>, gallery: Float32Array, dims: number): Float64Array {
  const g = gallery.length / dims;
  const out = new Float64Array(g);
  for (let j = 0; j < g; j++) {
    let s = 0;
    const o = j * dims;
    for (let d = 0; d < dims; d++) s += probe[d]! * gallery[o + d]!;
    out[j] = s;
  }
  return out;
}

export interface ProbeOutcome {
  /** 1-based rank of the true identity, or undefined for a probe whose identity is not enrolled. */
  rank: number | undefined;
  /** Highest gallery score and its gallery index. */
  topScore: number;
  topIndex: number;
  /** Whether the top gallery entry is the probe's identity. */
  topCorrect: boolean;
}

/**
 * Scores one probe: rank of its true gallery entry (`trueIndex`, or -1 when not enrolled) and the top
 * match. Ties are counted against the probe: rank = 1 + number of other entries scoring >= the true one.
 */
export function probeOutcome(scores: ArrayLike<number>, trueIndex: number): ProbeOutcome {
  let topScore = -Infinity;
  let topIndex = -1;
  for (let j = 0; j < scores.length; j++) {
    if (scores[j]! > topScore) {
      topScore = scores[j]!;
      topIndex = j;
    }
  }
  let rank: number | undefined;
  if (trueIndex >= 0) {
    const t = scores[trueIndex]!;
    rank = 1;
    for (let j = 0; j < scores.length; j++) if (j !== trueIndex && scores[j]! >= t) rank++;
  }
  return { rank, topScore, topIndex, topCorrect: trueIndex >= 0 && rank === 1 };
}

/** Cumulative match characteristic: the fraction of ranked probes with rank <= k, for each k. */
export function rankK(ranks: ArrayLike<number>, ks: readonly number[]): Record<number, number> {
  const out: Record<number, number> = {};
  for (const k of ks) {
    let hit = 0;
    for (let i = 0; i < ranks.length; i++) if (ranks[i]! <= k) hit++;
    out[k] = ranks.length ? hit / ranks.length : NaN;
  }
  return out;
}

export interface OpenSetPoint {
  /** Requested FPIR ceiling (absent for a fixed-threshold point). */
  targetFpir?: number;
  threshold: number;
  /** Non-mated probes whose top score reaches the threshold / non-mated probes. */
  fpir: number;
  /** Mated probes identified at rank 1 with a top score reaching the threshold / mated probes. */
  dir: number;
  /** Non-mated probes rejected (top score below threshold) / non-mated probes = 1 - FPIR. */
  rejection: number;
}

export interface OpenSetInput {
  /** Mated probes (identity enrolled): top score and whether the top entry is theirs. */
  mated: ReadonlyArray<{ topScore: number; topCorrect: boolean }>;
  /** Non-mated probes (identity not enrolled): their top gallery score. */
  nonMatedTop: ArrayLike<number>;
}

/** Open-set identification at a fixed threshold: a probe is "identified" when its top score >= threshold. */
export function openSetAt(input: OpenSetInput, threshold: number): OpenSetPoint {
  const { mated, nonMatedTop } = input;
  let dirHits = 0;
  for (const m of mated) if (m.topCorrect && m.topScore >= threshold) dirHits++;
  let fp = 0;
  for (let i = 0; i < nonMatedTop.length; i++) if (nonMatedTop[i]! >= threshold) fp++;
  const fpir = nonMatedTop.length ? fp / nonMatedTop.length : NaN;
  return { threshold, fpir, dir: mated.length ? dirHits / mated.length : NaN, rejection: 1 - fpir };
}

/**
 * DIR at an FPIR ceiling: the lowest threshold (halfway between distinct non-mated top scores) at which
 * at most floor(target * N) non-mated probes are accepted.
 */
export function dirAtFpir(input: OpenSetInput, target: number): OpenSetPoint {
  const s = Array.from(input.nonMatedTop).sort((a, b) => b - a);
  if (s.length === 0) throw new Error('DIR at FPIR needs non-mated probes');
  const allowed = Math.floor(target * s.length + 1e-9);
  let threshold: number;
  if (allowed >= s.length) threshold = -Infinity;
  else {
    // Must reject s[allowed] and everything tied with it: sit halfway to the next higher distinct score.
    const v = s[allowed]!;
    let k = allowed;
    while (k > 0 && s[k - 1]! === v) k--;
    threshold = k === 0 ? midpoint(Infinity, v) : (s[k - 1]! + v) / 2;
  }
  return { targetFpir: target, ...openSetAt(input, threshold) };
}

/** The tuning scripts' one-line summary of a score set: AUC, best accuracy and its threshold, EER, TAR at FAR 0.1%. */
export function summaryLine(scores: ArrayLike<number>, labels: ArrayLike<boolean>): string {
  const curve = roc(scores, labels);
  const best = bestAccuracyThreshold(scores, labels);
  return `AUC ${auc(curve).toFixed(5)}  best acc ${(best.accuracy * 100).toFixed(2)}% at ${best.threshold.toFixed(4)}  EER ${(eer(curve).eer * 100).toFixed(2)}%  TAR@0.1% ${(tarAtFar(scores, labels, 0.001).tar * 100).toFixed(2)}%`;
}
