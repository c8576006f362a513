import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A fresh temporary directory (a throwaway SQLite gallery for a benchmark run). */
export function tempDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'facegate-bench-'));
}
