/**
 * Evaluation CLI.
 *
 *   npm run eval -- lfw [--data DIR] [--out DIR] [--peer face-api] [--workers N] [--backend auto|wasm|cpu|tensorflow]
 *                       [--cache DIR | --no-cache] [--folds 1,2,...] [--skip SECTION,...] [--conditions NAME,...] [--quiet]
 *
 * See the README's "Evaluation on LFW" section for what each table means.
 */
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_THRESHOLD, parseBackendRequest } from '../models/index.js';
import { DEGRADATIONS, type DegradationName } from './lfw/degrade.js';
import { repoRoot } from './lfw/embed.js';
import { formatDuration } from './lfw/progress.js';
import { lfwAvailable } from './lfw/protocol.js';
import { runLfw, SECTIONS, type Section } from './lfw/run.js';

const USAGE = `usage: npm run eval -- lfw [options]

  --data DIR          LFW folder (default: $FACEGATE_LFW_DIR or ../shared/data/lfw)
  --out DIR           report folder (default: reports/lfw)
  --peer face-api     also run @vladmandic/face-api's own pipeline on the same View 2 pairs
  --workers N         worker threads (default: one per core, ${os.availableParallelism()} here)
  --backend NAME      auto | wasm | tensorflow | cpu (default: auto)
  --cache DIR         embedding cache (default: .cache/eval/lfw); --no-cache to disable
  --folds LIST        View 2 folds to evaluate, 1-based (default: 1-10; at least 2)
  --skip LIST         sections to skip: ${SECTIONS.join(', ')}
  --conditions LIST   robustness degradations (default: all): ${Object.keys(DEGRADATIONS).join(', ')}
  --quiet             no progress output
`;

/** A bad command line: reported without a stack trace. */
class UsageError extends Error {}

function list(v: string | undefined): string[] {
  return v ? v.split(',').map((s) => s.trim()).filter(Boolean) : [];
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      data: { type: 'string' },
      out: { type: 'string' },
      peer: { type: 'string' },
      workers: { type: 'string' },
      backend: { type: 'string' },
      cache: { type: 'string' },
      'no-cache': { type: 'boolean' },
      folds: { type: 'string' },
      skip: { type: 'string' },
      conditions: { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || positionals[0] !== 'lfw' || positionals.length !== 1) {
    process.stderr.write(USAGE);
    return values.help ? 0 : 2;
  }
  const dataDir = path.resolve(values.data ?? process.env.FACEGATE_LFW_DIR ?? path.join(repoRoot, '../shared/data/lfw'));
  if (!lfwAvailable(dataDir)) {
    process.stderr.write(`LFW not found at ${dataDir} (pairs.txt missing); pass --data DIR\n`);
    return 2;
  }
  if (values.peer !== undefined && values.peer !== 'face-api') throw new UsageError(`unknown peer ${JSON.stringify(values.peer)} (supported: face-api)`);
  const workers = values.workers ? Number(values.workers) : os.availableParallelism();
  if (!Number.isInteger(workers) || workers < 1) throw new UsageError(`--workers must be a positive integer, got ${values.workers}`);
  const folds = values.folds ? list(values.folds).map((f) => Number(f) - 1) : undefined;
  if (folds && (folds.length < 2 || folds.some((f) => !Number.isInteger(f) || f < 0 || f > 9))) throw new UsageError('--folds takes at least two fold numbers from 1 to 10');
  const skip = new Set(list(values.skip) as Section[]);
  for (const s of skip) if (!SECTIONS.includes(s)) throw new UsageError(`unknown section to skip: ${s} (known: ${SECTIONS.join(', ')})`);
  const conditions = (values.conditions ? list(values.conditions) : Object.keys(DEGRADATIONS)) as DegradationName[];
  for (const c of conditions) if (!(c in DEGRADATIONS)) throw new UsageError(`unknown condition ${c} (known: ${Object.keys(DEGRADATIONS).join(', ')})`);

  const outDir = path.resolve(values.out ?? path.join(repoRoot, 'reports/lfw'));
  const report = await runLfw({
    dataDir,
    outDir,
    cacheDir: values['no-cache'] ? undefined : path.resolve(values.cache ?? path.join(repoRoot, '.cache/eval/lfw')),
    workers,
    backend: parseBackendRequest(values.backend ?? 'auto'),
    peer: values.peer === 'face-api' ? 'face-api' : undefined,
    folds,
    skip,
    conditions,
    quiet: values.quiet,
  });
  const v = report.verification.ours;
  const tar = (t: number): string => `${((v.tarAtFar.find((x) => x.target === t)?.tar ?? NaN) * 100).toFixed(2)}%`;
  process.stdout.write(
    [
      `ours (${report.ours.model}, ${report.ours.backend}): accuracy ${(v.tenFold.accuracy.mean * 100).toFixed(2)}% ± ${(v.tenFold.accuracy.sd * 100).toFixed(2)}, AUC ${v.auc.toFixed(5)}, EER ${(v.eer.eer * 100).toFixed(2)}%, TAR@FAR 10%/1%/0.1% ${tar(0.1)} / ${tar(0.01)} / ${tar(0.001)}`,
      report.verification.peer
        ? `face-api: accuracy ${(report.verification.peer.tenFold.accuracy.mean * 100).toFixed(2)}% ± ${(report.verification.peer.tenFold.accuracy.sd * 100).toFixed(2)}, AUC ${report.verification.peer.auc.toFixed(5)}, EER ${(report.verification.peer.eer.eer * 100).toFixed(2)}%`
        : '',
      `service threshold ${DEFAULT_THRESHOLD} (View 1 best accuracy); strict (View 1 FAR <= 0.1%): ${report.calibration.recommended}`,
      `report: ${path.join(outDir, 'report.md')} (${formatDuration(report.timing.totalSeconds)})`,
      '',
    ]
      .filter((l, i, a) => l !== '' || i === a.length - 1)
      .join('\n'),
  );
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n\n${USAGE}`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`eval failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
