/** Renders the LFW report as Markdown, every table next to the paper's figure. */
import { DEGRADATIONS, YAW_WIDTH_TO_DEPTH } from './degrade.js';
import type { Rates } from './metrics.js';
import { formatDuration } from './progress.js';
import type { LfwReport } from './run.js';

/** The paper's reported figures (PAPER.md): claims to compare against, not ground truth. */
export const PAPER = {
  auc: 0.9876,
  eer: 0.0082,
  tarAtFar: { 0.1: 0.9954, 0.01: 0.9876, 0.001: 0.9642 } as Record<number, number>,
  accuracy: 0.9865,
  threshold: 0.7,
  rank: { 1: 0.992, 5: 0.998, 10: 0.999 } as Record<number, number>,
  openSetRejection: 0.968,
  separability: { genuine: { mean: 0.128, sd: 0.041 }, impostor: { mean: 0.652, sd: 0.089 }, ratio: 5.09 },
  ablation: {
    aligned: { auc: 0.9876, eer: 0.0082, tar1: 0.9876 },
    centre: { auc: 0.9423, eer: 0.0211, tar1: 0.9514 },
  },
  robustness: {
    clean: '~99% (frontal, normal light, 256x256)',
    'occlusion-30-lower': '~95% (30% occlusion)',
    'occlusion-30-random': '~95% (30% occlusion)',
    'occlusion-55-lower': '~88% (>50% occlusion)',
    'occlusion-55-random': '~88% (>50% occlusion)',
    'low-light': '~96%',
    'low-resolution-64': '~89% (64x64)',
    blur: 'not reported',
  } as Record<string, string>,
  pose: { frontal: '~99%', '15-45': '~97%', '>45': '~94%', 'no face': '-' } as Record<string, string>,
  fairness: { male: 0.99, female: 0.983 },
  latencyCpuMs: { detect: 148, embed: 128, total: 300 },
};

/** The project's targets (DESIGN.md section 7). */
/** DESIGN.md section 7: LFW View 2 through the API path. */
export const TARGETS = { accuracy: 0.993, auc: 0.999, eer: 0.008, tar0001: 0.965 };

const pct = (x: number | null | undefined, d = 2): string => (x === null || x === undefined || Number.isNaN(x) ? '-' : `${(x * 100).toFixed(d)}%`);
const num = (x: number | null | undefined, d = 4): string => (x === null || x === undefined || Number.isNaN(x) ? '-' : x.toFixed(d));
const ms = (x: number): string => (Number.isNaN(x) ? '-' : `${x.toFixed(1)}`);
const pm = (mean: number, sd: number): string => `${pct(mean)} ± ${pct(sd)}`;
const rates = (r: Rates | null): string => (r ? `${pct(r.tar)} / ${pct(r.far, 3)}` : '-');
const pass = (ok: boolean): string => (ok ? 'met' : '**not met**');

function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

export function renderMarkdown(r: LfwReport): string {
  const o = r.verification.ours;
  const ol = r.verification.oursLargest;
  const p = r.verification.peer;
  const tar = (v: typeof o | null, t: number): number | undefined => v?.tarAtFar.find((x) => x.target === t)?.tar;
  const out: string[] = [];
  const rec = r.calibration.points.find((x) => x.name === 'strict')!;
  const service = r.calibration.points.find((x) => x.name === 'service default');
  out.push(
    '# LFW evaluation',
    '',
    `Generated ${r.generatedAt} by \`npm run eval -- lfw\`. Machine: ${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memoryGiB} GiB, ${r.machine.platform}, Node ${r.machine.node}.`,
    `Ours: \`${r.ours.model}\` on the \`${r.ours.backend}\` backend (MTCNN, 5-point alignment, 128-d unit vectors, cosine similarity); ${r.options.workers} worker thread(s).` +
      (r.peer ? ` Peer: \`${r.peer.package}@${r.peer.version}\` on \`${r.peer.backend}\` (tfjs ${r.peer.tfjs}): SSD MobileNet v1, 68 landmarks, its recognition net, Euclidean distance.` : ''),
    `View 2 folds evaluated: ${r.options.folds.map((f) => f + 1).join(', ')}${r.options.skipped.length ? `; sections skipped: ${r.options.skipped.join(', ')}` : ''}.`,
    '',
    `Run time: ${formatDuration(r.timing.totalSeconds)} in all; the API path ${formatDuration(r.timing.apiSeconds)} (${r.timing.apiImagesComputed} images computed, the rest from the cache \`${r.ours.cacheDir || 'none'}\`); ablation and degraded variants ${formatDuration(r.timing.oursSeconds)} (${r.timing.oursImagesComputed} images computed)` +
      (r.peer ? `; face-api ${formatDuration(r.timing.peerSeconds)} (${r.timing.peerImagesComputed} images computed)` : '') +
      `; tables and plots ${formatDuration(r.timing.evaluationSeconds)}.` +
      (r.timing.oursCache
        ? ` Filling the caches took ${formatDuration(r.timing.oursCache.seconds)} for ours (${r.timing.oursCache.images} images, all variants, ${r.timing.oursCache.workers.join('/')} workers, ${r.timing.oursCache.runs} run(s))` +
          (r.timing.peerCache ? ` and ${formatDuration(r.timing.peerCache.seconds)} for face-api (${r.timing.peerCache.images} images)` : '') +
          '.'
        : ''),
    '',
    `Every headline figure (Tables I, II, III, fairness, calibration, latency) is measured through the API's code path with its default arguments: each image's bytes go to the service's \`embed\` (InferenceService, the server's worker pool and inference workers), exactly as an \`embed\` request does (bench/lfw/api.ts). Images the API answered NO_FACE for (their pairs count as non-matches, as a failed verify would): ${r.ours.noFaceImages.view2} of View 2's images, ${r.ours.noFaceImages.view1} of View 1's, ${r.ours.noFaceImages.all} of all ${r.ours.imagesEmbedded}. The API flagged its face choice as ambiguous in ${r.ours.ambiguousImages} of View 2's images.` +
      (r.peer ? ` face-api: ${r.peer.noFaceImages} of View 2's.` : ''),
    '',
    'The paper\'s figures are its claims (some are mutually inconsistent: an EER of 0.82% and an AUC of 0.9876 cannot both hold on one ROC curve); ours are measured here.',
    '',
  );

  // Table I
  out.push(`## Table I: verification (LFW View 2, ${o.pairs} pairs, 10-fold protocol)`, '');
  out.push(
    `"ours" is ${r.ours.faceSelection}. The default choice differs from the largest face in ${r.ours.subjectNotLargest} of the View 2 images; "ours, largest face" (a comparison row) is what the API embeds when asked for the largest face.`,
    '',
    table(
      ['metric', 'paper', 'ours', 'ours, largest face', ...(p ? ['face-api (peer)'] : [])],
      [
        ['10-fold accuracy, mean ± sd', `${pct(PAPER.accuracy)} (at its optimal threshold)`, pm(o.tenFold.accuracy.mean, o.tenFold.accuracy.sd), pm(ol.tenFold.accuracy.mean, ol.tenFold.accuracy.sd), ...(p ? [pm(p.tenFold.accuracy.mean, p.tenFold.accuracy.sd)] : [])],
        ['AUC', num(PAPER.auc), num(o.auc, 5), num(ol.auc, 5), ...(p ? [num(p.auc, 5)] : [])],
        ['EER', pct(PAPER.eer), pct(o.eer.eer), pct(ol.eer.eer), ...(p ? [pct(p.eer.eer)] : [])],
        ...[0.1, 0.01, 0.001].map((t) => [`TAR @ FAR ${t * 100}%`, pct(PAPER.tarAtFar[t]), pct(tar(o, t)), pct(tar(ol, t)), ...(p ? [pct(tar(p, t))] : [])]),
        ['best threshold, all pairs (its accuracy)', `${PAPER.threshold} cosine`, `${num(o.best.threshold)} cosine (${pct(o.best.accuracy)})`, `${num(ol.best.threshold)} (${pct(ol.best.accuracy)})`, ...(p ? [`${num(-p.best.threshold)} distance (${pct(p.best.accuracy)})`] : [])],
        ['10-fold thresholds, mean ± sd', '-', `${num(o.tenFold.threshold.mean)} ± ${num(o.tenFold.threshold.sd)}`, `${num(ol.tenFold.threshold.mean)} ± ${num(ol.tenFold.threshold.sd)}`, ...(p ? [`${num(-p.tenFold.threshold.mean)} ± ${num(p.tenFold.threshold.sd)} distance`] : [])],
        ['images with no face (NO_FACE; peer: fallback)', '-', String(o.fallbackImages), String(ol.fallbackImages), ...(p ? [String(p.fallbackImages)] : [])],
      ],
    ),
    '',
    ...(p ? [`face-api's SSD MobileNet at its default minConfidence ${0.5} found no face in ${p.fallbackImages} of these images; those are embedded from a centre crop (70% of the short side), and among several faces our API's default rule (PROMINENT, on face-api's boxes) picks one.`, ''] : []),
    `Accuracy ± standard error of the mean (the LFW protocol's S_E): ours ${pct(o.tenFold.accuracy.mean)} ± ${pct(o.tenFold.accuracy.se)}${p ? `; face-api ${pct(p.tenFold.accuracy.mean)} ± ${pct(p.tenFold.accuracy.se)}` : ''}. AUC, EER and TAR@FAR are over all pairs; TAR@FAR is the highest TAR at a FAR not above the target (no interpolation). With ${o.impostor} impostor pairs, FAR 0.1% allows ${Math.floor(o.impostor * 0.001)} false accepts.`,
    '',
    '**Targets** (DESIGN.md section 7): ' +
      [
        `accuracy >= 99.3%: ${pct(o.tenFold.accuracy.mean)}, ${pass(o.tenFold.accuracy.mean >= TARGETS.accuracy)}`,
        `AUC >= 0.999: ${num(o.auc, 5)}, ${pass(o.auc >= TARGETS.auc)}`,
        `EER <= 0.8%: ${pct(o.eer.eer)}, ${pass(o.eer.eer <= TARGETS.eer)}`,
        `TAR@FAR0.1% >= 96.5%: ${pct(tar(o, 0.001))}, ${pass((tar(o, 0.001) ?? 0) >= TARGETS.tar0001)}`,
      ].join('; ') +
      '.',
    '',
    'Per fold (threshold chosen on the other nine folds):',
    '',
    table(
      ['fold', 'ours threshold', 'ours accuracy', ...(p ? ['face-api distance threshold', 'face-api accuracy'] : [])],
      o.tenFold.folds.map((f, i) => [
        String(f.fold + 1),
        num(f.threshold),
        pct(f.accuracy),
        ...(p ? [num(-p.tenFold.folds[i]!.threshold), pct(p.tenFold.folds[i]!.accuracy)] : []),
      ]),
    ),
    '',
    '![ROC](roc.png)',
    '',
    '![Score distributions, ours](scores-ours.png)',
    '',
    ...(p ? ['![Score distributions, face-api](scores-face-api.png)', ''] : []),
  );

  // Table III
  const s = r.separability;
  out.push('## Table III: separability (cosine distance = 1 - cosine similarity, View 2)', '');
  const sepRow = (name: string, x: typeof s.ours | null): string[] =>
    x ? [name, `${num(x.genuine.mean, 3)} (sd ${num(x.genuine.sd, 3)}), n=${x.genuine.n}`, `${num(x.impostor.mean, 3)} (sd ${num(x.impostor.sd, 3)}), n=${x.impostor.n}`, num(x.ratio, 2), num(x.dPrime, 2)] : [];
  out.push(
    table(
      ['embeddings', 'genuine mean (sd)', 'impostor mean (sd)', 'ratio impostor/genuine', "d'"],
      [
        ['paper (1,000 pairs each)', `${PAPER.separability.genuine.mean} (sd ${PAPER.separability.genuine.sd})`, `${PAPER.separability.impostor.mean} (sd ${PAPER.separability.impostor.sd})`, String(PAPER.separability.ratio), '-'],
        sepRow('ours, aligned', s.ours),
        ...(s.box ? [sepRow('ours, box crop', s.box)] : []),
        ...(s.centre ? [sepRow('ours, centre crop', s.centre)] : []),
        ...(s.peerCosine ? [sepRow('face-api (cosine on its descriptors)', s.peerCosine)] : []),
      ],
    ),
    '',
    "d' = |mean_i - mean_g| / sqrt((sd_g² + sd_i²) / 2). The ratio of mean distances depends on where a model's impostor distances sit (dlib's space is compact: impostors are far from orthogonal), so d' is the fairer comparison across models.",
    '',
  );

  // Table IV
  if (r.ablation) {
    out.push('## Table IV: ablation (same embedder, different crops, View 2)', '');
    const paperAbl = (crop: string): [string, string, string] =>
      crop === 'aligned'
        ? [num(PAPER.ablation.aligned.auc), pct(PAPER.ablation.aligned.eer), pct(PAPER.ablation.aligned.tar1)]
        : crop === 'centre'
          ? [num(PAPER.ablation.centre.auc), pct(PAPER.ablation.centre.eer), pct(PAPER.ablation.centre.tar1)]
          : ['-', '-', '-'];
    out.push(
      table(
        ['crop', 'paper AUC / EER / TAR@FAR1%', 'AUC', 'EER', 'TAR @ FAR 1%', '10-fold accuracy', 'no-face fallbacks'],
        r.ablation.map((a) => [
          `**${a.crop}**: ${a.description}`,
          paperAbl(a.crop).join(' / '),
          num(a.verification.auc, 5),
          pct(a.verification.eer.eer),
          pct(a.verification.tarAtFar.find((t) => t.target === 0.01)?.tar),
          pm(a.verification.tenFold.accuracy.mean, a.verification.tenFold.accuracy.sd),
          String(a.verification.fallbackImages),
        ]),
      ),
      '',
    );
  }

  // Table V
  if (r.robustness) {
    out.push(
      '## Table V: robustness (the probe, the second image of each View 2 pair, degraded; the first image clean)',
      '',
      `Accuracy is the 10-fold protocol on the degraded scores (thresholds re-chosen on the other degraded folds); "at operating threshold" uses the service default (${num(service?.threshold ?? NaN, 3)}, chosen on clean View 1), as the service would. A degraded probe with no face detected is embedded from the centre crop.`,
      '',
      table(
        ['condition', 'paper (AUC or accuracy)', 'AUC', 'EER', '10-fold accuracy', 'TAR / FAR at operating threshold', 'probes with no face'],
        r.robustness.rows.map((x) => [
          x.condition === 'clean' ? `clean: ${x.description}` : `${x.condition}: ${x.description}`,
          PAPER.robustness[x.condition] ?? '-',
          num(x.verification.auc, 4),
          pct(x.verification.eer.eer),
          pm(x.verification.tenFold.accuracy.mean, x.verification.tenFold.accuracy.sd),
          rates(x.atOperating),
          `${x.probeFallbacks} / ${x.probes}`,
        ]),
      ),
      '',
      `Pose bins by the larger estimated |yaw| of the pair's two images (clean). Yaw = atan(${YAW_WIDTH_TO_DEPTH} x a), a = the nose tip's normalised horizontal offset from the eye and mouth-corner midpoints after removing roll (bench/lfw/degrade.ts). Image |yaw| over View 2: mean ${num(r.robustness.pose.yawSummary.mean, 1)}°, sd ${num(r.robustness.pose.yawSummary.sd, 1)}°. Accuracy uses each pair's own fold threshold from the clean 10-fold run.`,
      '',
      table(
        ['yaw bin', 'paper', 'pairs (genuine / impostor)', 'AUC', 'EER', 'accuracy', 'TAR / FAR at operating threshold'],
        r.robustness.pose.bins.map((b) => [
          b.bin,
          PAPER.pose[b.bin] ?? '-',
          `${b.result.pairs} (${b.result.genuine} / ${b.result.impostor})`,
          num(b.result.auc, 4),
          pct(b.result.eer),
          pct(b.result.accuracy),
          rates(b.result.atOperating),
        ]),
      ),
      '',
      '![ROC under degradations](roc-robustness.png)',
      '',
      'Degradations (bench/lfw/degrade.ts): ' + Object.entries(DEGRADATIONS).map(([k, v]) => `\`${k}\`: ${v}`).join('; ') + '. Occlusion masks are relative to the face box detected on the clean image (a centred square of 0.45 x the short side when none was found) and filled with mid grey; every random choice is seeded by the image key.',
      '',
    );
  }

  // Table II
  if (r.identification) {
    const id = r.identification;
    out.push(
      '## Table II: identification (people.txt)',
      '',
      `Protocol: ${id.protocol}. Galleries of ${num(id.galleryPerExperiment.mean, 0)} identities on average (${id.experiments} experiments); ${id.matedProbes} mated probes and ${id.nonMatedProbes} non-mated probes in all.`,
      '',
      table(
        ['metric', 'paper', 'ours'],
        [
          ...[1, 5, 10].map((k) => [`closed set, rank-${k}`, pct(PAPER.rank[k], 1), pct(id.rank[k])]),
          ['rank-1 per experiment, mean ± sd', '-', pm(id.rank1PerExperiment.mean, id.rank1PerExperiment.sd)],
          ...id.atThresholds.map((t) => [
            `open set at ${t.name}, threshold ${num(t.threshold, 3)}: unknown probes rejected`,
            t.name.startsWith('service default') ? `${pct(PAPER.openSetRejection, 1)} (200 probes)` : '-',
            `${pct(t.rejection)} (DIR ${pct(t.dir)})`,
          ]),
          ...id.dirAtFpir.map((d) => [`DIR at FPIR ${pct(d.targetFpir ?? 0, 1)} (threshold ${num(d.threshold, 3)})`, '-', pct(d.dir)]),
        ],
      ),
      '',
      'DIR (detection and identification rate) = mated probes whose top match is their identity with a score at or above the threshold; FPIR = non-mated probes whose top score reaches it; rejection = 1 - FPIR.',
      '',
    );
  }

  // Fairness
  if (r.fairness) {
    const f = r.fairness;
    out.push('## Fairness by gender (View 2 pairs whose two images carry the same label)', '');
    out.push(
      table(
        ['group', 'paper AUC', 'pairs (genuine / impostor)', 'AUC', 'EER', 'accuracy', 'TAR / FAR at operating threshold', ...(f.peer ? ['face-api AUC', 'face-api accuracy'] : [])],
        (['male', 'female'] as const).map((g) => [
          g,
          num(PAPER.fairness[g], 3),
          `${f.ours[g].pairs} (${f.ours[g].genuine} / ${f.ours[g].impostor})`,
          num(f.ours[g].auc, 4),
          pct(f.ours[g].eer),
          pct(f.ours[g].accuracy),
          rates(f.ours[g].atOperating),
          ...(f.peer ? [num(f.peer[g].auc, 4), pct(f.peer[g].accuracy)] : []),
        ]),
      ),
      '',
      `Labels: "LFW gender" (Afifi & Abdelhamed); images in both lists count as female; ${f.ours.unlabelledOrMixed} pairs are mixed or unlabelled and excluded. Accuracy uses each pair's fold threshold from the full 10-fold run. No age labels ship with LFW, so the paper's over-60 finding is not reproduced.`,
      '',
    );
  }

  // Calibration
  const c = r.calibration;
  out.push(
    '## Threshold calibration (chosen on View 1 only, reported on View 2)',
    '',
    `View 1 = pairsDevTrain + pairsDevTest: ${c.view1Pairs} pairs (${c.view1Genuine} genuine, ${c.view1Impostor} impostor). View 2 never influenced a threshold. **Service default: ${num(service?.threshold ?? NaN, 3)}** (cosine similarity; the View 1 best-accuracy point, rounded: \`DEFAULT_THRESHOLD\`). Strict alternative for deployments where a false accept costs more: ${num(c.recommended, 3)} (FAR <= 0.1% on View 1, rounded up: \`STRICT_THRESHOLD\`, set it with \`FACEGATE_THRESHOLD\`).`,
    '',
    table(
      ['operating point', 'rule', 'threshold', 'View 1 TAR / FAR', 'View 2 TAR / FAR', 'View 2 accuracy'],
      c.points.map((x) => [x.name, x.rule, num(x.threshold, 4), rates(x.view1), rates(x.view2), pct(x.view2.accuracy)]),
    ),
    '',
    ...(r.peerOperating ? [`face-api at its conventional distance threshold ${r.peerOperating.threshold}: View 2 TAR / FAR ${rates(r.peerOperating.view2)}, accuracy ${pct(r.peerOperating.view2.accuracy)}.`, ''] : []),
    `With ${c.view1Impostor} View 1 impostors, FAR <= 0.1% allows ${Math.floor(c.view1Impostor * 0.001)} false accept(s): the point is estimated coarsely; View 2's FAR at it (${pct(rec.view2.far, 3)}) is the independent check.`,
    '',
  );

  // Latency
  const L = r.latency;
  out.push('## Latency per image (ms)', '', `${L.note}.`, '');
  out.push(
    table(
      ['stage', 'paper CPU (i7-9750H)', 'ours median (p90)', ...(L.peer ? ['face-api median (p90)'] : [])],
      [
        ['decode (sharp)', '-', `${ms(L.ours.decode.median)} (${ms(L.ours.decode.p90)})`, ...(L.peer ? [`${ms(L.peer.decode.median)} (${ms(L.peer.decode.p90)})`] : [])],
        ['detection (+ landmarks)', `~${PAPER.latencyCpuMs.detect} (with alignment)`, `${ms(L.ours.detect.median)} (${ms(L.ours.detect.p90)})`, ...(L.peer ? ['(in total)'] : [])],
        ['alignment', '-', `${ms(L.ours.align.median)} (${ms(L.ours.align.p90)})`, ...(L.peer ? ['(in total)'] : [])],
        ['embedding', `~${PAPER.latencyCpuMs.embed}`, `${ms(L.ours.embed.median)} (${ms(L.ours.embed.p90)})`, ...(L.peer ? ['(in total)'] : [])],
        ['per image, decode to vector', `~${PAPER.latencyCpuMs.total} (end to end incl. API)`, `${ms(L.ours.total.median)} (${ms(L.ours.total.p90)})`, ...(L.peer ? [`${ms(L.peer.total.median)} (${ms(L.peer.total.p90)})`] : [])],
      ],
    ),
    '',
  );
  out.push('## Files', '', `report.json (every figure above, per-fold details), ${r.plots.join(', ')}.`, '');
  return out.join('\n');
}
