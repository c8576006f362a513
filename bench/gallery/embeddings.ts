/**
 * Each LFW image embedded once, through the gallery service's own enrollment embedding
 * (`GalleryService.embedForEnrollment`: `InferenceService.embed` on the file's bytes with the API's
 * default face choice, the server's worker pool), and kept in a resumable cache so that the ten
 * people.txt sets and the View 1 calibration reuse it. `identifyFace` embeds its probe with the same
 * `InferenceService.embed` call and options, so one result serves an image as enrollment image and probe.
 * What is cached is the whole EmbeddingResult (image size, every face, the selection with its ambiguity
 * flag, the embedding) or why there was none (NO_FACE, BAD_IMAGE); face selection, the quality gate, the
 * duplicate check, the store, the index and the decision still run on every use (see `serviceTarget`).
 *
 * Cache: `.cache/gallery-eval/embed-<fingerprint>.jsonl` (git-ignored), keyed by the image's path
 * relative to the LFW folder; the fingerprint hashes the face library, the inference service, worker and
 * pool, this file and the backend, so a change to any of them starts a fresh cache.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Face, ImageInfo } from '../../models/types.js';
import type { EmbedOutcome, GalleryService } from '../../server/gallery/service.js';
import type { EmbeddingResult } from '../../server/inference/service.js';
import { decodeF32, encodeF32, hashFiles, JsonlCache, shortHash, tsFilesUnder } from '../lfw/cache.js';
import { repoRoot } from '../lfw/embed.js';
import { Progress } from '../lfw/progress.js';

type Stored =
  | { ok: true; image: ImageInfo; faces: Face[]; index: number; ambiguous: boolean; runnerUp: number | null; rule: EmbeddingResult['selection']['rule']; model: string; e: string }
  | { ok: false; reason: 'NO_FACE' | 'BAD_IMAGE'; message: string };

const CACHE_SCHEMA = 1;

export function cacheFile(backend: string): string {
  const files = [...tsFilesUnder(repoRoot, 'models'), ...tsFilesUnder(repoRoot, 'server/inference'), ...tsFilesUnder(repoRoot, 'server/pool'), 'bench/gallery/embeddings.ts'];
  const fingerprint = shortHash({ code: hashFiles(repoRoot, files), backend, CACHE_SCHEMA });
  return path.join(repoRoot, '.cache', 'gallery-eval', `embed-${fingerprint}.jsonl`);
}

function store(outcome: EmbedOutcome): Stored {
  if (!outcome.ok) return outcome;
  const r = outcome.result;
  return { ok: true, image: r.image, faces: r.faces, index: r.selection.index, ambiguous: r.selection.ambiguous, runnerUp: r.selection.runnerUp, rule: r.selection.rule, model: r.model, e: encodeF32(r.embedding) };
}

function restore(s: Stored): EmbedOutcome {
  if (!s.ok) return s;
  const face = s.faces[s.index]!;
  return {
    ok: true,
    result: {
      image: s.image,
      faces: s.faces,
      face,
      faceCount: s.faces.length,
      selection: { index: s.index, face, faceCount: s.faces.length, rule: s.rule, ambiguous: s.ambiguous, runnerUp: s.runnerUp },
      embedding: decodeF32(s.e),
      model: s.model,
      timings: { decodeMs: 0, queueMs: 0, detectMs: 0, totalMs: 0 },
    },
  };
}

export class EmbeddingCache {
  private constructor(
    private readonly cache: JsonlCache<Stored>,
    readonly lfwDir: string,
  ) {}

  static open(file: string, lfwDir: string): EmbeddingCache {
    return new EmbeddingCache(JsonlCache.open<Stored>(file), lfwDir);
  }

  get file(): string {
    return this.cache.file;
  }

  get size(): number {
    return this.cache.size;
  }

  missing(files: readonly string[]): string[] {
    return [...new Set(files)].filter((f) => !this.cache.has(this.key(f)));
  }

  /** The cached outcome of an image (absolute path); throws when it was never embedded. */
  outcome(file: string): EmbedOutcome {
    const s = this.cache.get(this.key(file));
    if (!s) throw new Error(`${file} is not in the embedding cache ${this.cache.file}`);
    return restore(s);
  }

  /**
   * Embeds the images not cached yet, `lanes` at a time, until done or `deadline` (ms, performance.now())
   * passes; returns how many are left.
   */
  async fill(gallery: GalleryService, files: readonly string[], options: { lanes: number; deadline: number }): Promise<{ computed: number; left: number; seconds: number }> {
    const started = performance.now();
    const todo = this.missing(files);
    const bar = new Progress('embed (enrollment path)', todo.length);
    let next = 0;
    let computed = 0;
    await Promise.all(
      Array.from({ length: Math.min(options.lanes, todo.length) }, async () => {
        while (next < todo.length && performance.now() < options.deadline) {
          const file = todo[next++]!;
          const bytes = new Uint8Array(await readFile(file));
          const [outcome] = await gallery.embedForEnrollment([{ bytes, filename: path.basename(file), type: 'image/jpeg' }]);
          this.cache.set(this.key(file), store(outcome!));
          computed++;
          bar.tick();
        }
      }),
    );
    bar.finish();
    await this.cache.close();
    return { computed, left: todo.length - computed, seconds: (performance.now() - started) / 1000 };
  }

  private key(file: string): string {
    return path.relative(this.lfwDir, file);
  }
}
