/**
 * `npm run calibrate:gallery`: the identification threshold and minimum margin, on LFW View 1 only
 * (peopleDevTrain.txt), through the GraphQL API in-process. Gallery: the first image of every DevTrain
 * person with two or more images; mated probes: their second image; non-mated probes: the only image of
 * DevTrain people with one image (never enrolled). Prints the threshold for FPIR 1% and 0.1% and a margin
 * table; server/gallery/thresholds.ts records the chosen values.
 *
 * Embeddings: as eval:gallery (`--embeddings cached|graphql`, `--max-seconds`; the cache is shared).
 *
 *   npm run calibrate:gallery -- [--unknowns 1000] [--people N] [--workers N] [--concurrency 6]
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parsePeople } from '../lfw/protocol.js';
import { openHarness, targetOrExit, type TargetMode } from './harness.js';
import { lfwFile, pct, runOpenSet, type OpenSetProtocol, type SearchOutcome } from './openset.js';

const { values } = parseArgs({
  options: {
    unknowns: { type: 'string', default: '1000' },
    people: { type: 'string', description: 'at most this many gallery people (smoke runs)' },
    workers: { type: 'string' },
    concurrency: { type: 'string', default: '6' },
    embeddings: { type: 'string', default: 'cached' },
    'max-seconds': { type: 'string', default: '540' },
    out: { type: 'string', default: 'reports/gallery-calibration' },
  },
});

const lfwDir = path.resolve(process.env.FACEGATE_LFW_DIR ?? '../shared/data/lfw');
const people = parsePeople(readFileSync(path.join(lfwDir, 'peopleDevTrain.txt'), 'utf8'))[0]!;
const multi = people.filter((p) => p.count >= 2).slice(0, values.people ? Number(values.people) : undefined);
const single = people.filter((p) => p.count === 1);
const unknownCount = Math.min(Number(values.unknowns), single.length);
const step = single.length / unknownCount;
const unknowns = Array.from({ length: unknownCount }, (_, i) => single[Math.floor(i * step)]!);
const protocol: OpenSetProtocol = {
  name: 'view1-devtrain',
  gallery: multi.map((p) => ({ person: p.name, file: lfwFile(lfwDir, p.name, 1) })),
  probes: [
    ...multi.map((p) => ({ person: p.name, file: lfwFile(lfwDir, p.name, 2) })),
    ...unknowns.map((p) => ({ person: null, file: lfwFile(lfwDir, p.name, 1) })),
  ],
};

const harness = await openHarness({
  mode: values.embeddings as TargetMode,
  lfwDir,
  files: [...protocol.gallery.map((g) => g.file), ...protocol.probes.map((q) => q.file)],
  ...(values.workers ? { workers: values.workers } : {}),
  maxSeconds: Number(values['max-seconds']),
});
const target = await targetOrExit(harness);
const { report, outcomes } = await runOpenSet(target, protocol, { concurrency: Number(values.concurrency), fpirs: [0.01, 0.001] });
await harness.stop();

/** Margin table at the FPIR-1% threshold: what each minimum margin costs and saves. */
function marginTable(all: SearchOutcome[], threshold: number) {
  const mated = all.filter((o) => o.person !== null && !o.error);
  const non = all.filter((o) => o.person === null && !o.error);
  const margin = (o: SearchOutcome): number => (o.candidates[0]?.similarity ?? -2) - (o.candidates[1]?.similarity ?? -2);
  const passes = (o: SearchOutcome, m: number): boolean => (o.candidates[0]?.similarity ?? -2) >= threshold && margin(o) >= m;
  return [0, 0.005, 0.01, 0.015, 0.02, 0.03, 0.04, 0.05].map((m) => ({
    minMargin: m,
    dir: mated.filter((o) => passes(o, m) && o.candidates[0]!.person === o.person).length / mated.length,
    misidentified: mated.filter((o) => passes(o, m) && o.candidates[0]!.person !== o.person).length,
    fpir: non.filter((o) => passes(o, m)).length / non.length,
  }));
}
const t1 = report.atFpir[0]!.threshold;
const margins = marginTable(outcomes, t1);
mkdirSync(path.dirname(values.out!), { recursive: true });
writeFileSync(`${values.out}.json`, JSON.stringify({ report, margins, machine: `${process.platform} ${process.arch}` }, null, 2));
const lines = [
  `# Gallery calibration (LFW View 1, peopleDevTrain.txt, through the API)`,
  ``,
  `Gallery ${report.enrolled} of ${report.galleryPeople} people enrolled (failures to enroll: ${JSON.stringify(report.failedToEnroll)}); ` +
    `${report.matedSearches} mated and ${report.nonMatedSearches} non-mated searches; probe errors ${JSON.stringify(report.probeErrors)}; ${report.seconds.toFixed(0)} s.`,
  ``,
  `rank-1 ${pct(report.rank1)}, rank-5 ${pct(report.rank5)}`,
  ``,
  `| target FPIR | threshold | DIR | FPIR reached |`,
  `| --- | --- | --- | --- |`,
  ...report.atFpir.map((r) => `| ${pct(r.fpir, 1)} | ${r.threshold.toFixed(4)} | ${pct(r.dir)} | ${pct(r.achievedFpir)} |`),
  ``,
  `At the policy in force (threshold ${report.apiDecision.threshold}, margin ${report.apiDecision.minMargin}): DIR ${pct(report.apiDecision.dir)}, FPIR ${pct(report.apiDecision.fpir)}, unknowns rejected ${pct(report.apiDecision.unknownsRejected)}.`,
  ``,
  `Minimum margin at the FPIR-1% threshold ${t1.toFixed(4)}:`,
  ``,
  `| min margin | DIR | misidentified mated | FPIR |`,
  `| --- | --- | --- | --- |`,
  ...margins.map((m) => `| ${m.minMargin} | ${pct(m.dir)} | ${m.misidentified} | ${pct(m.fpir)} |`),
];
writeFileSync(`${values.out}.md`, `${lines.join('\n')}\n`);
console.log(lines.join('\n'));
