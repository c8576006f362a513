/** Row encodings shared by both engines: vectors as little-endian float32 bytes, JSON columns. */
import type { QualityFigures } from '../types.js';

export function vectorToBytes(vector: Float32Array): Buffer {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
}

/** Copies: the returned vector owns its memory (a driver's buffer may be pooled). */
export function bytesToVector(bytes: Uint8Array): Float32Array {
  if (bytes.byteLength % 4 !== 0) throw new Error(`A stored vector has ${bytes.byteLength} bytes, not a multiple of 4`);
  const out = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

export function parseJson<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

export function parseQuality(value: unknown): QualityFigures {
  return parseJson<QualityFigures>(value);
}

export function nowIso(): string {
  return new Date().toISOString();
}
