/**
 * The shared store: PostgreSQL through `pg`, for several replicas on one database. Migrations run under
 * an advisory lock (two replicas starting together migrate once). Writes that check and then insert lock
 * the subject row (`SELECT ... FOR UPDATE`), so parallel enrollments cannot pass a limit.
 *
 * Replicas learn of each other's changes through LISTEN/NOTIFY on one channel: each change is a small
 * JSON payload (ids only, never a vector) sent after its transaction commits; a replica reloads what the
 * event names from the database. The listening connection reconnects when it drops and then asks for a
 * full resync, since notifications sent while it was away are lost.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Logger } from '../../logger.js';
import type { ApiKeyRecord, ChangeEvent, GalleryRecord, Page, SubjectRecord, TemplateSummary } from '../types.js';
import { bytesToVector, vectorToBytes } from './codec.js';
import { MIGRATIONS } from './migrations.js';
import { asUnavailable } from './pg-errors.js';
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

export const CHANGE_CHANNEL = 'facegate_gallery';
const MIGRATION_LOCK = 7_311_011;

type Row = Record<string, unknown>;

const iso = (value: unknown): string => (value instanceof Date ? value.toISOString() : String(value));

function galleryFrom(row: Row): GalleryRecord {
  return {
    id: row['id'] as string,
    name: row['name'] as string,
    storeImages: row['store_images'] as boolean,
    matchPolicy: row['match_policy'] as GalleryRecord['matchPolicy'],
    qualityPolicy: row['quality_policy'] as GalleryRecord['qualityPolicy'],
    createdAt: iso(row['created_at']),
    updatedAt: iso(row['updated_at']),
    seq: Number(row['seq']),
  };
}

function subjectFrom(row: Row): SubjectRecord {
  return {
    id: row['id'] as string,
    galleryId: row['gallery_id'] as string,
    externalId: (row['external_id'] as string | null) ?? null,
    displayName: (row['display_name'] as string | null) ?? null,
    metadata: (row['metadata'] as SubjectRecord['metadata']) ?? null,
    createdAt: iso(row['created_at']),
    updatedAt: iso(row['updated_at']),
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
    quality: row['quality'] as TemplateSummary['quality'],
    hasImage: row['has_image'] === true,
    imageType: (row['image_type'] as string | null) ?? null,
    createdAt: iso(row['created_at']),
    seq: Number(row['seq']),
  };
}

function keyFrom(row: Row): ApiKeyRecord {
  return {
    id: row['id'] as string,
    name: row['name'] as string,
    prefix: row['prefix'] as string,
    secretHash: row['secret_hash'] as string,
    grants: row['grants'] as ApiKeyRecord['grants'],
    createdAt: iso(row['created_at']),
    revokedAt: row['revoked_at'] == null ? null : iso(row['revoked_at']),
    seq: Number(row['seq']),
  };
}

/** First key of the advisory lock that serialises template writes per gallery (the second: hashtext(gallery id)). */
const GALLERY_WRITE_LOCK = 0x46474c57;

const TEMPLATE_COLUMNS = 'seq, id, subject_id, gallery_id, vector, model, model_version, quality, image IS NOT NULL AS has_image, image_type, created_at';

function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505';
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

export class PostgresGalleryStore implements GalleryStore {
  readonly kind = 'postgres' as const;
  readonly location: string;
  /** Tells this process's own notifications apart from other replicas'. */
  readonly origin = randomUUID();
  private readonly listeners = new Set<(event: ChangeEvent) => void>();
  private listener: pg.Client | null = null;
  private closed = false;
  private reconnectTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly url: string,
    private readonly pool: pg.Pool,
    private readonly log: Logger,
  ) {
    this.location = redact(url);
  }

  /** One statement on the pool; a database that cannot be reached is DATABASE_UNAVAILABLE (pg-errors.ts). */
  private async query<R extends pg.QueryResultRow = Row>(text: string, params?: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>(text, params);
    } catch (error) {
      throw asUnavailable(error);
    }
  }

  static async open(url: string, log: Logger): Promise<PostgresGalleryStore> {
    const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 10_000 });
    pool.on('error', (error) => log.error({ err: error }, 'idle PostgreSQL connection failed'));
    const store = new PostgresGalleryStore(url, pool, log);
    try {
      await store.migrate();
      await store.listen();
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  }

  private async migrate(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
      await client.query('CREATE TABLE IF NOT EXISTS facegate_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)');
      const { rows } = await client.query<{ v: number | null }>('SELECT MAX(version) AS v FROM facegate_migrations');
      const current = rows[0]?.v ?? 0;
      for (const migration of MIGRATIONS) {
        if (migration.version <= current) continue;
        await client.query('BEGIN');
        try {
          await client.query(migration.postgres);
          await client.query('INSERT INTO facegate_migrations (version, name, applied_at) VALUES ($1, $2, now())', [migration.version, migration.name]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw error;
        }
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
      client.release();
    }
  }

  async schemaVersion(): Promise<number> {
    const { rows } = await this.pool.query<{ v: number | null }>('SELECT MAX(version) AS v FROM facegate_migrations');
    return rows[0]?.v ?? 0;
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url });
    client.on('notification', (message) => {
      if (message.channel !== CHANGE_CHANNEL || !message.payload) return;
      let parsed: { origin?: string; event?: ChangeEvent };
      try {
        parsed = JSON.parse(message.payload) as { origin?: string; event?: ChangeEvent };
      } catch {
        return;
      }
      if (parsed.origin === this.origin || !parsed.event) return;
      this.emit(parsed.event);
    });
    client.on('error', (error) => {
      this.log.warn({ err: error }, 'the PostgreSQL LISTEN connection failed; reconnecting');
      this.reconnect();
    });
    client.on('end', () => {
      if (!this.closed) this.reconnect();
    });
    await client.connect();
    await client.query(`LISTEN ${CHANGE_CHANNEL}`);
    this.listener = client;
  }

  private reconnect(): void {
    if (this.closed || this.reconnectTimer) return;
    const old = this.listener;
    this.listener = null;
    old?.removeAllListeners();
    void old?.end().catch(() => undefined);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.listen().then(
        () => this.emit({ kind: 'resync' }),
        (error: unknown) => {
          this.log.warn({ err: error }, 'could not reconnect the PostgreSQL LISTEN connection; retrying');
          this.reconnect();
        },
      );
    }, 1000);
    this.reconnectTimer.unref();
  }

  private emit(event: ChangeEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  onChange(listener: (event: ChangeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async publish(event: ChangeEvent): Promise<void> {
    await this.query('SELECT pg_notify($1, $2)', [CHANGE_CHANNEL, JSON.stringify({ origin: this.origin, event })]);
  }

  private async transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect().catch((error: unknown) => Promise.reject(asUnavailable(error)));
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      const mapped = asUnavailable(error);
      // A connection that failed mid-transaction is not returned to the pool.
      broken = mapped !== error;
      throw mapped;
    } finally {
      client.release(broken);
    }
  }

  async createGallery(g: NewGallery): Promise<GalleryRecord> {
    try {
      const { rows } = await this.query(
        'INSERT INTO galleries (id, name, store_images, match_policy, quality_policy, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, now(), now()) RETURNING *',
        [g.id, g.name, g.storeImages, JSON.stringify(g.matchPolicy), JSON.stringify(g.qualityPolicy)],
      );
      return galleryFrom(rows[0]!);
    } catch (error) {
      if (isUniqueViolation(error)) throw new StoreConflictError('DUPLICATE_GALLERY_NAME', `A gallery named ${JSON.stringify(g.name)} exists`);
      throw error;
    }
  }

  async getGallery(id: string): Promise<GalleryRecord | null> {
    const { rows } = await this.query('SELECT * FROM galleries WHERE id = $1', [id]);
    return rows[0] ? galleryFrom(rows[0]) : null;
  }

  async listGalleries(page: PageRequest, ids?: readonly string[] | null): Promise<Page<GalleryRecord>> {
    const filter = ids ? 'id = ANY($3::text[])' : 'TRUE';
    const params: unknown[] = [page.afterSeq ?? 0, page.first + 1, ...(ids ? [ids] : [])];
    const { rows } = await this.query(`SELECT * FROM galleries WHERE ${filter} AND seq > $1 ORDER BY seq LIMIT $2`, params);
    const total = await this.pool.query<{ n: string }>(`SELECT COUNT(*) AS n FROM galleries WHERE ${ids ? 'id = ANY($1::text[])' : 'TRUE'}`, ids ? [ids] : []);
    return { items: rows.slice(0, page.first).map(galleryFrom), hasNextPage: rows.length > page.first, totalCount: Number(total.rows[0]!.n) };
  }

  async updateGallery(id: string, patch: GalleryPatch): Promise<GalleryRecord> {
    const current = await this.getGallery(id);
    if (!current) throw new StoreConflictError('NOT_FOUND', `No gallery ${id}`);
    const next = { ...current, ...patch };
    try {
      const { rows } = await this.query(
        'UPDATE galleries SET name = $2, store_images = $3, match_policy = $4, quality_policy = $5, updated_at = now() WHERE id = $1 RETURNING *',
        [id, next.name, next.storeImages, JSON.stringify(next.matchPolicy), JSON.stringify(next.qualityPolicy)],
      );
      if (!rows[0]) throw new StoreConflictError('NOT_FOUND', `No gallery ${id}`);
      return galleryFrom(rows[0]);
    } catch (error) {
      if (isUniqueViolation(error)) throw new StoreConflictError('DUPLICATE_GALLERY_NAME', `A gallery named ${JSON.stringify(next.name)} exists`);
      throw error;
    }
  }

  async deleteGallery(id: string): Promise<Erased> {
    return this.transaction(async (c) => {
      const t = await c.query<{ templates: string; images: string }>('SELECT COUNT(*) AS templates, COUNT(image) AS images FROM templates WHERE gallery_id = $1', [id]);
      const s = await c.query<{ n: string }>('SELECT COUNT(*) AS n FROM subjects WHERE gallery_id = $1', [id]);
      const result = await c.query('DELETE FROM galleries WHERE id = $1', [id]);
      if (result.rowCount === 0) throw new StoreConflictError('NOT_FOUND', `No gallery ${id}`);
      return { subjects: Number(s.rows[0]!.n), templates: Number(t.rows[0]!.templates), images: Number(t.rows[0]!.images) };
    });
  }

  async createSubject(s: NewSubject, maxSubjects: number): Promise<SubjectRecord> {
    return this.transaction(async (c) => {
      // The gallery row serialises subject creation within the gallery (the limit holds under parallel writers).
      const g = await c.query('SELECT id FROM galleries WHERE id = $1 FOR UPDATE', [s.galleryId]);
      if (!g.rows[0]) throw new StoreConflictError('NOT_FOUND', `No gallery ${s.galleryId}`);
      const n = await c.query<{ n: string }>('SELECT COUNT(*) AS n FROM subjects WHERE gallery_id = $1', [s.galleryId]);
      if (Number(n.rows[0]!.n) >= maxSubjects) throw new StoreConflictError('SUBJECT_LIMIT', `The gallery holds its limit of ${maxSubjects} subjects`);
      try {
        const { rows } = await c.query(
          'INSERT INTO subjects (id, gallery_id, external_id, display_name, metadata, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, now(), now()) RETURNING *',
          [s.id, s.galleryId, s.externalId, s.displayName, s.metadata == null ? null : JSON.stringify(s.metadata)],
        );
        return subjectFrom(rows[0]!);
      } catch (error) {
        if (isUniqueViolation(error)) throw new StoreConflictError('DUPLICATE_EXTERNAL_ID', `externalId ${JSON.stringify(s.externalId)} is taken in this gallery`);
        throw error;
      }
    });
  }

  async getSubject(id: string): Promise<SubjectRecord | null> {
    const { rows } = await this.query('SELECT * FROM subjects WHERE id = $1', [id]);
    return rows[0] ? subjectFrom(rows[0]) : null;
  }

  async getSubjectByExternalId(galleryId: string, externalId: string): Promise<SubjectRecord | null> {
    const { rows } = await this.query('SELECT * FROM subjects WHERE gallery_id = $1 AND external_id = $2', [galleryId, externalId]);
    return rows[0] ? subjectFrom(rows[0]) : null;
  }

  async listSubjects(galleryId: string, page: PageRequest): Promise<Page<SubjectRecord>> {
    const { rows } = await this.query('SELECT * FROM subjects WHERE gallery_id = $1 AND seq > $2 ORDER BY seq LIMIT $3', [galleryId, page.afterSeq ?? 0, page.first + 1]);
    const total = await this.pool.query<{ n: string }>('SELECT COUNT(*) AS n FROM subjects WHERE gallery_id = $1', [galleryId]);
    return { items: rows.slice(0, page.first).map(subjectFrom), hasNextPage: rows.length > page.first, totalCount: Number(total.rows[0]!.n) };
  }

  async updateSubject(id: string, patch: SubjectPatch): Promise<SubjectRecord> {
    const current = await this.getSubject(id);
    if (!current) throw new StoreConflictError('NOT_FOUND', `No subject ${id}`);
    const next = { ...current, ...patch };
    try {
      const { rows } = await this.query(
        'UPDATE subjects SET external_id = $2, display_name = $3, metadata = $4, updated_at = now() WHERE id = $1 RETURNING *',
        [id, next.externalId, next.displayName, next.metadata == null ? null : JSON.stringify(next.metadata)],
      );
      if (!rows[0]) throw new StoreConflictError('NOT_FOUND', `No subject ${id}`);
      return subjectFrom(rows[0]);
    } catch (error) {
      if (isUniqueViolation(error)) throw new StoreConflictError('DUPLICATE_EXTERNAL_ID', `externalId ${JSON.stringify(next.externalId)} is taken in this gallery`);
      throw error;
    }
  }

  async deleteSubject(id: string): Promise<Erased> {
    return this.transaction(async (c) => {
      const t = await c.query<{ templates: string; images: string }>('SELECT COUNT(*) AS templates, COUNT(image) AS images FROM templates WHERE subject_id = $1', [id]);
      await c.query('DELETE FROM templates WHERE subject_id = $1', [id]);
      const result = await c.query('DELETE FROM subjects WHERE id = $1', [id]);
      if (result.rowCount === 0) throw new StoreConflictError('NOT_FOUND', `No subject ${id}`);
      return { subjects: 1, templates: Number(t.rows[0]!.templates), images: Number(t.rows[0]!.images) };
    });
  }

  async addTemplates(subjectId: string, candidates: readonly NewTemplate[], maxTemplates: number, guard?: WriteGuard): Promise<TemplateSummary[]> {
    return this.transaction(async (c) => {
      const owner = await c.query<{ gallery_id: string }>('SELECT gallery_id FROM subjects WHERE id = $1', [subjectId]);
      if (!owner.rows[0]) throw new StoreConflictError('NOT_FOUND', `No subject ${subjectId}`);
      const galleryId = owner.rows[0].gallery_id;
      // The gallery's write lock first, then the subject's row: every writer takes them in this order.
      await c.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [GALLERY_WRITE_LOCK, galleryId]);
      const s = await c.query('SELECT 1 FROM subjects WHERE id = $1 FOR UPDATE', [subjectId]);
      if (!s.rows[0]) throw new StoreConflictError('NOT_FOUND', `No subject ${subjectId}`);
      let templates = candidates;
      if (guard) {
        const { rows } = await c.query(`SELECT ${TEMPLATE_COLUMNS} FROM templates WHERE gallery_id = $1 AND seq > $2 ORDER BY seq`, [galleryId, guard.afterSeq]);
        templates = guard.choose(rows.map(templateFrom));
        if (templates.length === 0) return [];
      }
      const n = Number((await c.query<{ n: string }>('SELECT COUNT(*) AS n FROM templates WHERE subject_id = $1', [subjectId])).rows[0]!.n);
      if (n + templates.length > maxTemplates) {
        throw new StoreConflictError('TEMPLATE_LIMIT', `The subject holds ${n} templates; ${templates.length} more would pass the limit of ${maxTemplates}`);
      }
      const out: TemplateSummary[] = [];
      for (const t of templates) {
        const { rows } = await c.query(
          `INSERT INTO templates (id, subject_id, gallery_id, vector, model, model_version, quality, image, image_type, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now()) RETURNING ${TEMPLATE_COLUMNS}`,
          [t.id, subjectId, galleryId, vectorToBytes(t.vector), t.model, t.modelVersion, JSON.stringify(t.quality), t.image ? Buffer.from(t.image) : null, t.imageType],
        );
        out.push(templateFrom(rows[0]!));
      }
      await c.query('UPDATE subjects SET updated_at = now() WHERE id = $1', [subjectId]);
      return out;
    });
  }

  async listTemplates(subjectId: string): Promise<TemplateSummary[]> {
    const { rows } = await this.query(`SELECT ${TEMPLATE_COLUMNS} FROM templates WHERE subject_id = $1 ORDER BY seq`, [subjectId]);
    return rows.map(templateFrom);
  }

  async getTemplateOwner(templateId: string): Promise<{ subjectId: string; galleryId: string } | null> {
    const { rows } = await this.query('SELECT subject_id, gallery_id FROM templates WHERE id = $1', [templateId]);
    return rows[0] ? { subjectId: rows[0]['subject_id'] as string, galleryId: rows[0]['gallery_id'] as string } : null;
  }

  async getTemplateImage(templateId: string): Promise<{ image: Uint8Array; imageType: string | null } | null> {
    const { rows } = await this.query('SELECT image, image_type FROM templates WHERE id = $1', [templateId]);
    if (!rows[0] || rows[0]['image'] == null) return null;
    return { image: rows[0]['image'] as Uint8Array, imageType: (rows[0]['image_type'] as string | null) ?? null };
  }

  async deleteTemplate(templateId: string): Promise<{ subjectId: string; galleryId: string; hadImage: boolean } | null> {
    const { rows } = await this.query('DELETE FROM templates WHERE id = $1 RETURNING subject_id, gallery_id, image IS NOT NULL AS has_image', [templateId]);
    if (!rows[0]) return null;
    return { subjectId: rows[0]['subject_id'] as string, galleryId: rows[0]['gallery_id'] as string, hadImage: rows[0]['has_image'] === true };
  }

  async loadTemplates(galleryId: string): Promise<TemplateSummary[]> {
    const { rows } = await this.query(`SELECT ${TEMPLATE_COLUMNS} FROM templates WHERE gallery_id = $1 ORDER BY seq`, [galleryId]);
    return rows.map(templateFrom);
  }

  async countSubjectRows(subjectId: string): Promise<{ subjects: number; templates: number; images: number }> {
    const s = await this.pool.query<{ n: string }>('SELECT COUNT(*) AS n FROM subjects WHERE id = $1', [subjectId]);
    const t = await this.pool.query<{ n: string; i: string }>('SELECT COUNT(*) AS n, COUNT(image) AS i FROM templates WHERE subject_id = $1', [subjectId]);
    return { subjects: Number(s.rows[0]!.n), templates: Number(t.rows[0]!.n), images: Number(t.rows[0]!.i) };
  }

  async countGallery(galleryId: string): Promise<{ subjects: number; templates: number }> {
    const s = await this.pool.query<{ n: string }>('SELECT COUNT(*) AS n FROM subjects WHERE gallery_id = $1', [galleryId]);
    const t = await this.pool.query<{ n: string }>('SELECT COUNT(*) AS n FROM templates WHERE gallery_id = $1', [galleryId]);
    return { subjects: Number(s.rows[0]!.n), templates: Number(t.rows[0]!.n) };
  }

  async createApiKey(key: Omit<ApiKeyRecord, 'seq' | 'createdAt' | 'revokedAt'>): Promise<ApiKeyRecord> {
    const { rows } = await this.query(
      'INSERT INTO api_keys (id, name, prefix, secret_hash, grants, created_at) VALUES ($1, $2, $3, $4, $5, now()) RETURNING *',
      [key.id, key.name, key.prefix, key.secretHash, JSON.stringify(key.grants)],
    );
    return keyFrom(rows[0]!);
  }

  async getApiKeyByPrefix(prefix: string): Promise<ApiKeyRecord | null> {
    const { rows } = await this.query('SELECT * FROM api_keys WHERE prefix = $1', [prefix]);
    return rows[0] ? keyFrom(rows[0]) : null;
  }

  async listApiKeys(): Promise<ApiKeyRecord[]> {
    const { rows } = await this.query('SELECT * FROM api_keys ORDER BY seq');
    return rows.map(keyFrom);
  }

  async revokeApiKey(id: string): Promise<ApiKeyRecord | null> {
    const { rows } = await this.query('UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 RETURNING *', [id]);
    return rows[0] ? keyFrom(rows[0]) : null;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    const listener = this.listener;
    this.listener = null;
    listener?.removeAllListeners();
    await listener?.end().catch(() => undefined);
    await this.pool.end();
  }
}
