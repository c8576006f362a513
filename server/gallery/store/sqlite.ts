/**
 * The embedded store: one SQLite file (better-sqlite3) in the data directory, WAL journal, foreign keys
 * on, `synchronous=NORMAL` (durable at every checkpoint; a power cut may lose the last transactions but
 * never corrupts the file). better-sqlite3 is synchronous: each method is one short transaction on the
 * event loop, so concurrent requests cannot interleave inside one.
 *
 * One process writes a SQLite gallery; replicas that share a gallery need PostgreSQL.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { ApiKeyRecord, ChangeEvent, GalleryRecord, Page, SubjectRecord, TemplateSummary } from '../types.js';
import { bytesToVector, nowIso, parseJson, parseQuality, vectorToBytes } from './codec.js';
import { MIGRATIONS } from './migrations.js';
import {
  StoreConflictError,
  type Erased,
  type GalleryPatch,
  type GalleryStore,
  type NewGallery,
  type NewSubject,
  type NewTemplate,
  type WriteGuard,
  type PageRequest,
  type SubjectPatch,
} from './store.js';

type Row = Record<string, unknown>;

export const SQLITE_FILE_NAME = 'facegate.sqlite';

function galleryFrom(row: Row): GalleryRecord {
  return {
    id: row['id'] as string,
    name: row['name'] as string,
    storeImages: row['store_images'] === 1,
    matchPolicy: parseJson(row['match_policy']),
    qualityPolicy: parseJson(row['quality_policy']),
    createdAt: row['created_at'] as string,
    updatedAt: row['updated_at'] as string,
    seq: Number(row['seq']),
  };
}

function subjectFrom(row: Row): SubjectRecord {
  return {
    id: row['id'] as string,
    galleryId: row['gallery_id'] as string,
    externalId: (row['external_id'] as string | null) ?? null,
    displayName: (row['display_name'] as string | null) ?? null,
    metadata: row['metadata'] == null ? null : parseJson(row['metadata']),
    createdAt: row['created_at'] as string,
    updatedAt: row['updated_at'] as string,
    seq: Number(row['seq']),
  };
}

function templateFrom(row: Row): TemplateSummary {
  return {
    id: row['id'] as string,
    subjectId: row['subject_id'] as string,
    galleryId: row['gallery_id'] as string,
    vector: bytesToVector(row['vector'] as Uint8Array),
    model: row['model'] as string,
    modelVersion: row['model_version'] as string,
    quality: parseQuality(row['quality']),
    hasImage: row['has_image'] === 1,
    imageType: (row['image_type'] as string | null) ?? null,
    createdAt: row['created_at'] as string,
    seq: Number(row['seq']),
  };
}

function keyFrom(row: Row): ApiKeyRecord {
  return {
    id: row['id'] as string,
    name: row['name'] as string,
    prefix: row['prefix'] as string,
    secretHash: row['secret_hash'] as string,
    grants: parseJson(row['grants']),
    createdAt: row['created_at'] as string,
    revokedAt: (row['revoked_at'] as string | null) ?? null,
    seq: Number(row['seq']),
  };
}

const TEMPLATE_COLUMNS = 'seq, id, subject_id, gallery_id, vector, model, model_version, quality, image IS NOT NULL AS has_image, image_type, created_at';

function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE';
}

export class SqliteGalleryStore implements GalleryStore {
  readonly kind = 'sqlite' as const;
  readonly location: string;
  private readonly db: Database.Database;

  private constructor(file: string) {
    this.location = file;
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
  }

  /** Opens (creating) `<dataDir>/facegate.sqlite` and migrates it; `:memory:` for a throwaway store. */
  static open(dataDir: string | ':memory:'): SqliteGalleryStore {
    let file: string = dataDir;
    if (dataDir !== ':memory:') {
      mkdirSync(dataDir, { recursive: true });
      file = path.join(dataDir, SQLITE_FILE_NAME);
    }
    const store = new SqliteGalleryStore(file);
    store.migrate();
    return store;
  }

  /** The journal mode in force (tests check that WAL is on). */
  journalMode(): string {
    return String(this.db.pragma('journal_mode', { simple: true }));
  }

  schemaVersion(): number {
    const row = this.db.prepare('SELECT MAX(version) AS v FROM facegate_migrations').get() as { v: number | null };
    return row.v ?? 0;
  }

  private migrate(): void {
    this.db.exec('CREATE TABLE IF NOT EXISTS facegate_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
    const current = this.schemaVersion();
    for (const migration of MIGRATIONS) {
      if (migration.version <= current) continue;
      this.db.transaction(() => {
        this.db.exec(migration.sqlite);
        this.db.prepare('INSERT INTO facegate_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(migration.version, migration.name, nowIso());
      })();
    }
  }

  async createGallery(g: NewGallery): Promise<GalleryRecord> {
    const now = nowIso();
    try {
      this.db
        .prepare('INSERT INTO galleries (id, name, store_images, match_policy, quality_policy, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(g.id, g.name, g.storeImages ? 1 : 0, JSON.stringify(g.matchPolicy), JSON.stringify(g.qualityPolicy), now, now);
    } catch (error) {
      if (isUniqueViolation(error)) throw new StoreConflictError('DUPLICATE_GALLERY_NAME', `A gallery named ${JSON.stringify(g.name)} exists`);
      throw error;
    }
    return (await this.getGallery(g.id))!;
  }

  async getGallery(id: string): Promise<GalleryRecord | null> {
    const row = this.db.prepare('SELECT * FROM galleries WHERE id = ?').get(id) as Row | undefined;
    return row ? galleryFrom(row) : null;
  }

  async listGalleries(page: PageRequest, ids?: readonly string[] | null): Promise<Page<GalleryRecord>> {
    const filter = ids ? `id IN (SELECT value FROM json_each(?))` : '1 = 1';
    const params: unknown[] = ids ? [JSON.stringify(ids)] : [];
    const rows = this.db
      .prepare(`SELECT * FROM galleries WHERE ${filter} AND seq > ? ORDER BY seq LIMIT ?`)
      .all(...params, page.afterSeq ?? 0, page.first + 1) as Row[];
    const total = this.db.prepare(`SELECT COUNT(*) AS n FROM galleries WHERE ${filter}`).get(...params) as { n: number };
    return { items: rows.slice(0, page.first).map(galleryFrom), hasNextPage: rows.length > page.first, totalCount: total.n };
  }

  async updateGallery(id: string, patch: GalleryPatch): Promise<GalleryRecord> {
    const current = await this.getGallery(id);
    if (!current) throw new StoreConflictError('NOT_FOUND', `No gallery ${id}`);
    const next = { ...current, ...patch };
    try {
      this.db
        .prepare('UPDATE galleries SET name = ?, store_images = ?, match_policy = ?, quality_policy = ?, updated_at = ? WHERE id = ?')
        .run(next.name, next.storeImages ? 1 : 0, JSON.stringify(next.matchPolicy), JSON.stringify(next.qualityPolicy), nowIso(), id);
    } catch (error) {
      if (isUniqueViolation(error)) throw new StoreConflictError('DUPLICATE_GALLERY_NAME', `A gallery named ${JSON.stringify(next.name)} exists`);
      throw error;
    }
    return (await this.getGallery(id))!;
  }

  async deleteGallery(id: string): Promise<Erased> {
    return this.db.transaction((): Erased => {
      const counts = this.db
        .prepare('SELECT COUNT(*) AS templates, COUNT(image) AS images FROM templates WHERE gallery_id = ?')
        .get(id) as { templates: number; images: number };
      const subjects = (this.db.prepare('SELECT COUNT(*) AS n FROM subjects WHERE gallery_id = ?').get(id) as { n: number }).n;
      const result = this.db.prepare('DELETE FROM galleries WHERE id = ?').run(id);
      if (result.changes === 0) throw new StoreConflictError('NOT_FOUND', `No gallery ${id}`);
      return { subjects, templates: counts.templates, images: counts.images };
    })();
  }

  async createSubject(s: NewSubject, maxSubjects: number): Promise<SubjectRecord> {
    const now = nowIso();
    this.db.transaction(() => {
      const { n } = this.db.prepare('SELECT COUNT(*) AS n FROM subjects WHERE gallery_id = ?').get(s.galleryId) as { n: number };
      if (n >= maxSubjects) throw new StoreConflictError('SUBJECT_LIMIT', `The gallery holds its limit of ${maxSubjects} subjects`);
      try {
        this.db
          .prepare('INSERT INTO subjects (id, gallery_id, external_id, display_name, metadata, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
          .run(s.id, s.galleryId, s.externalId, s.displayName, s.metadata == null ? null : JSON.stringify(s.metadata), now, now);
      } catch (error) {
        if (isUniqueViolation(error)) throw new StoreConflictError('DUPLICATE_EXTERNAL_ID', `externalId ${JSON.stringify(s.externalId)} is taken in this gallery`);
        throw error;
      }
    })();
    return (await this.getSubject(s.id))!;
  }

  async getSubject(id: string): Promise<SubjectRecord | null> {
    const row = this.db.prepare('SELECT * FROM subjects WHERE id = ?').get(id) as Row | undefined;
    return row ? subjectFrom(row) : null;
  }

  async getSubjectByExternalId(galleryId: string, externalId: string): Promise<SubjectRecord | null> {
    const row = this.db.prepare('SELECT * FROM subjects WHERE gallery_id = ? AND external_id = ?').get(galleryId, externalId) as Row | undefined;
    return row ? subjectFrom(row) : null;
  }

  async listSubjects(galleryId: string, page: PageRequest): Promise<Page<SubjectRecord>> {
    const rows = this.db
      .prepare('SELECT * FROM subjects WHERE gallery_id = ? AND seq > ? ORDER BY seq LIMIT ?')
      .all(galleryId, page.afterSeq ?? 0, page.first + 1) as Row[];
    const total = this.db.prepare('SELECT COUNT(*) AS n FROM subjects WHERE gallery_id = ?').get(galleryId) as { n: number };
    return { items: rows.slice(0, page.first).map(subjectFrom), hasNextPage: rows.length > page.first, totalCount: total.n };
  }

  async updateSubject(id: string, patch: SubjectPatch): Promise<SubjectRecord> {
    const current = await this.getSubject(id);
    if (!current) throw new StoreConflictError('NOT_FOUND', `No subject ${id}`);
    const next = { ...current, ...patch };
    try {
      this.db
        .prepare('UPDATE subjects SET external_id = ?, display_name = ?, metadata = ?, updated_at = ? WHERE id = ?')
        .run(next.externalId, next.displayName, next.metadata == null ? null : JSON.stringify(next.metadata), nowIso(), id);
    } catch (error) {
      if (isUniqueViolation(error)) throw new StoreConflictError('DUPLICATE_EXTERNAL_ID', `externalId ${JSON.stringify(next.externalId)} is taken in this gallery`);
      throw error;
    }
    return (await this.getSubject(id))!;
  }

  async deleteSubject(id: string): Promise<Erased> {
    return this.db.transaction((): Erased => {
      const counts = this.db
        .prepare('SELECT COUNT(*) AS templates, COUNT(image) AS images FROM templates WHERE subject_id = ?')
        .get(id) as { templates: number; images: number };
      this.db.prepare('DELETE FROM templates WHERE subject_id = ?').run(id);
      const result = this.db.prepare('DELETE FROM subjects WHERE id = ?').run(id);
      if (result.changes === 0) throw new StoreConflictError('NOT_FOUND', `No subject ${id}`);
      return { subjects: 1, templates: counts.templates, images: counts.images };
    })();
  }

  async addTemplates(subjectId: string, candidates: readonly NewTemplate[], maxTemplates: number, guard?: WriteGuard): Promise<TemplateSummary[]> {
    // One synchronous transaction of the only writer: nothing else writes between the guard's read and the insert.
    const ids = this.db.transaction((): string[] => {
      const subject = this.db.prepare('SELECT gallery_id FROM subjects WHERE id = ?').get(subjectId) as { gallery_id: string } | undefined;
      if (!subject) throw new StoreConflictError('NOT_FOUND', `No subject ${subjectId}`);
      let templates = candidates;
      if (guard) {
        const rows = this.db.prepare(`SELECT ${TEMPLATE_COLUMNS} FROM templates WHERE gallery_id = ? AND seq > ? ORDER BY seq`).all(subject.gallery_id, guard.afterSeq) as Row[];
        templates = guard.choose(rows.map(templateFrom));
        if (templates.length === 0) return [];
      }
      const { n } = this.db.prepare('SELECT COUNT(*) AS n FROM templates WHERE subject_id = ?').get(subjectId) as { n: number };
      if (n + templates.length > maxTemplates) {
        throw new StoreConflictError('TEMPLATE_LIMIT', `The subject holds ${n} templates; ${templates.length} more would pass the limit of ${maxTemplates}`);
      }
      const insert = this.db.prepare(
        'INSERT INTO templates (id, subject_id, gallery_id, vector, model, model_version, quality, image, image_type, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      );
      const now = nowIso();
      for (const t of templates) {
        insert.run(t.id, subjectId, subject.gallery_id, vectorToBytes(t.vector), t.model, t.modelVersion, JSON.stringify(t.quality), t.image, t.imageType, now);
      }
      this.db.prepare('UPDATE subjects SET updated_at = ? WHERE id = ?').run(now, subjectId);
      return templates.map((t) => t.id);
    })();
    const rows = this.db
      .prepare(`SELECT ${TEMPLATE_COLUMNS} FROM templates WHERE id IN (SELECT value FROM json_each(?)) ORDER BY seq`)
      .all(JSON.stringify(ids)) as Row[];
    return rows.map(templateFrom);
  }

  async listTemplates(subjectId: string): Promise<TemplateSummary[]> {
    const rows = this.db.prepare(`SELECT ${TEMPLATE_COLUMNS} FROM templates WHERE subject_id = ? ORDER BY seq`).all(subjectId) as Row[];
    return rows.map(templateFrom);
  }

  async getTemplateOwner(templateId: string): Promise<{ subjectId: string; galleryId: string } | null> {
    const row = this.db.prepare('SELECT subject_id, gallery_id FROM templates WHERE id = ?').get(templateId) as Row | undefined;
    return row ? { subjectId: row['subject_id'] as string, galleryId: row['gallery_id'] as string } : null;
  }

  async getTemplateImage(templateId: string): Promise<{ image: Uint8Array; imageType: string | null } | null> {
    const row = this.db.prepare('SELECT image, image_type FROM templates WHERE id = ?').get(templateId) as Row | undefined;
    if (!row || row['image'] == null) return null;
    return { image: row['image'] as Uint8Array, imageType: (row['image_type'] as string | null) ?? null };
  }

  async deleteTemplate(templateId: string): Promise<{ subjectId: string; galleryId: string; hadImage: boolean } | null> {
    return this.db.transaction(() => {
      const row = this.db.prepare('SELECT subject_id, gallery_id, image IS NOT NULL AS has_image FROM templates WHERE id = ?').get(templateId) as Row | undefined;
      if (!row) return null;
      this.db.prepare('DELETE FROM templates WHERE id = ?').run(templateId);
      return { subjectId: row['subject_id'] as string, galleryId: row['gallery_id'] as string, hadImage: row['has_image'] === 1 };
    })();
  }

  async loadTemplates(galleryId: string): Promise<TemplateSummary[]> {
    const rows = this.db.prepare(`SELECT ${TEMPLATE_COLUMNS} FROM templates WHERE gallery_id = ? ORDER BY seq`).all(galleryId) as Row[];
    return rows.map(templateFrom);
  }

  async countSubjectRows(subjectId: string): Promise<{ subjects: number; templates: number; images: number }> {
    const s = this.db.prepare('SELECT COUNT(*) AS n FROM subjects WHERE id = ?').get(subjectId) as { n: number };
    const t = this.db.prepare('SELECT COUNT(*) AS n, COUNT(image) AS i FROM templates WHERE subject_id = ?').get(subjectId) as { n: number; i: number };
    return { subjects: s.n, templates: t.n, images: t.i };
  }

  async countGallery(galleryId: string): Promise<{ subjects: number; templates: number }> {
    const s = this.db.prepare('SELECT COUNT(*) AS n FROM subjects WHERE gallery_id = ?').get(galleryId) as { n: number };
    const t = this.db.prepare('SELECT COUNT(*) AS n FROM templates WHERE gallery_id = ?').get(galleryId) as { n: number };
    return { subjects: s.n, templates: t.n };
  }

  async createApiKey(key: Omit<ApiKeyRecord, 'seq' | 'createdAt' | 'revokedAt'>): Promise<ApiKeyRecord> {
    this.db
      .prepare('INSERT INTO api_keys (id, name, prefix, secret_hash, grants, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(key.id, key.name, key.prefix, key.secretHash, JSON.stringify(key.grants), nowIso());
    return keyFrom(this.db.prepare('SELECT * FROM api_keys WHERE id = ?').get(key.id) as Row);
  }

  async getApiKeyByPrefix(prefix: string): Promise<ApiKeyRecord | null> {
    const row = this.db.prepare('SELECT * FROM api_keys WHERE prefix = ?').get(prefix) as Row | undefined;
    return row ? keyFrom(row) : null;
  }

  async listApiKeys(): Promise<ApiKeyRecord[]> {
    return (this.db.prepare('SELECT * FROM api_keys ORDER BY seq').all() as Row[]).map(keyFrom);
  }

  async revokeApiKey(id: string): Promise<ApiKeyRecord | null> {
    this.db.prepare('UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?').run(nowIso(), id);
    const row = this.db.prepare('SELECT * FROM api_keys WHERE id = ?').get(id) as Row | undefined;
    return row ? keyFrom(row) : null;
  }

  onChange(_listener: (event: ChangeEvent) => void): () => void {
    return () => undefined;
  }

  async publish(_event: ChangeEvent): Promise<void> {
    // One process owns a SQLite gallery: nobody to tell.
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
