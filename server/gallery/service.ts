/**
 * The identity gallery as the API sees it: galleries with their own match policy and quality gate,
 * subjects, templates; enrollment, 1:1 against a subject, 1:N identification, erasure, export and
 * import; API keys. It embeds through the InferenceService (the same path as `embed`, so face selection
 * is the service's), keeps one in-memory index per gallery loaded from the store at start, and keeps it in
 * sync with this process's writes and, on PostgreSQL, with other replicas' (LISTEN/NOTIFY).
 *
 * Knows nothing about GraphQL: failures are ServiceErrors with API codes.
 */
import { randomUUID } from 'node:crypto';
import { cosineSimilarity, isFaceError } from '../../models/index.js';
import type { Face, ImageInfo } from '../../models/types.js';
import { isServiceError, ServiceError, tagArgument } from '../errors.js';
import type { EmbeddingResult, InferenceService } from '../inference/service.js';
import type { FrameScorer } from '../live/sessions.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { GalleryConfig } from './config.js';
import { createGalleryMetrics, type GalleryMetrics } from './metrics.js';
import { BOOTSTRAP_PRINCIPAL, can, isBootstrapKey, mintKey, OPEN_PRINCIPAL, parseKey, principalOfKey, secretMatches, visibleGalleries, type Principal } from './keys.js';
import { identificationScorer, subjectScorer } from './live.js';
import { CURRENT_MODEL, isCurrent } from './model.js';
import { measureQuality, qualityIssues, type QualityIssue } from './quality.js';
import { GalleryIndex, type SearchMethod } from './search/gallery-index.js';
import { KeyedSerial } from './serial.js';
import { openStore } from './store/open.js';
import { StoreConflictError, type Erased, type GalleryStore, type NewTemplate, type PageRequest } from './store/store.js';
import { DEFAULT_MATCH_POLICY } from './thresholds.js';
import type {
  ApiKeyRecord,
  ChangeEvent,
  GalleryRecord,
  Grant,
  MatchPolicy,
  Metadata,
  Page,
  QualityFigures,
  QualityPolicy,
  Scope,
  SubjectRecord,
  TemplateSummary,
} from './types.js';
import { SCOPES } from './types.js';

export type RejectionReason = 'NO_FACE' | 'MULTIPLE_FACES' | 'LOW_QUALITY' | 'DUPLICATE_IDENTITY' | 'BAD_IMAGE' | 'TEMPLATE_LIMIT';

/** What embedding one enrollment image gave: the inference service's result, or why it has no usable face. */
export type EmbedOutcome = { ok: true; result: EmbeddingResult } | { ok: false; reason: 'NO_FACE' | 'BAD_IMAGE'; message: string };

export interface EnrollImage {
  bytes: Uint8Array;
  filename: string;
  type: string;
}

export interface RejectedImage {
  index: number;
  filename: string;
  reason: RejectionReason;
  message: string;
  quality: QualityFigures | null;
  issues: QualityIssue[];
  /** DUPLICATE_IDENTITY: the other subject the face matched, and how well. */
  conflictingSubjectId: string | null;
  similarity: number | null;
  face: Face | null;
}

export interface EnrolledImage {
  index: number;
  filename: string;
  template: TemplateSummary;
  face: Face;
  faceCount: number;
}

export interface EnrollmentResult {
  subject: SubjectRecord;
  enrolled: EnrolledImage[];
  rejected: RejectedImage[];
}

export interface ProbeInfo {
  image: ImageInfo;
  face: Face;
  faceCount: number;
}

export interface SubjectVerification {
  subject: SubjectRecord;
  similarity: number;
  meanSimilarity: number;
  threshold: number;
  match: boolean;
  templatesCompared: number;
  bestTemplateId: string;
  model: string;
  probe: ProbeInfo;
}

export type IdentificationDecision = 'MATCH' | 'NO_MATCH' | 'AMBIGUOUS';

export interface Candidate {
  rank: number;
  subject: SubjectRecord;
  similarity: number;
  templateId: string;
}

export interface Identification {
  decision: IdentificationDecision;
  /** The matched subject (MATCH only). */
  subject: SubjectRecord | null;
  candidates: Candidate[];
  threshold: number;
  minMargin: number;
  /** Best minus second-best subject similarity; null with fewer than two subjects. */
  margin: number | null;
  method: SearchMethod;
  subjectsSearched: number;
  templatesSearched: number;
  model: string;
  probe: ProbeInfo;
  searchMs: number;
}

export interface ErasedSubject extends Erased {
  subjectId: string;
  externalId: string | null;
  galleryId: string;
}

export interface GalleryInput {
  name: string;
  storeImages?: boolean | null;
  matchPolicy?: Partial<MatchPolicy> | null;
  qualityPolicy?: Partial<QualityPolicy> | null;
}

export interface SubjectInput {
  externalId?: string | null;
  displayName?: string | null;
  metadata?: Metadata | null;
}

/** What `exportGallery` writes and `importGallery` reads. Vectors are base64 little-endian float32. */
export interface GalleryExport {
  format: 'facegate-gallery/1';
  exportedAt: string;
  model: { name: string; version: string; dimensions: number };
  gallery: { name: string; storeImages: boolean; matchPolicy: MatchPolicy; qualityPolicy: QualityPolicy };
  subjects: {
    externalId: string | null;
    displayName: string | null;
    metadata: Metadata | null;
    templates: { vector: string; model: string; modelVersion: string; quality: QualityFigures; createdAt: string }[];
  }[];
}

export interface ImportResult {
  subjectsCreated: number;
  subjectsMerged: number;
  templatesImported: number;
  templatesSkipped: number;
}

const MAX_NAME = 200;
const MAX_METADATA_BYTES = 16 * 1024;

function fail(code: ConstructorParameters<typeof ServiceError>[0], message: string, argument?: string): never {
  const error = new ServiceError(code, message);
  throw argument ? tagArgument(error, argument) : error;
}

function checkText(value: string | null | undefined, argument: string, max = MAX_NAME): void {
  if (value == null) return;
  if (value.trim().length === 0) fail('BAD_REQUEST', `${argument} must not be empty`, argument);
  if (value.length > max) fail('BAD_REQUEST', `${argument} is longer than ${max} characters`, argument);
}

function checkMetadata(metadata: Metadata | null | undefined): void {
  if (metadata == null) return;
  if (typeof metadata !== 'object' || Array.isArray(metadata)) fail('BAD_REQUEST', 'metadata must be a JSON object', 'metadata');
  if (Buffer.byteLength(JSON.stringify(metadata)) > MAX_METADATA_BYTES) fail('BAD_REQUEST', `metadata is over ${MAX_METADATA_BYTES} bytes as JSON`, 'metadata');
}

function inRange(value: number, min: number, max: number, name: string): void {
  if (!Number.isFinite(value) || value < min || value > max) fail('BAD_REQUEST', `${name} must be between ${min} and ${max}, got ${value}`, name);
}

export function mergeMatchPolicy(base: MatchPolicy, patch: Partial<MatchPolicy> | null | undefined): MatchPolicy {
  const next = { ...base };
  for (const [k, v] of Object.entries(patch ?? {})) if (v != null) (next as Record<string, number>)[k] = v as number;
  inRange(next.verifyThreshold, -1, 1, 'verifyThreshold');
  inRange(next.identifyThreshold, -1, 1, 'identifyThreshold');
  inRange(next.duplicateThreshold, -1, 1.0001, 'duplicateThreshold');
  inRange(next.minMargin, 0, 2, 'minMargin');
  return next;
}

export function mergeQualityPolicy(base: QualityPolicy, patch: Partial<QualityPolicy> | null | undefined): QualityPolicy {
  const next = { ...base };
  for (const [k, v] of Object.entries(patch ?? {})) if (v != null) (next as Record<string, number>)[k] = v as number;
  inRange(next.minFaceSize, 0, 10_000, 'minFaceSize');
  inRange(next.minDetectorScore, 0, 1, 'minDetectorScore');
  inRange(next.minSharpness, 0, 1e9, 'minSharpness');
  inRange(next.maxYaw, 0, 90, 'maxYaw');
  inRange(next.maxPitch, 0, 90, 'maxPitch');
  inRange(next.maxTemplatesPerSubject, 1, 10_000, 'maxTemplatesPerSubject');
  inRange(next.maxSubjects, 1, 100_000_000, 'maxSubjects');
  if (!Number.isInteger(next.maxTemplatesPerSubject) || !Number.isInteger(next.maxSubjects)) fail('BAD_REQUEST', 'limits must be integers', 'qualityPolicy');
  return next;
}

/**
 * The best other subject for an enrollment's duplicate check: the index's, or one of the templates it has
 * not seen yet (written by another replica a moment ago), whichever scores higher.
 */
function bestOtherSubject(index: GalleryIndex, unseen: readonly TemplateSummary[], embedding: Float32Array, subjectId: string): { subjectId: string; similarity: number } | null {
  let best: { subjectId: string; similarity: number } | null = index.search(embedding, 1, subjectId).hits[0] ?? null;
  for (const t of unseen) {
    if (t.subjectId === subjectId) continue;
    const similarity = cosineSimilarity(embedding, t.vector);
    if (!best || similarity > best.similarity) best = { subjectId: t.subjectId, similarity };
  }
  return best;
}

/** The highest seq among templates (0 for none). */
function lastSeq(templates: readonly { seq: number }[]): number {
  return templates.reduce((max, t) => Math.max(max, t.seq), 0);
}

function fromStoreConflict(error: unknown): never {
  if (error instanceof StoreConflictError) {
    switch (error.reason) {
      case 'NOT_FOUND':
        fail('NOT_FOUND', error.message);
      case 'DUPLICATE_EXTERNAL_ID':
        fail('CONFLICT', error.message, 'externalId');
      case 'DUPLICATE_GALLERY_NAME':
        fail('CONFLICT', error.message, 'name');
      case 'TEMPLATE_LIMIT':
      case 'SUBJECT_LIMIT':
        fail('LIMIT_EXCEEDED', error.message);
    }
  }
  throw error;
}

export class GalleryService {
  private readonly indexes = new Map<string, GalleryIndex>();
  private readonly unsubscribe: () => void;
  private readonly log: Logger;
  /** Serialises replays of other replicas' changes per subject, so that a reload never overtakes a newer one. */
  private readonly replay = new Map<string, Promise<void>>();
  private readonly metrics: GalleryMetrics | null;
  /** Enrollment decisions (duplicate check, limit, write) one at a time per gallery. */
  private readonly enrollSerial = new KeyedSerial();
  private closed = false;

  private constructor(
    readonly store: GalleryStore,
    private readonly inference: InferenceService,
    readonly config: GalleryConfig,
    logger: Logger,
    metrics?: Metrics,
  ) {
    this.log = logger.child({ module: 'gallery' });
    this.metrics = metrics ? createGalleryMetrics(metrics.registry, () => [...this.indexes.values()].reduce((n, i) => n + i.size, 0)) : null;
    this.unsubscribe = store.onChange((event) => {
      this.metrics?.remoteChanges.inc({ kind: event.kind });
      void this.applyRemote(event);
    });
  }

  /** Opens the configured store (migrating it) and loads every gallery's index. */
  static async open(config: GalleryConfig, inference: InferenceService, logger: Logger, store?: GalleryStore, metrics?: Metrics): Promise<GalleryService> {
    const opened = store ?? (await openStore(config, logger));
    const service = new GalleryService(opened, inference, config, logger, metrics);
    try {
      await service.loadAll();
    } catch (error) {
      await service.close();
      throw error;
    }
    return service;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe();
    await this.store.close();
  }

  // ----------------------------------------------------------------------------------------------
  // Index

  private newIndex(): GalleryIndex {
    return new GalleryIndex({ dims: CURRENT_MODEL.dimensions, annMinTemplates: this.config.annMinTemplates });
  }

  /** Every gallery in the store, page by page. */
  private async *allGalleries(): AsyncGenerator<GalleryRecord> {
    let afterSeq: number | null = null;
    for (;;) {
      const page: Page<GalleryRecord> = await this.store.listGalleries({ first: 500, afterSeq });
      yield* page.items;
      if (!page.hasNextPage || page.items.length === 0) return;
      afterSeq = page.items[page.items.length - 1]!.seq;
    }
  }

  /** Loads every gallery into fresh indexes, then swaps them in (searches meanwhile use the old ones). */
  private async loadAll(): Promise<void> {
    const started = performance.now();
    const fresh = new Map<string, GalleryIndex>();
    let templates = 0;
    let stale = 0;
    for await (const gallery of this.allGalleries()) {
      const loaded = await this.loadGallery(gallery.id);
      fresh.set(gallery.id, loaded.index);
      templates += loaded.index.size;
      stale += loaded.stale;
    }
    this.indexes.clear();
    for (const [id, index] of fresh) this.indexes.set(id, index);
    this.log.info({ store: this.store.kind, location: this.store.location, galleries: fresh.size, templates, stale, ms: Math.round(performance.now() - started) }, 'gallery indexes loaded');
  }

  /**
   * Catches up with the store after changes were missed (the LISTEN connection dropped): every gallery's
   * index is brought to what the store holds, in place (GalleryIndex.syncTo), so that the cost follows
   * what changed rather than the gallery's size; galleries that are gone are dropped, new ones filled.
   */
  private async resync(): Promise<void> {
    const started = performance.now();
    const seen = new Set<string>();
    let added = 0;
    let removed = 0;
    for await (const gallery of this.allGalleries()) {
      seen.add(gallery.id);
      const stored = await this.store.loadTemplates(gallery.id);
      // A gallery created meanwhile starts empty and fills as at start.
      const index = this.indexOf(gallery.id);
      const changed = index.syncTo(stored.filter(isCurrent));
      index.storedThrough = Math.max(index.storedThrough, lastSeq(stored));
      added += changed.added;
      removed += changed.removed;
    }
    for (const id of [...this.indexes.keys()]) if (!seen.has(id)) this.indexes.delete(id);
    this.log.info({ galleries: seen.size, added, removed, ms: Math.round(performance.now() - started) }, 'gallery indexes resynced');
  }

  private async loadGallery(galleryId: string): Promise<{ index: GalleryIndex; stale: number }> {
    const index = this.newIndex();
    let stale = 0;
    const stored = await this.store.loadTemplates(galleryId);
    for (const t of stored) {
      if (isCurrent(t)) index.add(t.id, t.subjectId, t.vector);
      else stale++;
    }
    index.storedThrough = lastSeq(stored);
    if (stale > 0) this.log.warn({ galleryId, stale, model: CURRENT_MODEL }, 'templates of another model are stored and not searched; re-enroll them');
    return { index, stale };
  }

  private indexOf(galleryId: string): GalleryIndex {
    let index = this.indexes.get(galleryId);
    if (!index) {
      index = this.newIndex();
      this.indexes.set(galleryId, index);
    }
    return index;
  }

  /** What the in-memory index holds for a subject (tests: an erased subject leaves nothing). */
  indexedTemplates(galleryId: string, subjectId: string): string[] {
    return this.indexes.get(galleryId)?.matrix.subjectTemplates(subjectId) ?? [];
  }

  indexSize(galleryId: string): { templates: number; subjects: number; ann: boolean } {
    const index = this.indexes.get(galleryId);
    return { templates: index?.size ?? 0, subjects: index?.subjectCount ?? 0, ann: index?.annActive ?? false };
  }

  /** Queues a change to apply to the indexes; settles when it is applied (true) or failed (false, logged). */
  private applyRemote(event: ChangeEvent): Promise<boolean> {
    const key = 'subjectId' in event ? event.subjectId : event.kind === 'resync' ? '*' : event.galleryId;
    // A resync waits for every replay before it, and every replay for a resync before it: a replay never
    // races with the resync's snapshot of the store.
    const previous =
      key === '*'
        ? Promise.all([...this.replay.values()])
        : Promise.all([this.replay.get(key), this.replay.get('*')].filter((p): p is Promise<void> => p !== undefined));
    let applied = false;
    const next = previous
      .then(() => this.replayEvent(event))
      .then(() => {
        applied = true;
      })
      .catch((error: unknown) => {
        this.log.error({ err: error, event }, 'could not apply a change from another replica');
        // A resync that failed (the database went away again) is retried: the index must catch up.
        if (event.kind === 'resync' && !this.closed) setTimeout(() => this.closed || this.applyRemote(event), 1000).unref();
      });
    this.replay.set(key, next);
    void next.then(() => {
      if (this.replay.get(key) === next) this.replay.delete(key);
    });
    return next.then(() => applied);
  }

  private async replayEvent(event: ChangeEvent): Promise<void> {
    switch (event.kind) {
      case 'subject': {
        const templates = (await this.store.listTemplates(event.subjectId)).filter(isCurrent);
        this.indexOf(event.galleryId).replaceSubject(event.subjectId, templates);
        return;
      }
      case 'subjectDeleted':
        this.indexes.get(event.galleryId)?.removeSubject(event.subjectId);
        return;
      case 'gallery':
        if (!this.indexes.has(event.galleryId)) this.indexes.set(event.galleryId, (await this.loadGallery(event.galleryId)).index);
        return;
      case 'galleryDeleted':
        this.indexes.delete(event.galleryId);
        return;
      case 'resync':
        await this.resync();
        return;
    }
  }

  /** Settles when every change received from other replicas so far is in the index (tests). */
  async settled(): Promise<void> {
    while (this.replay.size > 0) await Promise.all([...this.replay.values()]);
  }

  // ----------------------------------------------------------------------------------------------
  // Access

  /** The principal a presented key stands for; null when there is no key; UNAUTHENTICATED for a bad one. */
  async authenticate(key: string | null): Promise<Principal | null> {
    if (this.config.auth === 'off') return OPEN_PRINCIPAL;
    if (key === null) return null;
    if (isBootstrapKey(key, this.config.adminKey)) return BOOTSTRAP_PRINCIPAL;
    const parsed = parseKey(key);
    if (!parsed) fail('UNAUTHENTICATED', 'The API key is malformed (expected fgk_<id>_<secret>)');
    const record = await this.store.getApiKeyByPrefix(parsed.prefix);
    if (!record || !secretMatches(parsed.secret, record.secretHash)) fail('UNAUTHENTICATED', 'Unknown API key');
    if (record.revokedAt) fail('UNAUTHENTICATED', 'The API key was revoked');
    return principalOfKey(record);
  }

  /** Throws UNAUTHENTICATED without a principal, FORBIDDEN without the scope. */
  authorize(principal: Principal | null, scope: Scope, galleryId: string | null): Principal {
    if (!principal) {
      fail('UNAUTHENTICATED', 'This operation needs an API key (Authorization: Bearer <key>, or apiKey in the WebSocket connection params)');
    }
    if (!can(principal, scope, galleryId)) {
      fail('FORBIDDEN', galleryId ? `The API key lacks the ${scope} scope on gallery ${galleryId}` : `The API key lacks the ${scope} scope on every gallery`);
    }
    return principal;
  }

  async createApiKey(input: { name: string; grants: Grant[] }): Promise<{ key: string; record: ApiKeyRecord }> {
    checkText(input.name, 'name');
    if (input.grants.length === 0) fail('BAD_REQUEST', 'A key needs at least one grant', 'grants');
    for (const grant of input.grants) {
      if (grant.scopes.length === 0 || grant.scopes.some((s) => !SCOPES.includes(s))) fail('BAD_REQUEST', `scopes must be some of ${SCOPES.join(', ')}`, 'grants');
      if (grant.galleryId !== null && !(await this.store.getGallery(grant.galleryId))) fail('NOT_FOUND', `No gallery ${grant.galleryId}`, 'grants');
    }
    const minted = mintKey();
    const record = await this.store.createApiKey({ id: randomUUID(), name: input.name.trim(), prefix: minted.prefix, secretHash: minted.secretHash, grants: input.grants });
    this.log.info({ keyId: record.id, name: record.name, grants: record.grants }, 'API key created');
    return { key: minted.key, record };
  }

  async revokeApiKey(id: string): Promise<ApiKeyRecord> {
    const record = await this.store.revokeApiKey(id);
    if (!record) fail('NOT_FOUND', `No API key ${id}`, 'id');
    this.log.info({ keyId: id }, 'API key revoked');
    return record;
  }

  listApiKeys(): Promise<ApiKeyRecord[]> {
    return this.store.listApiKeys();
  }

  // ----------------------------------------------------------------------------------------------
  // Galleries and subjects

  async createGallery(input: GalleryInput): Promise<GalleryRecord> {
    checkText(input.name, 'name');
    const record = await this.store
      .createGallery({
        id: randomUUID(),
        name: input.name.trim(),
        storeImages: input.storeImages ?? false,
        matchPolicy: mergeMatchPolicy(DEFAULT_MATCH_POLICY, input.matchPolicy),
        qualityPolicy: mergeQualityPolicy(this.config.quality, input.qualityPolicy),
      })
      .catch(fromStoreConflict);
    this.indexes.set(record.id, this.newIndex());
    await this.store.publish({ kind: 'gallery', galleryId: record.id });
    return record;
  }

  async updateGallery(id: string, patch: Partial<GalleryInput>): Promise<GalleryRecord> {
    const current = await this.requireGallery(id);
    if (patch.name != null) checkText(patch.name, 'name');
    const record = await this.store
      .updateGallery(id, {
        ...(patch.name != null ? { name: patch.name.trim() } : {}),
        ...(patch.storeImages != null ? { storeImages: patch.storeImages } : {}),
        matchPolicy: mergeMatchPolicy(current.matchPolicy, patch.matchPolicy),
        qualityPolicy: mergeQualityPolicy(current.qualityPolicy, patch.qualityPolicy),
      })
      .catch(fromStoreConflict);
    await this.store.publish({ kind: 'gallery', galleryId: id });
    return record;
  }

  async deleteGallery(id: string): Promise<Erased & { galleryId: string }> {
    const erased = await this.store.deleteGallery(id).catch(fromStoreConflict);
    this.indexes.delete(id);
    await this.store.publish({ kind: 'galleryDeleted', galleryId: id });
    this.log.info({ galleryId: id, ...erased }, 'gallery erased');
    return { galleryId: id, ...erased };
  }

  async requireGallery(id: string): Promise<GalleryRecord> {
    const gallery = await this.store.getGallery(id);
    if (!gallery) fail('NOT_FOUND', `No gallery ${id}`, 'galleryId');
    return gallery;
  }

  getGallery(id: string): Promise<GalleryRecord | null> {
    return this.store.getGallery(id);
  }

  listGalleries(principal: Principal, page: PageRequest): Promise<Page<GalleryRecord>> {
    return this.store.listGalleries(page, visibleGalleries(principal));
  }

  async requireSubject(id: string): Promise<SubjectRecord> {
    const subject = await this.store.getSubject(id);
    if (!subject) fail('NOT_FOUND', `No subject ${id}`, 'subjectId');
    return subject;
  }

  getSubject(id: string): Promise<SubjectRecord | null> {
    return this.store.getSubject(id);
  }

  getSubjectByExternalId(galleryId: string, externalId: string): Promise<SubjectRecord | null> {
    return this.store.getSubjectByExternalId(galleryId, externalId);
  }

  listSubjects(galleryId: string, page: PageRequest): Promise<Page<SubjectRecord>> {
    return this.store.listSubjects(galleryId, page);
  }

  listTemplates(subjectId: string): Promise<TemplateSummary[]> {
    return this.store.listTemplates(subjectId);
  }

  getTemplateImage(templateId: string): Promise<{ image: Uint8Array; imageType: string | null } | null> {
    return this.store.getTemplateImage(templateId);
  }

  countGallery(galleryId: string): Promise<{ subjects: number; templates: number }> {
    return this.store.countGallery(galleryId);
  }

  async createSubject(galleryId: string, input: SubjectInput): Promise<SubjectRecord> {
    const gallery = await this.requireGallery(galleryId);
    checkText(input.externalId, 'externalId');
    checkText(input.displayName, 'displayName');
    checkMetadata(input.metadata);
    const subject = await this.store
      .createSubject(
        { id: randomUUID(), galleryId, externalId: input.externalId?.trim() ?? null, displayName: input.displayName?.trim() ?? null, metadata: input.metadata ?? null },
        gallery.qualityPolicy.maxSubjects,
      )
      .catch(fromStoreConflict);
    return subject;
  }

  async updateSubject(id: string, input: SubjectInput): Promise<SubjectRecord> {
    await this.requireSubject(id);
    checkText(input.externalId, 'externalId');
    checkText(input.displayName, 'displayName');
    checkMetadata(input.metadata);
    return this.store
      .updateSubject(id, {
        ...(input.externalId !== undefined ? { externalId: input.externalId?.trim() ?? null } : {}),
        ...(input.displayName !== undefined ? { displayName: input.displayName?.trim() ?? null } : {}),
        ...(input.metadata !== undefined ? { metadata: input.metadata } : {}),
      })
      .catch(fromStoreConflict);
  }

  /** Erases a subject: its row, every template and image (one transaction), and its index entries. */
  async deleteSubject(id: string): Promise<ErasedSubject> {
    const subject = await this.requireSubject(id);
    const erased = await this.store.deleteSubject(id).catch(fromStoreConflict);
    this.indexes.get(subject.galleryId)?.removeSubject(id);
    await this.store.publish({ kind: 'subjectDeleted', galleryId: subject.galleryId, subjectId: id });
    this.log.info({ subjectId: id, galleryId: subject.galleryId, ...erased }, 'subject erased');
    return { subjectId: id, externalId: subject.externalId, galleryId: subject.galleryId, ...erased };
  }

  /** The subject and gallery of a template; NOT_FOUND when there is none. */
  async templateOwner(templateId: string): Promise<{ subjectId: string; galleryId: string }> {
    const owner = await this.store.getTemplateOwner(templateId);
    if (!owner) fail('NOT_FOUND', `No template ${templateId}`, 'id');
    return owner;
  }

  async deleteTemplate(templateId: string): Promise<{ templateId: string; subjectId: string; galleryId: string; imagesErased: number }> {
    const removed = await this.store.deleteTemplate(templateId);
    if (!removed) fail('NOT_FOUND', `No template ${templateId}`, 'templateId');
    this.indexes.get(removed.galleryId)?.removeTemplate(templateId);
    await this.store.publish({ kind: 'subject', galleryId: removed.galleryId, subjectId: removed.subjectId });
    return { templateId, subjectId: removed.subjectId, galleryId: removed.galleryId, imagesErased: removed.hadImage ? 1 : 0 };
  }

  // ----------------------------------------------------------------------------------------------
  // Enrollment and search

  /**
   * Enrolls several images of one subject with partial success: each image is embedded (in parallel on
   * the pool, `embedForEnrollment`), then gated and stored (`enrollEmbedded`). A busy or failing pool
   * fails the whole request before anything is stored.
   */
  async enroll(subjectId: string, images: readonly EnrollImage[], signal?: AbortSignal): Promise<EnrollmentResult> {
    if (images.length === 0) fail('BAD_REQUEST', 'Send at least one image', 'images');
    if (images.length > this.config.maxEnrollImages) {
      fail('LIMIT_EXCEEDED', `At most ${this.config.maxEnrollImages} images per enrollFaces call, got ${images.length}`, 'images');
    }
    await this.requireSubject(subjectId);
    const embedded = await this.embedForEnrollment(images, signal);
    return this.enrollEmbedded(subjectId, images, embedded);
  }

  /**
   * What the inference service made of each enrollment image (the same `embed` as the API's, default face
   * choice); images without a usable face are outcomes, not errors. Overload and other failures throw.
   */
  async embedForEnrollment(images: readonly EnrollImage[], signal?: AbortSignal): Promise<EmbedOutcome[]> {
    this.inference.admit(images.length);
    return Promise.all(
      images.map(async (image): Promise<EmbedOutcome> => {
        try {
          return { ok: true, result: await this.inference.embed(image.bytes, signal ? { signal } : {}) };
        } catch (error) {
          if (isFaceError(error) || (isServiceError(error) && ['BAD_IMAGE', 'UNSUPPORTED_FORMAT', 'IMAGE_TOO_LARGE', 'NO_FACE'].includes(error.code))) {
            const code = (error as { code: string }).code;
            return { ok: false, reason: code === 'NO_FACE' ? 'NO_FACE' : 'BAD_IMAGE', message: (error as Error).message };
          }
          throw tagArgument(error, 'images');
        }
      }),
    );
  }

  /**
   * The rest of `enroll` for images already embedded by `embedForEnrollment` (`embedded[i]` is image i's):
   * face selection (an ambiguous choice is MULTIPLE_FACES), the quality gate on the image's pixels, then,
   * serialised per gallery in this process, the duplicate check against the other subjects and the
   * template limit, and the accepted ones stored in one transaction and added to the index. The evaluation
   * (bench/gallery/eval.ts) calls it with embeddings it made once per LFW image.
   */
  async enrollEmbedded(subjectId: string, images: readonly EnrollImage[], embedded: readonly EmbedOutcome[]): Promise<EnrollmentResult> {
    if (embedded.length !== images.length) throw new Error(`enrollEmbedded: ${images.length} images but ${embedded.length} embeddings`);
    const subject = await this.requireSubject(subjectId);
    const gallery = await this.requireGallery(subject.galleryId);
    const policy = gallery.qualityPolicy;

    const rejected: RejectedImage[] = [];
    const reject = (index: number, reason: RejectionReason, message: string, extra: Partial<RejectedImage> = {}): void => {
      rejected.push({ index, filename: images[index]!.filename, reason, message, quality: null, issues: [], conflictingSubjectId: null, similarity: null, face: null, ...extra });
    };
    const gated: { index: number; result: EmbeddingResult; quality: QualityFigures }[] = [];
    for (let i = 0; i < embedded.length; i++) {
      const outcome = embedded[i]!;
      if (!outcome.ok) {
        reject(i, outcome.reason, outcome.message);
        continue;
      }
      const { result } = outcome;
      if (result.selection.ambiguous) {
        reject(i, 'MULTIPLE_FACES', `The image shows ${result.faceCount} faces and another is nearly as prominent as the chosen one; enroll images of one person`, { face: result.face });
        continue;
      }
      let quality: QualityFigures;
      try {
        quality = await measureQuality(images[i]!.bytes, result.face, result.image);
      } catch (error) {
        this.log.warn({ err: error, filename: images[i]!.filename }, 'could not measure the quality of an enrollment image');
        reject(i, 'BAD_IMAGE', 'The image could be embedded but not measured for quality', { face: result.face });
        continue;
      }
      const issues = qualityIssues(quality, policy);
      if (issues.length > 0) {
        reject(i, 'LOW_QUALITY', `The face fails ${issues.map((x) => x.check).join(', ')}`, { quality, issues, face: result.face });
        continue;
      }
      gated.push({ index: i, result, quality });
    }

    // Check-then-write, one enrollment at a time per gallery in this process and, through the store's write
    // lock, across replicas: two parallel enrollments of one face into different subjects cannot both pass
    // the duplicate check. Under the lock the store hands over the templates stored since this index's
    // storedThrough, which another replica may have written a moment ago, and the check covers them too.
    const { fitting, stored } = await this.enrollSerial.run(gallery.id, async () => {
      if (gated.length === 0) return { fitting: [] as typeof gated, stored: [] as TemplateSummary[] };
      const index = this.indexOf(gallery.id);
      const candidateOf = new Map<(typeof gated)[number], NewTemplate>(
        gated.map((g) => [
          g,
          {
            id: randomUUID(),
            vector: g.result.embedding,
            model: CURRENT_MODEL.name,
            modelVersion: CURRENT_MODEL.version,
            quality: g.quality,
            image: gallery.storeImages ? images[g.index]!.bytes : null,
            imageType: gallery.storeImages ? images[g.index]!.type || null : null,
          },
        ]),
      );
      let fits: typeof gated = [];
      let unseen: TemplateSummary[] = [];
      let recentThrough = 0;
      const choose = (recent: readonly TemplateSummary[]): NewTemplate[] => {
        recentThrough = lastSeq(recent);
        unseen = recent.filter((t) => isCurrent(t) && !index.matrix.has(t.id));
        const accepted: typeof gated = [];
        for (const g of gated) {
          const other = bestOtherSubject(index, unseen, g.result.embedding, subject.id);
          if (other && other.similarity >= gallery.matchPolicy.duplicateThreshold) {
            reject(g.index, 'DUPLICATE_IDENTITY', `The face matches another subject (similarity ${other.similarity.toFixed(3)} >= ${gallery.matchPolicy.duplicateThreshold})`, {
              quality: g.quality,
              face: g.result.face,
              conflictingSubjectId: other.subjectId,
              similarity: other.similarity,
            });
          } else accepted.push(g);
        }
        const held = index.matrix.subjectTemplates(subject.id).length + unseen.filter((t) => t.subjectId === subject.id).length;
        const room = Math.max(0, policy.maxTemplatesPerSubject - held);
        fits = accepted.slice(0, room);
        for (const extra of accepted.slice(room)) {
          reject(extra.index, 'TEMPLATE_LIMIT', `The subject would hold more than ${policy.maxTemplatesPerSubject} templates`, { quality: extra.quality, face: extra.result.face });
        }
        return fits.map((g) => candidateOf.get(g)!);
      };
      const added = await this.store
        .addTemplates(subject.id, [...candidateOf.values()], policy.maxTemplatesPerSubject, { afterSeq: index.storedThrough, choose })
        .catch(fromStoreConflict);
      for (const t of added) index.add(t.id, subject.id, t.vector);
      // What other replicas wrote meanwhile reaches the index as their notifications do (the same replay,
      // ordered with any deletion after it); once it has, the index holds everything up to here.
      const replayed = await Promise.all([...new Set(unseen.map((t) => t.subjectId))].map((subjectId) => this.applyRemote({ kind: 'subject', galleryId: gallery.id, subjectId })));
      // A replay that failed leaves the watermark where it was, so the next enrollment reads those rows again.
      if (replayed.every(Boolean)) index.storedThrough = Math.max(index.storedThrough, recentThrough, lastSeq(added));
      return { fitting: fits, stored: added };
    });
    if (stored.length > 0) await this.store.publish({ kind: 'subject', galleryId: gallery.id, subjectId: subject.id });
    rejected.sort((a, b) => a.index - b.index);
    this.metrics?.enrollments.inc({ outcome: 'enrolled' }, stored.length);
    for (const r of rejected) this.metrics?.enrollments.inc({ outcome: r.reason });
    this.log.info({ subjectId: subject.id, galleryId: gallery.id, enrolled: stored.length, rejected: rejected.map((r) => r.reason) }, 'enrollment');
    return {
      subject: (await this.store.getSubject(subject.id)) ?? subject,
      enrolled: fitting.map((f, k) => ({ index: f.index, filename: images[f.index]!.filename, template: stored[k]!, face: f.result.face, faceCount: f.result.faceCount })),
      rejected,
    };
  }

  private async embedProbe(bytes: Uint8Array, signal?: AbortSignal): Promise<EmbeddingResult> {
    return this.inference.embed(bytes, signal ? { signal } : {}).catch((e: unknown) => Promise.reject(tagArgument(e, 'probe')));
  }

  /** 1:1 against every template of one subject; the subject's score is its best template's. */
  async verifyFace(subjectId: string, probe: Uint8Array, threshold: number | null | undefined, signal?: AbortSignal): Promise<SubjectVerification> {
    const subject = await this.requireSubject(subjectId);
    const gallery = await this.requireGallery(subject.galleryId);
    const used = threshold ?? gallery.matchPolicy.verifyThreshold;
    inRange(used, -1, 1, 'threshold');
    if (this.indexOf(gallery.id).matrix.subjectTemplates(subject.id).length === 0) {
      fail('BAD_REQUEST', `Subject ${subject.id} has no templates of ${CURRENT_MODEL.name} to compare with; enroll faces first`, 'subjectId');
    }
    const result = await this.embedProbe(probe, signal);
    const score = this.indexOf(gallery.id).scoreSubject(subject.id, result.embedding);
    if (!score) fail('NOT_FOUND', `Subject ${subject.id} was erased during the verification`, 'subjectId');
    return {
      subject,
      similarity: score.best,
      meanSimilarity: score.mean,
      threshold: used,
      match: score.best >= used,
      templatesCompared: score.count,
      bestTemplateId: score.bestTemplateId,
      model: result.model,
      probe: { image: result.image, face: result.face, faceCount: result.faceCount },
    };
  }

  /** 1:N: the best subjects, and a decision by the gallery's identification threshold and margin. */
  async identify(galleryId: string, probe: Uint8Array, topK: number, signal?: AbortSignal): Promise<Identification> {
    if (!Number.isInteger(topK) || topK < 1 || topK > this.config.maxTopK) fail('BAD_REQUEST', `topK must be an integer from 1 to ${this.config.maxTopK}`, 'topK');
    const gallery = await this.requireGallery(galleryId);
    const result = await this.embedProbe(probe, signal);
    return this.identifyEmbedding(gallery, result.embedding, topK, { image: result.image, face: result.face, faceCount: result.faceCount }, result.model);
  }

  /** The search and decision for an embedding already made (live identification reuses it). */
  async identifyEmbedding(gallery: GalleryRecord, embedding: Float32Array, topK: number, probe: ProbeInfo, model: string): Promise<Identification> {
    const started = performance.now();
    const search = this.indexOf(gallery.id).search(embedding, Math.max(topK, 2));
    const searchMs = performance.now() - started;
    this.metrics?.searchDuration.observe({ method: search.method }, searchMs / 1000);
    const { identifyThreshold, minMargin } = gallery.matchPolicy;
    const [first, second] = search.hits;
    const margin = first && second ? first.similarity - second.similarity : null;
    let decision: IdentificationDecision = 'NO_MATCH';
    if (first && first.similarity >= identifyThreshold) decision = margin !== null && margin < minMargin ? 'AMBIGUOUS' : 'MATCH';
    const subjects = await Promise.all(search.hits.slice(0, topK).map((h) => this.store.getSubject(h.subjectId)));
    const candidates: Candidate[] = [];
    search.hits.slice(0, topK).forEach((hit, i) => {
      const subject = subjects[i];
      if (subject) candidates.push({ rank: candidates.length + 1, subject, similarity: hit.similarity, templateId: hit.templateId });
    });
    this.metrics?.identifications.inc({ decision, method: search.method });
    return {
      decision,
      subject: decision === 'MATCH' ? (subjects[0] ?? null) : null,
      candidates,
      threshold: identifyThreshold,
      minMargin,
      margin,
      method: search.method,
      subjectsSearched: search.subjectsSearched,
      templatesSearched: search.templatesSearched,
      model,
      probe,
      searchMs,
    };
  }

  /** A live-session scorer against one subject, or naming who is in front of the camera in a gallery. */
  async liveScorer(target: { subjectId: string } | { galleryId: string }, threshold?: number | null): Promise<{ scorer: FrameScorer; threshold: number; gallery: GalleryRecord; subject: SubjectRecord | null }> {
    if ('subjectId' in target) {
      const subject = await this.requireSubject(target.subjectId);
      const gallery = await this.requireGallery(subject.galleryId);
      const used = threshold ?? gallery.matchPolicy.verifyThreshold;
      inRange(used, -1, 1, 'threshold');
      if (this.indexOf(gallery.id).matrix.subjectTemplates(subject.id).length === 0) fail('BAD_REQUEST', `Subject ${subject.id} has no templates; enroll faces first`, 'subjectId');
      return { scorer: subjectScorer(() => this.indexOf(gallery.id), subject.id, used), threshold: used, gallery, subject };
    }
    const gallery = await this.requireGallery(target.galleryId);
    return { scorer: identificationScorer(() => this.indexOf(gallery.id), gallery), threshold: gallery.matchPolicy.identifyThreshold, gallery, subject: null };
  }

  // ----------------------------------------------------------------------------------------------
  // Export and import

  async exportGallery(galleryId: string): Promise<GalleryExport> {
    const gallery = await this.requireGallery(galleryId);
    const subjects: GalleryExport['subjects'] = [];
    let afterSeq: number | null = null;
    for (;;) {
      const page: Page<SubjectRecord> = await this.store.listSubjects(galleryId, { first: 1000, afterSeq });
      for (const s of page.items) {
        const templates = await this.store.listTemplates(s.id);
        subjects.push({
          externalId: s.externalId,
          displayName: s.displayName,
          metadata: s.metadata,
          templates: templates.map((t) => ({
            vector: Buffer.from(t.vector.buffer, t.vector.byteOffset, t.vector.byteLength).toString('base64'),
            model: t.model,
            modelVersion: t.modelVersion,
            quality: t.quality,
            createdAt: t.createdAt,
          })),
        });
      }
      if (!page.hasNextPage || page.items.length === 0) break;
      afterSeq = page.items[page.items.length - 1]!.seq;
    }
    return {
      format: 'facegate-gallery/1',
      exportedAt: new Date().toISOString(),
      model: CURRENT_MODEL,
      gallery: { name: gallery.name, storeImages: gallery.storeImages, matchPolicy: gallery.matchPolicy, qualityPolicy: gallery.qualityPolicy },
      subjects,
    };
  }

  /**
   * Imports an export into a gallery: subjects are matched by externalId (merged into an existing one)
   * or created; templates of another model or version are skipped and counted. Images are never exported.
   */
  async importGallery(galleryId: string, data: unknown): Promise<ImportResult> {
    const gallery = await this.requireGallery(galleryId);
    const doc = data as Partial<GalleryExport> | null;
    if (!doc || typeof doc !== 'object' || doc.format !== 'facegate-gallery/1' || !Array.isArray(doc.subjects)) {
      fail('BAD_REQUEST', 'Not a facegate-gallery/1 export', 'data');
    }
    const result: ImportResult = { subjectsCreated: 0, subjectsMerged: 0, templatesImported: 0, templatesSkipped: 0 };
    const index = this.indexOf(gallery.id);
    for (const s of doc.subjects) {
      if (!s || typeof s !== 'object' || !Array.isArray(s.templates)) fail('BAD_REQUEST', 'A subject of the export is malformed', 'data');
      const rows: NewTemplate[] = [];
      for (const t of s.templates) {
        const vector = typeof t?.vector === 'string' ? new Float32Array(new Uint8Array(Buffer.from(t.vector, 'base64')).buffer) : null;
        if (!vector || !isCurrent({ model: t.model, modelVersion: t.modelVersion, vector })) {
          result.templatesSkipped++;
          continue;
        }
        rows.push({ id: randomUUID(), vector, model: t.model, modelVersion: t.modelVersion, quality: t.quality, image: null, imageType: null });
      }
      let subject = s.externalId ? await this.store.getSubjectByExternalId(gallery.id, s.externalId) : null;
      if (subject) result.subjectsMerged++;
      else {
        subject = await this.createSubject(gallery.id, { externalId: s.externalId ?? null, displayName: s.displayName ?? null, metadata: s.metadata ?? null });
        result.subjectsCreated++;
      }
      if (rows.length > 0) {
        const stored = await this.store.addTemplates(subject.id, rows, gallery.qualityPolicy.maxTemplatesPerSubject).catch(fromStoreConflict);
        for (const t of stored) index.add(t.id, subject.id, t.vector);
        result.templatesImported += stored.length;
        await this.store.publish({ kind: 'subject', galleryId: gallery.id, subjectId: subject.id });
      }
    }
    return result;
  }
}
