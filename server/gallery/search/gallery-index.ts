/**
 * One gallery's search index: the exact template matrix, and, when configured, past `annMinTemplates`
 * an HNSW graph over the same templates whose candidates are re-ranked exactly (every template of each
 * candidate subject is scored, so the answer for the subjects found is the exact one; only a subject the
 * graph misses altogether can be lost, which bench:gallery measures as recall@1).
 */
import { ANN_EXPANSION_SEARCH, AnnGraph, type AnnParams } from './ann.js';
import { TemplateMatrix, type SubjectHit, type SubjectScore } from './exact.js';

export type SearchMethod = 'EXACT' | 'ANN';

export interface SearchResult {
  hits: SubjectHit[];
  method: SearchMethod;
  templatesSearched: number;
  subjectsSearched: number;
}

export interface IndexOptions {
  dims: number;
  /** Size from which searches go through the HNSW graph; null: exact at every size. */
  annMinTemplates: number | null;
  /** HNSW candidates per search (efSearch); more: better recall, slower. */
  efSearch?: number;
  /** HNSW build parameters (default ann.ts's). */
  ann?: Partial<AnnParams>;
}

export class GalleryIndex {
  readonly matrix: TemplateMatrix;
  private ann: AnnGraph | null = null;
  /**
   * Every template the store holds with a seq up to this one is in the index (or is of another model):
   * the enrollment duplicate check reads the templates after it from the store (GalleryStore.addTemplates).
   */
  storedThrough = 0;

  constructor(private readonly options: IndexOptions) {
    this.matrix = new TemplateMatrix(options.dims);
  }

  get size(): number {
    return this.matrix.size;
  }

  get subjectCount(): number {
    return this.matrix.subjectCount;
  }

  get annActive(): boolean {
    return this.ann !== null;
  }

  add(templateId: string, subjectId: string, vector: Float32Array): void {
    if (this.matrix.has(templateId)) return;
    this.matrix.add(templateId, subjectId, vector);
    if (this.ann) this.ann.add(templateId, vector);
    else if (this.options.annMinTemplates !== null && this.matrix.size >= this.options.annMinTemplates) this.buildAnn();
  }

  /**
   * Makes the index hold exactly `templates` (a resync after the replica missed changes): what is gone is
   * removed, what is new is added, the rest stays. An HNSW graph is updated in place, as for single
   * changes, instead of rebuilt: at 100k templates a rebuild runs about a minute on the event loop.
   */
  syncTo(templates: readonly { id: string; subjectId: string; vector: Float32Array }[]): { added: number; removed: number } {
    const wanted = new Set(templates.map((t) => t.id));
    const gone: string[] = [];
    for (let row = 0; row < this.matrix.size; row++) {
      const templateId = this.matrix.templateAt(row);
      if (!wanted.has(templateId)) gone.push(templateId);
    }
    for (const templateId of gone) this.removeTemplate(templateId);
    let added = 0;
    for (const t of templates) {
      if (this.matrix.has(t.id)) continue;
      this.add(t.id, t.subjectId, t.vector);
      added++;
    }
    return { added, removed: gone.length };
  }

  removeTemplate(templateId: string): void {
    if (!this.matrix.has(templateId)) return;
    this.ann?.remove(templateId);
    this.matrix.remove(templateId);
    this.afterRemoval();
  }

  removeSubject(subjectId: string): void {
    for (const templateId of this.matrix.subjectTemplates(subjectId)) this.removeTemplate(templateId);
  }

  /** Makes the subject's templates exactly `templates` (a change another replica made). */
  replaceSubject(subjectId: string, templates: readonly { id: string; vector: Float32Array }[]): void {
    const keep = new Set(templates.map((t) => t.id));
    for (const templateId of this.matrix.subjectTemplates(subjectId)) if (!keep.has(templateId)) this.removeTemplate(templateId);
    for (const t of templates) this.add(t.id, subjectId, t.vector);
  }

  scoreSubject(subjectId: string, query: Float32Array): SubjectScore | null {
    return this.matrix.scoreSubject(subjectId, query);
  }

  search(query: Float32Array, k: number, excludeSubject?: string): SearchResult {
    const want = excludeSubject ? k + 1 : k;
    let hits: SubjectHit[];
    let method: SearchMethod = 'EXACT';
    if (this.ann) {
      method = 'ANN';
      hits = this.annSearch(query, want);
    } else {
      hits = this.matrix.search(query, want);
    }
    if (excludeSubject) hits = hits.filter((h) => h.subjectId !== excludeSubject);
    return { hits: hits.slice(0, k), method, templatesSearched: this.matrix.size, subjectsSearched: this.matrix.subjectCount };
  }

  /** The exact answer, whatever the size (bench: recall of the ANN path against it). */
  exactSearch(query: Float32Array, k: number): SubjectHit[] {
    return this.matrix.search(query, k);
  }

  private annSearch(query: Float32Array, k: number): SubjectHit[] {
    const ef = Math.max(this.options.efSearch ?? ANN_EXPANSION_SEARCH, k * 8);
    const subjects = new Set<string>();
    for (const templateId of this.ann!.search(query, ef)) {
      const subjectId = this.matrix.subjectOf(templateId);
      if (subjectId !== undefined) subjects.add(subjectId);
    }
    const hits: SubjectHit[] = [];
    for (const subjectId of subjects) {
      const score = this.matrix.scoreSubject(subjectId, query)!;
      hits.push({ subjectId, similarity: score.best, templateId: score.bestTemplateId });
    }
    hits.sort((a, b) => b.similarity - a.similarity);
    return hits.slice(0, k);
  }

  private buildAnn(): void {
    const ann = new AnnGraph(this.options.dims, this.options.ann);
    const ids: string[] = [];
    for (let row = 0; row < this.matrix.size; row++) ids.push(this.matrix.templateAt(row));
    ann.addBulk(ids, (i) => this.matrix.vectorAt(i));
    this.ann = ann;
  }

  private afterRemoval(): void {
    if (!this.ann) return;
    if (this.options.annMinTemplates === null || this.matrix.size < this.options.annMinTemplates / 2) this.ann = null;
    else if (this.ann.removedShare() > 0.25) this.buildAnn();
  }

  /** Builds the graph now (bench: to time the build apart from the first insert past the size). */
  forceAnn(): void {
    this.buildAnn();
  }
}
