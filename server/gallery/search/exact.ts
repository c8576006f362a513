/**
 * The in-memory search index of one gallery: every template's unit vector in one contiguous Float32Array
 * (row-major), with the subject of each row. Exact search is a full scan of dot products (cosine, as
 * the vectors are unit length) by usearch's SIMD kernels; a subject's score is its best template's.
 * Removal swaps the last row into the hole, so the matrix stays dense.
 */
import { usearch } from './usearch.js';

export interface SubjectHit {
  subjectId: string;
  similarity: number;
  /** The subject's template that scored best. */
  templateId: string;
}

export interface SubjectScore {
  best: number;
  mean: number;
  count: number;
  bestTemplateId: string;
}

export class TemplateMatrix {
  private data: Float32Array;
  private capacity: number;
  private rows = 0;
  private rowTemplate: string[] = [];
  private rowSlot: Int32Array;
  private readonly templateRow = new Map<string, number>();
  /** Subjects get small integer slots so the scan can keep one score per subject in a typed array. */
  private readonly subjectSlot = new Map<string, number>();
  private slotSubject: (string | undefined)[] = [];
  private readonly slotRows = new Map<number, Set<number>>();
  private freeSlots: number[] = [];
  /** subjectsWithTemplates[c]: how many subjects hold exactly c templates (for the scan's depth). */
  private readonly subjectsWithTemplates: number[] = [];
  private mostTemplates = 0;

  constructor(
    readonly dims: number,
    initialCapacity = 1024,
  ) {
    this.capacity = Math.max(16, initialCapacity);
    this.data = new Float32Array(this.capacity * dims);
    this.rowSlot = new Int32Array(this.capacity);
  }

  get size(): number {
    return this.rows;
  }

  get subjectCount(): number {
    return this.subjectSlot.size;
  }

  /** Bytes the vectors take (the index's bulk). */
  get vectorBytes(): number {
    return this.data.byteLength;
  }

  has(templateId: string): boolean {
    return this.templateRow.has(templateId);
  }

  hasSubject(subjectId: string): boolean {
    return this.subjectSlot.has(subjectId);
  }

  subjectOf(templateId: string): string | undefined {
    const row = this.templateRow.get(templateId);
    return row === undefined ? undefined : this.subjectAt(row);
  }

  /** The row of a template (for an ANN index built over the same rows). */
  rowOf(templateId: string): number | undefined {
    return this.templateRow.get(templateId);
  }

  vectorAt(row: number): Float32Array {
    return this.data.subarray(row * this.dims, (row + 1) * this.dims);
  }

  subjectAt(row: number): string {
    return this.slotSubject[this.rowSlot[row]!]!;
  }

  templateAt(row: number): string {
    return this.rowTemplate[row]!;
  }

  subjectTemplates(subjectId: string): string[] {
    const slot = this.subjectSlot.get(subjectId);
    if (slot === undefined) return [];
    return [...this.slotRows.get(slot)!].map((row) => this.rowTemplate[row]!);
  }

  add(templateId: string, subjectId: string, vector: Float32Array): void {
    if (vector.length !== this.dims) throw new Error(`A ${vector.length}-d vector in a ${this.dims}-d index`);
    if (this.templateRow.has(templateId)) return;
    if (this.rows === this.capacity) this.grow();
    let slot = this.subjectSlot.get(subjectId);
    if (slot === undefined) {
      slot = this.freeSlots.pop() ?? this.slotSubject.length;
      this.subjectSlot.set(subjectId, slot);
      this.slotSubject[slot] = subjectId;
      this.slotRows.set(slot, new Set());
    }
    const row = this.rows++;
    this.data.set(vector, row * this.dims);
    this.rowTemplate[row] = templateId;
    this.rowSlot[row] = slot;
    this.templateRow.set(templateId, row);
    const rowsOfSlot = this.slotRows.get(slot)!;
    rowsOfSlot.add(row);
    this.countTemplates(rowsOfSlot.size - 1, rowsOfSlot.size);
  }

  /** Removes a template; returns the row that moved into its place (old index, new index), if any. */
  remove(templateId: string): { from: number; to: number } | null {
    const row = this.templateRow.get(templateId);
    if (row === undefined) return null;
    const slot = this.rowSlot[row]!;
    const last = this.rows - 1;
    const rowsOfSlot = this.slotRows.get(slot)!;
    rowsOfSlot.delete(row);
    this.countTemplates(rowsOfSlot.size + 1, rowsOfSlot.size);
    this.templateRow.delete(templateId);
    let moved: { from: number; to: number } | null = null;
    if (row !== last) {
      const lastTemplate = this.rowTemplate[last]!;
      const lastSlot = this.rowSlot[last]!;
      this.data.copyWithin(row * this.dims, last * this.dims, (last + 1) * this.dims);
      this.rowTemplate[row] = lastTemplate;
      this.rowSlot[row] = lastSlot;
      this.templateRow.set(lastTemplate, row);
      const lastRows = this.slotRows.get(lastSlot)!;
      lastRows.delete(last);
      lastRows.add(row);
      moved = { from: last, to: row };
    }
    this.rowTemplate.length = last;
    this.rows = last;
    if (rowsOfSlot.size === 0) {
      const subjectId = this.slotSubject[slot]!;
      this.subjectSlot.delete(subjectId);
      this.slotSubject[slot] = undefined;
      this.slotRows.delete(slot);
      this.freeSlots.push(slot);
    }
    return moved;
  }

  /** Every removed row move, in order (for an ANN index that mirrors the rows). */
  removeSubject(subjectId: string): { templateId: string; moved: { from: number; to: number } | null }[] {
    return this.subjectTemplates(subjectId).map((templateId) => ({ templateId, moved: this.remove(templateId) }));
  }

  dot(row: number, query: Float32Array): number {
    const base = row * this.dims;
    const d = this.data;
    let s = 0;
    for (let j = 0; j < this.dims; j++) s += d[base + j]! * query[j]!;
    return s;
  }

  /**
   * Exact search: the `k` best subjects by their best template. The native scan returns the best rows;
   * every row ranked above the k-th subject's best template belongs to one of the k - 1 subjects before
   * it, so the best (k - 1) * mostTemplates + 1 rows hold the best template of each of the k best subjects.
   * Their similarities are then recomputed here, as scoreSubject computes them, so both report the same
   * numbers.
   */
  search(query: Float32Array, k: number): SubjectHit[] {
    if (this.rows === 0 || k < 1) return [];
    const depth = Math.min(this.rows, (k - 1) * this.mostTemplates + 1);
    // The binding reads both arrays from the start of their ArrayBuffer, whatever their byteOffset.
    const probe = query.byteOffset === 0 ? query : query.slice();
    const found = usearch.exactSearch(this.data.subarray(0, this.rows * this.dims), probe, this.dims, depth, 'ip' as never, 1);
    const rows = Array.from(found.keys, Number);
    const scored = rows.map((row) => ({ row, similarity: this.dot(row, query) }));
    scored.sort((a, b) => b.similarity - a.similarity);
    const seen = new Set<number>();
    const hits: SubjectHit[] = [];
    for (const { row, similarity } of scored) {
      const slot = this.rowSlot[row]!;
      if (seen.has(slot)) continue;
      seen.add(slot);
      hits.push({ subjectId: this.slotSubject[slot]!, similarity, templateId: this.rowTemplate[row]! });
      if (hits.length === k) break;
    }
    return hits;
  }

  /** Scores of a probe against all templates of one subject (verifyFace), or null for an unknown subject. */
  scoreSubject(subjectId: string, query: Float32Array): SubjectScore | null {
    const slot = this.subjectSlot.get(subjectId);
    if (slot === undefined) return null;
    let best = -Infinity;
    let bestRow = -1;
    let sum = 0;
    const rows = this.slotRows.get(slot)!;
    for (const row of rows) {
      const s = this.dot(row, query);
      sum += s;
      if (s > best) {
        best = s;
        bestRow = row;
      }
    }
    return { best, mean: sum / rows.size, count: rows.size, bestTemplateId: this.rowTemplate[bestRow]! };
  }

  private countTemplates(before: number, after: number): void {
    if (before > 0) this.subjectsWithTemplates[before]!--;
    if (after > 0) this.subjectsWithTemplates[after] = (this.subjectsWithTemplates[after] ?? 0) + 1;
    if (after > this.mostTemplates) this.mostTemplates = after;
    while (this.mostTemplates > 0 && !this.subjectsWithTemplates[this.mostTemplates]) this.mostTemplates--;
  }

  private grow(): void {
    this.capacity *= 2;
    const data = new Float32Array(this.capacity * this.dims);
    data.set(this.data);
    this.data = data;
    const rowSlot = new Int32Array(this.capacity);
    rowSlot.set(this.rowSlot);
    this.rowSlot = rowSlot;
  }
}
