/**
 * The `facegate` command line: detect, embed and verify on image files (JSON on stdout), and serve.
 * On bad input it prints one line `facegate: CODE: message` on stderr and exits with status 2.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { FacePipeline, isFaceError, parseBackendRequest, type FaceChoice } from '../models/index.js';

const USAGE = `usage:
  facegate detect IMAGE                      every face: box, score, 5 landmarks
  facegate embed IMAGE [--face F]            128-d unit embedding of one face (default: the most prominent)
  facegate verify REFERENCE PROBE [--threshold T] [--reference-face F] [--probe-face F]
                                             same person? similarity, match, threshold
  facegate serve                             start the GraphQL server (see README for its variables)
options:
  --backend auto|tensorflow|onnxruntime|wasm|cpu
                                             inference backend (default auto: TF.js native if it
                                             loads, else onnxruntime, else wasm); serve: as
                                             FACEGATE_BACKEND
  --threshold T                              cosine-similarity threshold for verify
  --face, --reference-face, --probe-face F   which face: prominent (default), largest, or an index from detect
  -h, --help`;

class UsageError extends Error {}

async function readImage(file: string | undefined): Promise<Buffer> {
  if (!file) throw new UsageError('missing image path');
  try {
    return await readFile(file);
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

function parseFace(value: string | undefined, option: string): FaceChoice | undefined {
  if (value === undefined) return undefined;
  if (value === 'prominent' || value === 'largest') return { rule: value };
  if (/^\d+$/.test(value)) return { rule: 'index', index: Number(value) };
  throw new UsageError(`--${option} must be prominent, largest or a face index, got "${value}"`);
}

async function run(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      backend: { type: 'string' },
      threshold: { type: 'string' },
      face: { type: 'string' },
      'reference-face': { type: 'string' },
      'probe-face': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, ...files] = positionals;
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (command === 'serve') {
    if (values.backend !== undefined) process.env.FACEGATE_BACKEND = parseBackendRequest(values.backend);
    const { serve } = await import('./serve.js');
    await serve();
    return;
  }
  const expected = { detect: 1, embed: 1, verify: 2 }[command];
  if (expected === undefined) throw new UsageError(`unknown command "${command}"`);
  if (files.length !== expected) throw new UsageError(`${command} takes ${expected} image path${expected > 1 ? 's' : ''}`);
  let threshold: number | undefined;
  if (values.threshold !== undefined) {
    threshold = Number(values.threshold);
    if (!Number.isFinite(threshold) || threshold < -1 || threshold > 1) throw new UsageError('--threshold must be a number in [-1, 1]');
  }
  const face = parseFace(values.face, 'face');
  const referenceFace = parseFace(values['reference-face'], 'reference-face');
  const probeFace = parseFace(values['probe-face'], 'probe-face');
  const images = await Promise.all(files.map(readImage));
  const pipeline = await FacePipeline.load({ backend: parseBackendRequest(values.backend) });
  try {
    const result =
      command === 'detect'
        ? await pipeline.detect(images[0]!)
        : command === 'embed'
          ? await pipeline.embed(images[0]!, face ? { choice: face } : {})
          : await pipeline.verify(images[0]!, images[1]!, {
              ...(threshold === undefined ? {} : { threshold }),
              ...(referenceFace ? { referenceFace } : {}),
              ...(probeFace ? { probeFace } : {}),
            });
    process.stdout.write(`${JSON.stringify({ backend: pipeline.backend, model: pipeline.model.name, ...result }, null, 2)}\n`);
  } finally {
    pipeline.dispose();
  }
}

run(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError || (error instanceof Error && error.name === 'TypeError' && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))) {
    process.stderr.write(`facegate: BAD_REQUEST: ${error.message}\n${USAGE}\n`);
    process.exitCode = 2;
  } else if (isFaceError(error)) {
    process.stderr.write(`facegate: ${error.code}: ${error.message}\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`facegate: INTERNAL: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
});
