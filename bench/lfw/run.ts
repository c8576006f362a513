/**
 * `npm run eval -- lfw`: embeds what the evaluation needs (cached), computes every table and writes
 * report.md, report.json and the plots.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_THRESHOLD, type BackendRequest } from '../../models/index.js';
import { DEGRADATIONS, type DegradationName } from './degrade.js';
import { apiScore, embedThroughApi, type ApiStore } from './api.js';
import { embedOurs, embedPeer, repoRoot, type CacheTiming, type OursStore, type PeerStore } from './embed.js';
import {
  byGender,
  calibrate,
  cosineScore,
  countFallbacks,
  identification,
  latencySummary,
  negEuclidean,
  poseBins,
  robustnessRow,
  scorePairs,
  separability,
  verification,
  type Calibration,
  type Identification,
  type PoseResult,
  type RobustnessRow,
  type Scorer,
  type Verification,
} from './evaluate.js';
import { histogramSvg, PALETTE, rocSvg, writeSvgPng } from './plots.js';
import { formatDuration } from './progress.js';
import { imageKey, loadLfw, pairImageKeys, personImages, type Pair } from './protocol.js';
import { renderMarkdown } from './report.js';
import { ratesAt, type Rates, type Separability, type Summary } from './metrics.js';

export type Section = 'ablation' | 'robustness' | 'identification' | 'fairness';
export const SECTIONS: readonly Section[] = ['ablation', 'robustness', 'identification', 'fairness'];

export interface LfwOptions {
  dataDir: string;
  outDir: string;
  /** Embedding cache root; undefined = no cache. */
  cacheDir: string | undefined;
  workers: number;
  backend: BackendRequest;
  peer: 'face-api' | undefined;
  /** View 2 folds to evaluate (0-based); default all 10. */
  folds?: readonly number[];
  skip: ReadonlySet<Section>;
  conditions: readonly DegradationName[];
  quiet?: boolean;
}

type Ver = Omit<Verification, 'roc'>;

export interface LfwReport {
  generatedAt: string;
  machine: { cpu: string; cores: number; memoryGiB: number; platform: string; node: string };
  options: { dataDir: string; workers: number; backend: string; peer: string | null; folds: number[]; skipped: Section[]; conditions: string[] };
  timing: {
    totalSeconds: number;
    /** The API path (bench/lfw/api.ts): every headline table. */
    apiSeconds: number;
    apiImagesComputed: number;
    /** Ablation crops and degraded probes (bench/lfw/embed-worker.ts). */
    oursSeconds: number;
    oursImagesComputed: number;
    peerSeconds: number;
    peerImagesComputed: number;
    evaluationSeconds: number;
    /** Time spent filling the embedding caches, over every run that computed into them. */
    oursCache: CacheTiming | null;
    peerCache: CacheTiming | null;
  };
  ours: {
    model: string;
    backend: string;
    template: ReadonlyArray<{ x: number; y: number }>;
    cacheDir: string;
    imagesEmbedded: number;
    /** Images the API answered NO_FACE for (their pairs count as non-matches). */
    noFaceImages: { all: number; view2: number; view1: number };
    /** View 2 images where the API's default (PROMINENT) face is not the largest face. */
    subjectNotLargest: number;
    /** View 2 images whose face choice the API flagged as ambiguous. */
    ambiguousImages: number;
    faceSelection: string;
    serviceDefaultThreshold: number;
  };
  verification: { ours: Ver; oursLargest: Ver; peer: Ver | null };
  separability: { ours: Separability; box: Separability | null; centre: Separability | null; peerCosine: Separability | null };
  ablation: Array<{ crop: 'aligned' | 'box' | 'centre'; description: string; verification: Ver }> | null;
  robustness: { rows: Array<Omit<RobustnessRow, 'roc'>>; pose: { bins: PoseResult[]; yawSummary: Summary } } | null;
  identification: Identification | null;
  fairness: { ours: ReturnType<typeof byGender>; peer: ReturnType<typeof byGender> | null } | null;
  calibration: Calibration;
  peerOperating: { threshold: number; rule: string; view2: Rates } | null;
  latency: {
    ours: Record<'decode' | 'detect' | 'align' | 'embed' | 'total', ReturnType<typeof latencySummary>>;
    peer: Record<'decode' | 'total', ReturnType<typeof latencySummary>> | null;
    note: string;
  };
  peer: { package: string; version: string; backend: string; tfjs: string; noFaceImages: number; imagesEmbedded: number } | null;
  plots: string[];
}

/** Identification wants a vector per image: an image without a face gets a zero vector (it matches nobody). */
function embeddingOrZero(store: ApiStore, key: string, dims: number): Float32Array | undefined {
  const r = store.records.get(key);
  if (!r) return undefined;
  return r.embedding.length ? r.embedding : new Float32Array(dims);
}

function oursScorer(store: OursStore, variant: 'box' | 'centre'): Scorer {
  const m = store[variant];
  return {
    vector: (k) => m.get(k)?.embedding,
    fallback: (k) => m.get(k)?.fallback ?? false,
    score: cosineScore,
  };
}

/** What the API answers with its default arguments (bench/lfw/api.ts). */
function apiScorer(store: ApiStore): Scorer {
  return {
    vector: (k) => store.records.get(k)?.embedding,
    fallback: (k) => store.records.get(k)?.face === null,
    score: apiScore,
  };
}

/** Comparison row: the API asked for the largest face (`face: { rule: LARGEST }`). */
function largestScorer(store: ApiStore): Scorer {
  return {
    vector: (k) => {
      const r = store.records.get(k);
      return r?.largest?.embedding ?? r?.embedding;
    },
    fallback: (k) => store.records.get(k)?.face === null,
    score: apiScore,
  };
}

function peerScorer(store: PeerStore, score = negEuclidean): Scorer {
  return {
    vector: (k) => store.records.get(k)?.descriptor,
    fallback: (k) => store.records.get(k)?.fallback ?? false,
    score,
  };
}

function strip<T extends { roc: unknown }>(v: T): Omit<T, 'roc'> {
  const { roc: _roc, ...rest } = v;
  return rest;
}

function log(quiet: boolean | undefined, msg: string): void {
  if (!quiet) process.stderr.write(`${msg}\n`);
}

export async function runLfw(o: LfwOptions): Promise<LfwReport> {
  const t0 = performance.now();
  const lfw = loadLfw(o.dataDir);
  const folds = [...(o.folds ?? Array.from({ length: lfw.view2.folds }, (_, i) => i))].sort((a, b) => a - b);
  const v2: Pair[] = lfw.view2.pairs.filter((p) => folds.includes(p.fold));
  const v1: Pair[] = [...lfw.devTrain.pairs, ...lfw.devTest.pairs];
  const v2Keys = pairImageKeys(v2);
  const v1Keys = pairImageKeys(v1);
  const doId = !o.skip.has('identification');
  const idKeys = doId ? lfw.names.flatMap(personImages).map(imageKey) : [];
  const probeKeys = [...new Set(v2.map((p) => imageKey(p.b)))];
  const conditions = o.skip.has('robustness') ? [] : o.conditions;

  log(o.quiet, `LFW: ${v2.length} View 2 pairs (folds ${folds.map((f) => f + 1).join(',')}), ${v1.length} View 1 pairs, ${new Set([...v2Keys, ...v1Keys, ...idKeys]).size} images`);
  const api = await embedThroughApi({
    dataDir: o.dataDir,
    cacheRoot: o.cacheDir,
    keys: [...v2Keys, ...v1Keys, ...idKeys],
    workers: o.workers,
    backend: o.backend,
    quiet: o.quiet,
  });
  log(o.quiet, `API path: ${api.computed} images computed, ${formatDuration(api.seconds)}`);
  const ours = await embedOurs({
    dataDir: o.dataDir,
    cacheRoot: o.cacheDir,
    workers: o.workers,
    backend: o.backend,
    faces: new Map([...api.records].map(([k, r]) => [k, r.face])),
    ablation: o.skip.has('ablation') ? [] : v2Keys,
    degraded: new Map(conditions.map((c) => [c, probeKeys])),
    quiet: o.quiet,
  });
  log(o.quiet, `ablation and degraded variants: ${ours.computed} images computed, ${formatDuration(ours.seconds)}`);
  const peer = o.peer ? await embedPeer({ dataDir: o.dataDir, cacheRoot: o.cacheDir, workers: o.workers, keys: v2Keys, quiet: o.quiet }) : undefined;
  if (peer) log(o.quiet, `face-api: ${peer.computed} images computed, ${formatDuration(peer.seconds)}`);
  const tEval = performance.now();

  // Table I and calibration: the API path, default arguments.
  const aligned = apiScorer(api);
  const s2 = scorePairs(v2, aligned);
  const s1 = scorePairs(v1, aligned);
  const fb = aligned.fallback;
  const vOurs = verification(s2, countFallbacks(v2, fb));
  const vLargest = verification(scorePairs(v2, largestScorer(api)), countFallbacks(v2, fb));
  const calibration = calibrate(s1, s2, [
    { name: 'service default', rule: 'DEFAULT_THRESHOLD (models/calibration.ts): the View 1 best-accuracy threshold, rounded', threshold: DEFAULT_THRESHOLD },
  ]);
  // The service decides with DEFAULT_THRESHOLD; the tables at an operating point use it.
  const operating = DEFAULT_THRESHOLD;
  let vPeer: Verification | undefined;
  let peerS2: ReturnType<typeof scorePairs> | undefined;
  if (peer) {
    const ps = peerScorer(peer);
    peerS2 = scorePairs(v2, ps);
    vPeer = verification(peerS2, countFallbacks(v2, ps.fallback));
  }

  // Ablation and separability.
  let ablation: LfwReport['ablation'] = null;
  const rocCurves = [{ label: `ours: MTCNN + aligned dlib ResNet (AUC ${vOurs.auc.toFixed(4)})`, points: vOurs.roc, colour: PALETTE[0] }];
  let sepBox: Separability | null = null;
  let sepCentre: Separability | null = null;
  if (!o.skip.has('ablation')) {
    const sb = scorePairs(v2, oursScorer(ours, 'box'));
    const sc = scorePairs(v2, oursScorer(ours, 'centre'));
    const vb = verification(sb, countFallbacks(v2, oursScorer(ours, 'box').fallback));
    const vc = verification(sc, 0);
    ablation = [
      { crop: 'aligned', description: 'MTCNN landmarks, similarity transform to the dlib chip template (the pipeline)', verification: strip(vOurs) },
      { crop: 'box', description: 'MTCNN box cropped square around its centre, no alignment', verification: strip(vb) },
      { crop: 'centre', description: 'fixed centre crop (70% of the short side), no detection', verification: strip(vc) },
    ];
    sepBox = separability(sb.scores, sb.labels);
    sepCentre = separability(sc.scores, sc.labels);
    rocCurves.push(
      { label: `ours, box crop, no alignment (AUC ${vb.auc.toFixed(4)})`, points: vb.roc, colour: PALETTE[2] },
      { label: `ours, centre crop, no detection (AUC ${vc.auc.toFixed(4)})`, points: vc.roc, colour: PALETTE[3] },
    );
  }
  if (vPeer) rocCurves.push({ label: `face-api ${peer!.info?.version ?? ''} (AUC ${vPeer.auc.toFixed(4)})`, points: vPeer.roc, colour: PALETTE[1] });

  // Robustness.
  let robustness: LfwReport['robustness'] = null;
  const robustnessCurves: Array<{ label: string; points: RobustnessRow['roc'] }> = [];
  if (!o.skip.has('robustness')) {
    const rows: RobustnessRow[] = [robustnessRow('clean', 'no degradation (250x250 originals)', s2, fb, operating)];
    for (const c of conditions) {
      const m = ours.degraded.get(c)!;
      const probe: Scorer = { vector: (k) => m.get(k)?.embedding, fallback: (k) => m.get(k)?.fallback ?? false, score: cosineScore };
      rows.push(robustnessRow(c, DEGRADATIONS[c], scorePairs(v2, aligned, probe), probe.fallback, operating));
    }
    for (const r of rows) robustnessCurves.push({ label: `${r.condition} (AUC ${r.verification.auc.toFixed(4)})`, points: r.roc });
    const pose = poseBins(s2, (k) => api.records.get(k)?.face?.landmarks, vOurs.tenFold, operating);
    robustness = { rows: rows.map(strip), pose };
  }

  // Identification.
  const dims = api.model?.dimensions ?? 128;
  const ident = doId
    ? identification(lfw, (k) => embeddingOrZero(api, k, dims), dims, [
        { name: 'service default (best accuracy on View 1)', threshold: operating },
        { name: 'strict (FAR <= 0.1% on View 1)', threshold: calibration.recommended },
        { name: 'EER threshold (View 1)', threshold: calibration.points.find((p) => p.name === 'EER')!.threshold },
      ])
    : null;

  // Fairness.
  const fairness = o.skip.has('fairness')
    ? null
    : {
        ours: byGender(s2, lfw.gender.labels, vOurs.tenFold, operating),
        peer: vPeer && peerS2 ? byGender(peerS2, lfw.gender.labels, vPeer.tenFold, -0.6) : null,
      };

  // Latency (per image through the service, measured while every worker was busy).
  const recs = v2Keys.map((k) => api.records.get(k)!).filter((r) => r.face !== null);
  const lat = {
    decode: latencySummary(recs.map((r) => r.ms.decode)),
    detect: latencySummary(recs.map((r) => r.ms.detect)),
    align: latencySummary(recs.map((r) => r.ms.align)),
    embed: latencySummary(recs.map((r) => r.ms.embed)),
    total: latencySummary(recs.map((r) => r.ms.decode + r.ms.detect + r.ms.align + r.ms.embed)),
  };
  const peerRecs = peer ? v2Keys.map((k) => peer.records.get(k)!).filter((r) => !r.fallback) : [];
  const peerLat = peer
    ? { decode: latencySummary(peerRecs.map((r) => r.ms.decode)), total: latencySummary(peerRecs.map((r) => r.ms.decode + r.ms.total)) }
    : null;

  // Plots.
  await mkdir(o.outDir, { recursive: true });
  const plots: string[] = [];
  const png = async (name: string, svg: string): Promise<void> => {
    await writeSvgPng(svg, path.join(o.outDir, name));
    plots.push(name);
  };
  await png('roc.png', rocSvg(rocCurves, { title: `LFW View 2 ROC (${v2.length} pairs)`, farMarkers: [0.001, 0.01] }));
  const gen = s2.scores.filter((_, i) => s2.labels[i]);
  const imp = s2.scores.filter((_, i) => !s2.labels[i]);
  await png(
    'scores-ours.png',
    histogramSvg(gen, imp, {
      title: 'Ours: cosine similarity, LFW View 2',
      xLabel: 'cosine similarity',
      markers: [
        { label: 'FAR<=0.1% (View 1)', value: operating },
        { label: 'EER (View 1)', value: calibration.points.find((p) => p.name === 'EER')!.threshold },
      ],
    }),
  );
  if (peerS2) {
    const pg = peerS2.scores.filter((_, i) => peerS2!.labels[i]).map((s) => -s);
    const pi = peerS2.scores.filter((_, i) => !peerS2!.labels[i]).map((s) => -s);
    await png(
      'scores-face-api.png',
      histogramSvg(pg, pi, { title: 'face-api: Euclidean distance, LFW View 2', xLabel: 'Euclidean distance (lower = same)', markers: [{ label: "face-api's threshold", value: 0.6 }] }),
    );
  }
  if (robustnessCurves.length > 1) await png('roc-robustness.png', rocSvg(robustnessCurves, { title: 'Ours under degraded probes (LFW View 2)', minFar: 1e-3 }));

  const noFace = (keys: readonly string[]): number => keys.filter((k) => api.records.get(k)?.face === null).length;
  const allKeys = [...api.records.keys()];
  const report: LfwReport = {
    generatedAt: new Date().toISOString(),
    machine: {
      cpu: os.cpus()[0]?.model ?? 'unknown',
      cores: os.cpus().length,
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      platform: `${os.platform()} ${os.release()}`,
      node: process.version,
    },
    options: { dataDir: path.relative(repoRoot, o.dataDir) || o.dataDir, workers: o.workers, backend: o.backend, peer: o.peer ?? null, folds, skipped: [...o.skip], conditions: [...conditions] },
    timing: {
      totalSeconds: (performance.now() - t0) / 1000,
      apiSeconds: api.seconds,
      apiImagesComputed: api.computed,
      oursSeconds: ours.seconds,
      oursImagesComputed: ours.computed,
      peerSeconds: peer?.seconds ?? 0,
      peerImagesComputed: peer?.computed ?? 0,
      evaluationSeconds: (performance.now() - tEval) / 1000,
      oursCache: ours.cacheTiming ?? null,
      peerCache: peer?.cacheTiming ?? null,
    },
    ours: {
      model: api.model?.name ?? 'unknown',
      backend: api.backend,
      template: ours.info?.template ?? [],
      cacheDir: api.cacheDir ? path.relative(repoRoot, api.cacheDir) : '',
      imagesEmbedded: api.records.size,
      noFaceImages: { all: noFace(allKeys), view2: noFace(v2Keys), view1: noFace(v1Keys) },
      subjectNotLargest: v2Keys.filter((k) => (api.records.get(k)?.faceIndex ?? 0) > 0).length,
      ambiguousImages: v2Keys.filter((k) => api.records.get(k)?.ambiguous).length,
      faceSelection:
        "the face the API's `embed` returns with its default arguments (models/select.ts PROMINENT: size, centre and in-frame fraction); \"largest face\" is the same call with face: { rule: LARGEST }",
      serviceDefaultThreshold: DEFAULT_THRESHOLD,
    },
    verification: { ours: strip(vOurs), oursLargest: strip(vLargest), peer: vPeer ? strip(vPeer) : null },
    separability: {
      ours: separability(s2.scores, s2.labels),
      box: sepBox,
      centre: sepCentre,
      peerCosine: peer ? separability(scorePairs(v2, peerScorer(peer, cosineScore)).scores, s2.labels) : null,
    },
    ablation,
    robustness,
    identification: ident,
    fairness,
    calibration,
    peerOperating: peerS2 ? { threshold: 0.6, rule: "face-api's conventional Euclidean distance threshold", view2: ratesAt(peerS2.scores, peerS2.labels, -0.6) } : null,
    latency: {
      ours: lat,
      peer: peerLat,
      note: `per image, measured in ${o.workers} worker thread(s) running concurrently on ${os.cpus().length} cores (decode in the main thread); embeddings loaded from the cache keep the timings of the run that computed them`,
    },
    peer: peer
      ? {
          package: '@vladmandic/face-api',
          version: peer.info?.version ?? 'unknown',
          backend: peer.info?.backend ?? 'unknown',
          tfjs: peer.info?.tfjs ?? 'unknown',
          noFaceImages: v2Keys.filter((k) => peer.records.get(k)?.fallback).length,
          imagesEmbedded: peer.records.size,
        }
      : null,
    plots,
  };
  report.timing.totalSeconds = (performance.now() - t0) / 1000;
  report.timing.evaluationSeconds = (performance.now() - tEval) / 1000;
  await writeFile(path.join(o.outDir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(path.join(o.outDir, 'report.md'), renderMarkdown(report));
  return report;
}
