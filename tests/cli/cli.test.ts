import { execFile } from 'node:child_process';
import { existsSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { hasLfw, lfwImagePath, lfwSkipReason, repoRoot, samplePath } from '../support/fixtures.js';

const run = promisify(execFile);
const bin = path.join(repoRoot, 'bin/facegate.js');

/** Runs the built CLI (npm test builds dist/ first) and returns exit code, stdout and stderr. */
async function facegate(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { cwd: repoRoot });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(() => {
  if (!existsSync(path.join(repoRoot, 'dist/server/cli.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does)');
});

describe('facegate CLI', () => {
  it('detect prints every face with box, score and five landmarks as JSON', async () => {
    const { code, stdout } = await facegate('detect', samplePath(4));
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.backend).toBe('onnxruntime');
    expect(result.faces).toHaveLength(4);
    expect(Object.keys(result.faces[0].landmarks).sort()).toEqual(['leftEye', 'mouthLeft', 'mouthRight', 'nose', 'rightEye']);
  });

  it('--backend picks the engine by name and reports it: the same faces on wasm', async () => {
    const { code, stdout } = await facegate('detect', samplePath(4), '--backend', 'wasm');
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.backend).toBe('wasm');
    expect(result.faces).toHaveLength(4);
  });

  it('embed prints a 128-d unit vector', async () => {
    const { code, stdout } = await facegate('embed', samplePath(3));
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.embedding).toHaveLength(128);
    expect(Math.hypot(...result.embedding)).toBeCloseTo(1, 4);
    expect(result.model).toBe('dlib-resnet-v1');
  });

  it('fails with a one-line coded error and a non-zero exit on bad input', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'facegate-cli-'));
    const fake = path.join(dir, 'photo.jpg');
    writeFileSync(fake, 'this is a text file named .jpg\n');
    const bad = await facegate('embed', fake);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toMatch(/^facegate: UNSUPPORTED_FORMAT: .+$/);
    const missing = await facegate('verify', samplePath(1));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^facegate: BAD_REQUEST: verify takes 2 image paths/);
    const unknown = await facegate('frobnicate', samplePath(1));
    expect(unknown.code).toBe(2);
  });

  describe.skipIf(!hasLfw)('verify on LFW', () => {
    it('says no match for two different people and match for two photos of one person', async () => {
      const different = await facegate('verify', lfwImagePath('Aaron_Eckhart', 1), lfwImagePath('Aaron_Peirsol', 1));
      expect(different.code).toBe(0);
      expect(JSON.parse(different.stdout)).toMatchObject({ match: false, model: 'dlib-resnet-v1' });
      const same = await facegate('verify', lfwImagePath('George_W_Bush', 1), lfwImagePath('George_W_Bush', 2));
      expect(JSON.parse(same.stdout).match).toBe(true);
      const strict = await facegate('verify', lfwImagePath('George_W_Bush', 1), lfwImagePath('George_W_Bush', 2), '--threshold', '0.999');
      expect(JSON.parse(strict.stdout)).toMatchObject({ match: false, threshold: 0.999 });
    });
  });
  if (!hasLfw) it.skip(lfwSkipReason, () => {});
});
