/**
 * Append-only JSON-lines cache of per-image results, one file per variant. Each line is one image's record
 * (`{"k": key, ...}`); a rerun loads what is there and computes only what is missing, so an interrupted
 * run resumes. A torn last line (the run was killed mid-write) is ignored.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, statSync, type WriteStream } from 'node:fs';
import path from 'node:path';

export function encodeF32(v: Float32Array): string {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
}

export function decodeF32(s: string): Float32Array {
  const bytes = Buffer.from(s, 'base64');
  const out = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

/** `file` '' keeps records in memory only. */
export class JsonlCache<V extends object> {
  private readonly map = new Map<string, V>();
  private stream: WriteStream | undefined;

  private constructor(readonly file: string) {}

  static open<V extends object>(file: string): JsonlCache<V> {
    const c = new JsonlCache<V>(file);
    if (file && existsSync(file)) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (!line) continue;
        try {
          const { k, ...rest } = JSON.parse(line) as { k: string } & V;
          c.map.set(k, rest as unknown as V);
        } catch {
          // torn line from an interrupted run: recomputed
        }
      }
    }
    return c;
  }

  get size(): number {
    return this.map.size;
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  get(key: string): V | undefined {
    return this.map.get(key);
  }

  entries(): IterableIterator<[string, V]> {
    return this.map.entries();
  }

  set(key: string, value: V): void {
    this.map.set(key, value);
    if (!this.file) return; // memory only
    if (!this.stream) {
      mkdirSync(path.dirname(this.file), { recursive: true });
      this.stream = createWriteStream(this.file, { flags: 'a' });
    }
    this.stream.write(`${JSON.stringify({ k: key, ...value })}\n`);
  }

  async close(): Promise<void> {
    const s = this.stream;
    this.stream = undefined;
    if (s) await new Promise<void>((resolve, reject) => s.end((e?: Error | null) => (e ? reject(e) : resolve())));
  }
}

/** sha256 over the contents of files (paths relative to `root`, sorted), for cache keys. */
export function hashFiles(root: string, files: readonly string[]): string {
  const h = createHash('sha256');
  for (const f of [...files].sort()) {
    h.update(f);
    h.update('\0');
    h.update(readFileSync(path.join(root, f)));
    h.update('\0');
  }
  return h.digest('hex');
}

/** Every `.ts` file under `dir` (recursive), relative to `root`. */
export function tsFilesUnder(root: string, dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(path.join(root, d))) {
      const rel = path.join(d, name);
      if (statSync(path.join(root, rel)).isDirectory()) walk(rel);
      else if (name.endsWith('.ts')) out.push(rel);
    }
  };
  walk(dir);
  return out;
}

export function shortHash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 12);
}
