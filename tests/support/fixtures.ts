import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** LFW lives beside the checkout in ../shared/data/lfw; override with FACEGATE_LFW_DIR. */
export const lfwDir = path.resolve(process.env.FACEGATE_LFW_DIR ?? path.join(repoRoot, '../shared/data/lfw'));
export const hasLfw = existsSync(path.join(lfwDir, 'pairs.txt'));
export const lfwSkipReason = `LFW not found at ${lfwDir}: skipping tests that need real identities`;

if (!hasLfw) console.warn(`[facegate tests] ${lfwSkipReason}`);

export function lfwImagePath(name: string, index: number): string {
  return path.join(lfwDir, 'images', name, `${name}_${String(index).padStart(4, '0')}.jpg`);
}

export function readLfwImage(name: string, index: number): Buffer {
  return readFileSync(lfwImagePath(name, index));
}

/** Sample photos shipped in @vladmandic/face-api's demo folder (always present after npm ci). */
export const sampleDir = path.join(repoRoot, 'node_modules/@vladmandic/face-api/demo');

export function samplePath(n: 1 | 2 | 3 | 4 | 5 | 6): string {
  return path.join(sampleDir, `sample${n}.jpg`);
}

export function readSample(n: 1 | 2 | 3 | 4 | 5 | 6): Buffer {
  return readFileSync(samplePath(n));
}
