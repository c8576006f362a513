/**
 * `npm run eval:gallery`: the paper's identification figures (Table II: rank-1/5/10, unknowns rejected)
 * plus DIR at FPIR 1% and 0.1%, through the GraphQL API in-process, on LFW View 2's people split.
 * For each selected set of people.txt: one gallery per set with the first image of every person in it
 * (enrollFaces); mated searches: every other image of those people (identifyFace, topK 10); non-mated
 * searches: the first image of `--unknowns` people spread over the other sets, never enrolled.
 * The API decides with the gallery's default policy (server/gallery/thresholds.ts).
 *
 * By default (`--embeddings cached`) every image is embedded once through the enrollment path and reused
 * across sets (bench/gallery/embeddings.ts, service-target.ts: what is shared and what still runs);
 * embedding stops after `--max-seconds` and exits with status 3 (rerun to resume). `--embeddings graphql`
 * sends every image through the GraphQL API instead.
 *
 *   npm run eval:gallery -- [--sets 1,2,...|all] [--unknowns 1000] [--max-probes N] [--workers N]
 *                           [--embeddings cached|graphql] [--max-seconds 540]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parsePeople } from '../lfw/protocol.js';
import { openHarness, targetOrExit, type TargetMode } from './harness.js';
import { lfwFile, pct, runOpenSet, type OpenSetProtocol, type OpenSetReport } from './openset.js';

const { values } = parseArgs({
  options: {
    sets: { type: 'string', default: 'all' },
    unknowns: { type: 'string', default: '1000' },
    'max-probes': { type: 'string', default: '0' },
    workers: { type: 'string' },
    concurrency: { type: 'string', default: '6' },
    embeddings: { type: 'string', default: 'cached' },
    'max-seconds': { type: 'string', default: '540' },
    out: { type: 'string', default: 'reports/gallery-eval' },
  },
});

const lfwDir = path.resolve(process.env.FACEGATE_LFW_DIR ?? '../shared/data/lfw');
const sets = parsePeople(readFileSync(path.join(lfwDir, 'people.txt'), 'utf8'));
const chosen = values.sets === 'all' ? sets.map((_, i) => i) : values.sets!.split(',').map((s) => Number(s) - 1);
const maxProbes = Number(values['max-probes']);

function protocolFor(setIndex: number): OpenSetProtocol {
  const set = sets[setIndex]!;
  const others = sets.filter((_, i) => i !== setIndex).flat();
  const unknownCount = Math.min(Number(values.unknowns), others.length);
  const step = others.length / unknownCount;
  const unknowns = Array.from({ length: unknownCount }, (_, i) => others[Math.floor(i * step)]!);
  return {
    name: `people-set-${setIndex + 1}`,
    gallery: set.map((p) => ({ person: p.name, file: lfwFile(lfwDir, p.name, 1) })),
    probes: [
      ...set.flatMap((p) => {
        const n = maxProbes > 0 ? Math.min(p.count - 1, maxProbes) : p.count - 1;
        return Array.from({ length: n }, (_, k) => ({ person: p.name, file: lfwFile(lfwDir, p.name, k + 2) }));
      }),
      ...unknowns.map((p) => ({ person: null, file: lfwFile(lfwDir, p.name, 1) })),
    ],
  };
}

const protocols = chosen.map(protocolFor);
const harness = await openHarness({
  mode: values.embeddings as TargetMode,
  lfwDir,
  files: protocols.flatMap((p) => [...p.gallery.map((g) => g.file), ...p.probes.map((q) => q.file)]),
  ...(values.workers ? { workers: values.workers } : {}),
  maxSeconds: Number(values['max-seconds']),
});
const target = await targetOrExit(harness);
const reports: OpenSetReport[] = [];
for (const protocol of protocols) {
  const { report } = await runOpenSet(target, protocol, { concurrency: Number(values.concurrency), fpirs: [0.01, 0.001] });
  reports.push(report);
  console.error(`${report.protocol}: rank-1 ${pct(report.rank1)} rank-5 ${pct(report.rank5)} DIR@FPIR1% ${pct(report.atFpir[0]!.dir)} unknowns rejected ${pct(report.apiDecision.unknownsRejected)}`);
}
await harness.stop();

const mean = (f: (r: OpenSetReport) => number): number => reports.reduce((s, r) => s + f(r), 0) / reports.length;
const rows = reports.map(
  (r) =>
    `| ${r.protocol} | ${r.enrolled}/${r.galleryPeople} | ${r.matedSearches} / ${r.nonMatedSearches} | ${pct(r.rank1)} | ${pct(r.rank5)} | ${pct(r.rank10)} | ${pct(r.atFpir[0]!.dir)} (t ${r.atFpir[0]!.threshold.toFixed(3)}) | ${pct(r.atFpir[1]!.dir)} (t ${r.atFpir[1]!.threshold.toFixed(3)}) | ${pct(r.apiDecision.dir)} | ${pct(r.apiDecision.fpir)} | ${pct(r.apiDecision.unknownsRejected)} |`,
);
const lines = [
  `# Identification through the API (LFW people.txt sets; paper Table II)`,
  ``,
  `Machine: ${process.platform} ${process.arch}, ${harness.workers} inference workers (${harness.backend}); embeddings: ${values.embeddings === 'cached' ? 'each image once through the enrollment path, reused across sets' : 'every request through the GraphQL API'}. Policy: identify threshold ${reports[0]?.apiDecision.threshold}, min margin ${reports[0]?.apiDecision.minMargin}.`,
  ``,
  `| set | enrolled | mated / non-mated searches | rank-1 | rank-5 | rank-10 | DIR @ FPIR 1% | DIR @ FPIR 0.1% | DIR at API policy | FPIR at API policy | unknowns rejected |`,
  `| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |`,
  ...rows,
  ...(reports.length > 1
    ? [`| mean | | | ${pct(mean((r) => r.rank1))} | ${pct(mean((r) => r.rank5))} | ${pct(mean((r) => r.rank10))} | ${pct(mean((r) => r.atFpir[0]!.dir))} | ${pct(mean((r) => r.atFpir[1]!.dir))} | ${pct(mean((r) => r.apiDecision.dir))} | ${pct(mean((r) => r.apiDecision.fpir))} | ${pct(mean((r) => r.apiDecision.unknownsRejected))} |`]
    : []),
  ``,
  `Failures to enroll: ${reports.map((r) => `${r.protocol} ${JSON.stringify(r.failedToEnroll)}`).join('; ')}. Probe errors: ${reports.map((r) => `${r.protocol} ${JSON.stringify(r.probeErrors)}`).join('; ')}.`,
  `Paper (LFW): top-1 99.2%, top-5 99.8%, top-10 99.9%, unknown rejection 96.8% (200 probes).`,
];
mkdirSync(path.dirname(values.out!), { recursive: true });
writeFileSync(`${values.out}.json`, JSON.stringify(reports, null, 2));
writeFileSync(`${values.out}.md`, `${lines.join('\n')}\n`);
console.log(lines.join('\n'));
