/**
 * The client's generated GraphQL types (client/src/gql/, committed) match schema.graphql and the
 * documents in client/src, and the client typechecks against them. When this fails: `npm run codegen`.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../support/fixtures.js';

const exec = promisify(execFile);

async function run(bin: string, args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [path.join(repoRoot, bin), ...args], { cwd: repoRoot, timeout: 120_000 });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

describe('client GraphQL types', () => {
  it('client/src/gql is what `npm run codegen` generates from schema.graphql', async () => {
    const { code, output } = await run('node_modules/@graphql-codegen/cli/cjs/bin.js', ['--config', 'codegen.ts', '--check']);
    expect(code, `generated client types are stale or the documents no longer match the schema: run \`npm run codegen\`\n${output}`).toBe(0);
  });

  it('the client typechecks against them', async () => {
    const { code, output } = await run('node_modules/typescript/bin/tsc', ['-p', 'client/tsconfig.json']);
    expect(code, output).toBe(0);
  });
});
