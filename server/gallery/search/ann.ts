/**
 * The approximate index: an HNSW graph from usearch, cosine metric, f32. Graph keys are counters; this class maps
 * them to template ids. Removal marks a key removed in the graph; GalleryIndex rebuilds the graph when a
 * quarter of it is removed.
 */
import { usearch } from './usearch.js';

export const ANN_CONNECTIVITY = 16;
export const ANN_EXPANSION_ADD = 64;
/**
 * Candidates per search. bench:gallery at 100k synthetic templates (embedding-like cone, 2026-12-03):
 * recall@1 68% at 96, 95% at 512 (search p50 7.5 ms against the exact scan's 28 ms); M=32 with
 * efConstruction 200 and 256 reached 99% but took 145 s instead of 33 s to build, which a server pays at
 * start, so the build parameters stay.
 */
export const ANN_EXPANSION_SEARCH = 512;

/** HNSW build parameters: graph degree (M) and the candidate list while inserting (efConstruction). */
export interface AnnParams {
  connectivity: number;
  expansionAdd: number;
}

export class AnnGraph {
  private readonly index: InstanceType<typeof usearch.Index>;
  private nextKey = 1n;
  private readonly keyOf = new Map<string, bigint>();
  private readonly templateOf = new Map<bigint, string>();
  private removed = 0;

  constructor(
    readonly dims: number,
    params: Partial<AnnParams> = {},
  ) {
    this.index = new usearch.Index({
      metric: 'cos' as never,
      dimensions: dims,
      connectivity: params.connectivity ?? ANN_CONNECTIVITY,
      quantization: 'f32' as never,
      expansion_add: params.expansionAdd ?? ANN_EXPANSION_ADD,
      expansion_search: ANN_EXPANSION_SEARCH,
    } as never);
  }

  get size(): number {
    return this.keyOf.size;
  }

  removedShare(): number {
    const all = this.keyOf.size + this.removed;
    return all === 0 ? 0 : this.removed / all;
  }

  add(templateId: string, vector: Float32Array): void {
    if (this.keyOf.has(templateId)) return;
    const key = this.nextKey++;
    this.index.add(key, vector, 1);
    this.keyOf.set(templateId, key);
    this.templateOf.set(key, templateId);
  }

  /** Many at once (multi-threaded inside usearch). */
  addBulk(templateIds: readonly string[], vectorAt: (i: number) => Float32Array): void {
    if (templateIds.length === 0) return;
    const keys = new BigUint64Array(templateIds.length);
    const vectors = new Float32Array(templateIds.length * this.dims);
    templateIds.forEach((templateId, i) => {
      const key = this.nextKey++;
      keys[i] = key;
      vectors.set(vectorAt(i), i * this.dims);
      this.keyOf.set(templateId, key);
      this.templateOf.set(key, templateId);
    });
    this.index.add(keys, vectors, 0);
  }

  remove(templateId: string): void {
    const key = this.keyOf.get(templateId);
    if (key === undefined) return;
    this.index.remove(key);
    this.keyOf.delete(templateId);
    this.templateOf.delete(key);
    this.removed++;
  }

  /** Template ids of the `count` nearest graph entries. */
  search(query: Float32Array, count: number): string[] {
    const found = this.index.search(query, Math.min(count, Math.max(1, this.keyOf.size)), 1);
    const out: string[] = [];
    for (const key of found.keys) {
      const templateId = this.templateOf.get(key);
      if (templateId !== undefined) out.push(templateId);
    }
    return out;
  }
}
