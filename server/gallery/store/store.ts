/**
 * The gallery's storage, behind one interface with two engines: SQLite (better-sqlite3, the embedded
 * default: one file under the data directory, WAL) and PostgreSQL (`pg`, when several replicas share
 * one database; changes reach the other replicas through LISTEN/NOTIFY). Both run the same versioned
 * migrations (migrations.ts) and keep the same rows.
 *
 * Every write that must not interleave with another (a template limit checked and then a row inserted,
 * a subject and its templates removed together) is one transaction inside the store.
 */
import type {
  ApiKeyRecord,
  ChangeEvent,
  GalleryRecord,
  Metadata,
  Page,
  QualityFigures,
  SubjectRecord,
  TemplateRecord,
  TemplateSummary,
} from '../types.js';

export type StoreKind = 'sqlite' | 'postgres';

/** A failed write the client can fix (a duplicate, a limit): the service maps it to a typed error. */
export class StoreConflictError extends Error {
  override readonly name = 'StoreConflictError';

  constructor(
    readonly reason: 'DUPLICATE_EXTERNAL_ID' | 'DUPLICATE_GALLERY_NAME' | 'TEMPLATE_LIMIT' | 'SUBJECT_LIMIT' | 'NOT_FOUND',
    message: string,
  ) {
    super(message);
  }
}

export interface NewGallery {
  id: string;
  name: string;
  storeImages: boolean;
  matchPolicy: GalleryRecord['matchPolicy'];
  qualityPolicy: GalleryRecord['qualityPolicy'];
}

export interface NewSubject {
  id: string;
  galleryId: string;
  externalId: string | null;
  displayName: string | null;
  metadata: Metadata | null;
}

/** See GalleryStore.addTemplates. `choose` runs inside the write transaction: it must be quick and synchronous. */
export interface WriteGuard {
  afterSeq: number;
  choose(stored: readonly TemplateSummary[]): readonly NewTemplate[];
}

export interface NewTemplate {
  id: string;
  vector: Float32Array;
  model: string;
  modelVersion: string;
  quality: QualityFigures;
  image: Uint8Array | null;
  imageType: string | null;
}

export interface SubjectPatch {
  externalId?: string | null;
  displayName?: string | null;
  metadata?: Metadata | null;
}

export interface GalleryPatch {
  name?: string;
  storeImages?: boolean;
  matchPolicy?: GalleryRecord['matchPolicy'];
  qualityPolicy?: GalleryRecord['qualityPolicy'];
}

/** What an erasure removed, counted in the store itself. */
export interface Erased {
  subjects: number;
  templates: number;
  images: number;
}

export interface PageRequest {
  first: number;
  /** Only items after this insertion sequence number. */
  afterSeq: number | null;
}

export interface GalleryStore {
  readonly kind: StoreKind;
  /** Where the data lives, for logs (a file path, or the database URL without its password). */
  readonly location: string;

  createGallery(gallery: NewGallery): Promise<GalleryRecord>;
  getGallery(id: string): Promise<GalleryRecord | null>;
  listGalleries(page: PageRequest, ids?: readonly string[] | null): Promise<Page<GalleryRecord>>;
  updateGallery(id: string, patch: GalleryPatch): Promise<GalleryRecord>;
  /** Removes the gallery with all its subjects, templates and images. */
  deleteGallery(id: string): Promise<Erased>;

  /** Fails with SUBJECT_LIMIT past `maxSubjects`, DUPLICATE_EXTERNAL_ID on a taken externalId. */
  createSubject(subject: NewSubject, maxSubjects: number): Promise<SubjectRecord>;
  getSubject(id: string): Promise<SubjectRecord | null>;
  getSubjectByExternalId(galleryId: string, externalId: string): Promise<SubjectRecord | null>;
  listSubjects(galleryId: string, page: PageRequest): Promise<Page<SubjectRecord>>;
  updateSubject(id: string, patch: SubjectPatch): Promise<SubjectRecord>;
  /** Removes the subject, its templates and images in one transaction. NOT_FOUND when it is gone. */
  deleteSubject(id: string): Promise<Erased>;

  /**
   * Adds templates to a subject in one transaction; refuses the whole batch with TEMPLATE_LIMIT when the
   * subject would hold more than `maxTemplates` (checked inside the transaction, so parallel writers
   * cannot overshoot it). NOT_FOUND when the subject is gone.
   *
   * Every template write holds its gallery's write lock until it commits (PostgreSQL: a transaction-scoped
   * advisory lock, so writes to one gallery are serialised across replicas; SQLite: its single writer).
   * With a `guard`, the templates written are a decision taken under that lock: the guard gets the
   * gallery's templates with `seq > guard.afterSeq`, which are then every template stored since then by
   * any replica, and returns the ones of `templates` to write.
   */
  addTemplates(subjectId: string, templates: readonly NewTemplate[], maxTemplates: number, guard?: WriteGuard): Promise<TemplateSummary[]>;
  listTemplates(subjectId: string): Promise<TemplateSummary[]>;
  getTemplateOwner(templateId: string): Promise<{ subjectId: string; galleryId: string } | null>;
  getTemplateImage(templateId: string): Promise<{ image: Uint8Array; imageType: string | null } | null>;
  /** Removes one template; returns its subject and gallery, or null when there was none. */
  deleteTemplate(templateId: string): Promise<{ subjectId: string; galleryId: string; hadImage: boolean } | null>;
  /** Every template of a gallery (vectors, no images), for the in-memory index. */
  loadTemplates(galleryId: string): Promise<TemplateSummary[]>;
  /** Row counts, for tests and `info`: everything of a subject that the store still holds. */
  countSubjectRows(subjectId: string): Promise<{ subjects: number; templates: number; images: number }>;
  countGallery(galleryId: string): Promise<{ subjects: number; templates: number }>;

  createApiKey(key: Omit<ApiKeyRecord, 'seq' | 'createdAt' | 'revokedAt'>): Promise<ApiKeyRecord>;
  getApiKeyByPrefix(prefix: string): Promise<ApiKeyRecord | null>;
  listApiKeys(): Promise<ApiKeyRecord[]>;
  revokeApiKey(id: string): Promise<ApiKeyRecord | null>;

  /** Changes made by other processes (PostgreSQL only; SQLite has one writer process). Returns an unsubscribe. */
  onChange(listener: (event: ChangeEvent) => void): () => void;
  /** Tells other processes about a change this one made (PostgreSQL NOTIFY; a no-op on SQLite). */
  publish(event: ChangeEvent): Promise<void>;
  close(): Promise<void>;
}

export type { TemplateRecord };
