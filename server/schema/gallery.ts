/**
 * The identity gallery over GraphQL: galleries (each with its match policy and quality gate), subjects,
 * templates; enrollFaces with partial success; verifyFace (1:1 against a subject); identifyFace (1:N);
 * erasure; export and import; API keys. Lists are Relay connections. Every operation here needs an API
 * key with the right scope on the gallery (server/gallery/keys.ts).
 */
import { builder, type Context } from '../builder.js';
import type { Principal } from '../gallery/keys.js';
import { principalOf } from '../gallery/principal.js';
import type { QualityIssue } from '../gallery/quality.js';
import type {
  Candidate,
  EnrolledImage,
  EnrollmentResult,
  ErasedSubject,
  Identification,
  ImportResult,
  ProbeInfo,
  RejectedImage,
  SubjectVerification,
} from '../gallery/service.js';
import type { ApiKeyRecord, GalleryRecord, Grant, MatchPolicy, Page, QualityFigures, QualityPolicy, Scope, SubjectRecord, TemplateSummary } from '../gallery/types.js';
import { SCOPES } from '../gallery/types.js';
import { apiError, ServiceError, tagArgument } from '../errors.js';
import type { LiveIdentity, LiveSessionInfo, StartOptions } from '../live/sessions.js';
import { FaceRef, guarded, ImageInfoRef, ms, readUpload } from './common.js';
import { liveOwner } from '../live/owner.js';
import { clientAddress, LiveFrameRef, outcomeAudience, REPLICA_FIELD_DESCRIPTION } from './live.js';
import { noteLiveSessionOpened } from '../replica.js';

// ------------------------------------------------------------------------------------------------
// Access

async function authorize(ctx: Context, scope: Scope, galleryId: string | null): Promise<Principal> {
  return ctx.deps.gallery.authorize(await principalOf(ctx), scope, galleryId);
}

// ------------------------------------------------------------------------------------------------
// Connections

interface Edge<T> {
  node: T;
  cursor: string;
}

interface Connection<T> {
  edges: Edge<T>[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  totalCount: number;
}

const PageInfoRef = builder.objectRef<Connection<unknown>['pageInfo']>('PageInfo').implement({
  description: 'Relay page info (forward pagination).',
  fields: (t) => ({
    hasNextPage: t.exposeBoolean('hasNextPage'),
    endCursor: t.exposeString('endCursor', { nullable: true }),
  }),
});

const encodeCursor = (seq: number): string => Buffer.from(`seq:${seq}`).toString('base64url');

function decodeCursor(cursor: string | null | undefined): number | null {
  if (cursor == null) return null;
  const match = /^seq:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!match) throw apiError('BAD_REQUEST', 'Malformed cursor', { argument: 'after' });
  return Number(match[1]);
}

function pageRequest(args: { first?: number | null; after?: string | null }): { first: number; afterSeq: number | null } {
  const first = args.first ?? 20;
  if (!Number.isInteger(first) || first < 1 || first > 100) throw apiError('BAD_REQUEST', 'first must be from 1 to 100', { argument: 'first' });
  return { first, afterSeq: decodeCursor(args.after) };
}

function toConnection<T extends { seq: number }>(page: Page<T>): Connection<T> {
  const edges = page.items.map((node) => ({ node, cursor: encodeCursor(node.seq) }));
  return { edges, pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null }, totalCount: page.totalCount };
}

function connectionType<T>(name: string, nodeRef: ReturnType<typeof builder.objectRef<T>>) {
  const edgeRef = builder.objectRef<Edge<T>>(`${name}Edge`).implement({
    fields: (t) => ({
      node: t.expose('node', { type: nodeRef }),
      cursor: t.exposeString('cursor'),
    }),
  });
  return builder.objectRef<Connection<T>>(`${name}Connection`).implement({
    fields: (t) => ({
      edges: t.field({ type: [edgeRef], resolve: (c) => c.edges }),
      pageInfo: t.field({ type: PageInfoRef, resolve: (c) => c.pageInfo }),
      totalCount: t.exposeInt('totalCount'),
    }),
  });
}

// ------------------------------------------------------------------------------------------------
// Scalars and enums

builder.scalarType('JSON', {
  description: 'Any JSON value (subject metadata, gallery exports).',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: () => {
    throw apiError('BAD_REQUEST', 'Send JSON values as variables');
  },
});

const ScopeRef = builder.enumType('Scope', {
  description: 'What an API key may do on a gallery. admin implies the others.',
  values: SCOPES.map((s) => s.toUpperCase()) as unknown as readonly ['READ', 'ENROLL', 'IDENTIFY', 'DELETE', 'ADMIN'],
});

const toScope = (s: string): Scope => s.toLowerCase() as Scope;
const fromScope = (s: Scope): 'READ' | 'ENROLL' | 'IDENTIFY' | 'DELETE' | 'ADMIN' => s.toUpperCase() as 'READ';

const RejectionReasonRef = builder.enumType('RejectionReason', {
  description: 'Why enrollFaces refused one image.',
  values: {
    NO_FACE: { description: 'No face was found.' },
    MULTIPLE_FACES: { description: 'Another face is nearly as prominent as the chosen one (the face selection calls the choice ambiguous, as embed and verify report it): enrollment needs images where the subject is clear.' },
    LOW_QUALITY: { description: 'The face failed the gallery quality gate (see qualityIssues).' },
    DUPLICATE_IDENTITY: { description: 'The face already matches another subject of the gallery.' },
    BAD_IMAGE: { description: 'The file could not be decoded, is not a supported image, or is too large.' },
    TEMPLATE_LIMIT: { description: 'The subject already holds the most templates the gallery allows.' },
  } as const,
});

const QualityCheckRef = builder.enumType('QualityCheck', {
  values: {
    FACE_SIZE: { description: 'Face box side, pixels.' },
    DETECTOR_SCORE: { description: 'MTCNN O-Net score.' },
    SHARPNESS: { description: 'Variance of the Laplacian on a 112-px grey face crop.' },
    YAW: { description: 'Estimated head yaw, degrees.' },
    PITCH: { description: 'Estimated head pitch, degrees.' },
  } as const,
});

const DecisionRef = builder.enumType('IdentificationDecision', {
  values: {
    MATCH: { description: 'The best subject passes the identification threshold and beats the second by the minimum margin.' },
    NO_MATCH: { description: 'Nobody enrolled passes the threshold: an unknown person.' },
    AMBIGUOUS: { description: 'The best subject passes the threshold, but the second is within the minimum margin.' },
  } as const,
});

const SearchMethodRef = builder.enumType('SearchMethod', {
  values: {
    EXACT: { description: 'Every template scored.' },
    ANN: { description: 'HNSW candidates, re-ranked exactly over all their templates.' },
  } as const,
});

// ------------------------------------------------------------------------------------------------
// Objects

const MatchPolicyRef = builder.objectRef<MatchPolicy>('MatchPolicy').implement({
  description: "A gallery's decision thresholds (cosine similarity).",
  fields: (t) => ({
    verifyThreshold: t.exposeFloat('verifyThreshold', { description: 'verifyFace: best template >= this is a match.' }),
    identifyThreshold: t.exposeFloat('identifyThreshold', { description: 'identifyFace: the best subject must reach this (calibrated for FPIR 1% on LFW View 1).' }),
    minMargin: t.exposeFloat('minMargin', { description: 'identifyFace: the best subject must beat the second by this, else AMBIGUOUS.' }),
    duplicateThreshold: t.exposeFloat('duplicateThreshold', { description: 'enrollFaces: a face this close to another subject is DUPLICATE_IDENTITY.' }),
  }),
});

const QualityPolicyRef = builder.objectRef<QualityPolicy>('QualityPolicy').implement({
  description: "A gallery's enrollment quality gate and limits.",
  fields: (t) => ({
    minFaceSize: t.exposeFloat('minFaceSize'),
    minDetectorScore: t.exposeFloat('minDetectorScore'),
    minSharpness: t.exposeFloat('minSharpness'),
    maxYaw: t.exposeFloat('maxYaw'),
    maxPitch: t.exposeFloat('maxPitch'),
    maxTemplatesPerSubject: t.exposeInt('maxTemplatesPerSubject'),
    maxSubjects: t.exposeInt('maxSubjects'),
  }),
});

const QualityFiguresRef = builder.objectRef<QualityFigures>('QualityFigures').implement({
  description: 'What the enrollment gate measured on a face.',
  fields: (t) => ({
    faceSize: t.exposeFloat('faceSize'),
    detectorScore: t.exposeFloat('detectorScore'),
    sharpness: t.exposeFloat('sharpness'),
    yaw: t.exposeFloat('yaw'),
    pitch: t.exposeFloat('pitch'),
  }),
});

const QualityIssueRef = builder.objectRef<QualityIssue>('QualityIssue').implement({
  fields: (t) => ({
    check: t.field({ type: QualityCheckRef, resolve: (i) => i.check }),
    value: t.exposeFloat('value'),
    limit: t.exposeFloat('limit'),
  }),
});

const TemplateRef = builder.objectRef<TemplateSummary>('Template').implement({
  description: 'One enrolled face: its embedding (not exposed), model and quality. The image is kept only when the gallery stores images.',
  fields: (t) => ({
    id: t.exposeID('id'),
    model: t.exposeString('model'),
    modelVersion: t.exposeString('modelVersion'),
    quality: t.field({ type: QualityFiguresRef, resolve: (x) => x.quality }),
    hasImage: t.exposeBoolean('hasImage'),
    createdAt: t.exposeString('createdAt'),
  }),
});

export const SubjectRef = builder.objectRef<SubjectRecord>('Subject');
export const GalleryRef = builder.objectRef<GalleryRecord>('Gallery');
const SubjectConnectionRef = connectionType<SubjectRecord>('Subject', SubjectRef);
const GalleryConnectionRef = connectionType<GalleryRecord>('Gallery', GalleryRef);

SubjectRef.implement({
  description: 'An enrolled person.',
  fields: (t) => ({
    id: t.exposeID('id'),
    galleryId: t.exposeID('galleryId'),
    externalId: t.exposeString('externalId', { nullable: true, description: "Your system's id for the person; unique in the gallery." }),
    displayName: t.exposeString('displayName', { nullable: true }),
    metadata: t.field({ type: 'JSON', nullable: true, resolve: (s) => s.metadata }),
    templates: t.field({ type: [TemplateRef], resolve: (s, _args, ctx) => ctx.deps.gallery.listTemplates(s.id) }),
    templateCount: t.int({ resolve: async (s, _args, ctx) => (await ctx.deps.gallery.listTemplates(s.id)).length }),
    createdAt: t.exposeString('createdAt'),
    updatedAt: t.exposeString('updatedAt'),
  }),
});

GalleryRef.implement({
  description: 'A set of enrolled subjects with its own match policy and quality gate.',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    storeImages: t.exposeBoolean('storeImages', { description: 'Whether enrolled images are kept (off by default: only templates are stored).' }),
    matchPolicy: t.field({ type: MatchPolicyRef, resolve: (g) => g.matchPolicy }),
    qualityPolicy: t.field({ type: QualityPolicyRef, resolve: (g) => g.qualityPolicy }),
    subjectCount: t.int({ resolve: async (g, _args, ctx) => (await ctx.deps.gallery.countGallery(g.id)).subjects }),
    templateCount: t.int({ resolve: async (g, _args, ctx) => (await ctx.deps.gallery.countGallery(g.id)).templates }),
    indexedTemplates: t.int({ description: 'Templates in the in-memory search index of this server.', resolve: (g, _args, ctx) => ctx.deps.gallery.indexSize(g.id).templates }),
    subjects: t.field({
      type: SubjectConnectionRef,
      args: { first: t.arg.int(), after: t.arg.string() },
      resolve: (g, args, ctx) =>
        guarded(async () => {
          // A key may see a gallery in `galleries` through any grant; its subjects need READ.
          await authorize(ctx, 'read', g.id);
          return toConnection(await ctx.deps.gallery.listSubjects(g.id, pageRequest(args)));
        }),
    }),
    createdAt: t.exposeString('createdAt'),
    updatedAt: t.exposeString('updatedAt'),
  }),
});

const ProbeRef = builder.objectRef<ProbeInfo>('ProbeFace').implement({
  description: 'The face of the probe image that was searched with.',
  fields: (t) => ({
    image: t.field({ type: ImageInfoRef, resolve: (p) => p.image }),
    face: t.field({ type: FaceRef, resolve: (p) => p.face }),
    faceCount: t.exposeInt('faceCount'),
  }),
});

const EnrolledImageRef = builder.objectRef<EnrolledImage>('EnrolledImage').implement({
  fields: (t) => ({
    index: t.exposeInt('index', { description: 'Position of the image in the images argument.' }),
    filename: t.exposeString('filename'),
    template: t.field({ type: TemplateRef, resolve: (e) => e.template }),
    face: t.field({ type: FaceRef, resolve: (e) => e.face }),
  }),
});

const RejectedImageRef = builder.objectRef<RejectedImage>('RejectedImage').implement({
  fields: (t) => ({
    index: t.exposeInt('index', { description: 'Position of the image in the images argument.' }),
    filename: t.exposeString('filename'),
    reason: t.field({ type: RejectionReasonRef, resolve: (r) => r.reason }),
    message: t.exposeString('message'),
    quality: t.field({ type: QualityFiguresRef, nullable: true, resolve: (r) => r.quality }),
    qualityIssues: t.field({ type: [QualityIssueRef], resolve: (r) => r.issues }),
    face: t.field({ type: FaceRef, nullable: true, resolve: (r) => r.face }),
    conflictingSubject: t.field({
      type: SubjectRef,
      nullable: true,
      description: 'DUPLICATE_IDENTITY: the subject the face matched.',
      resolve: (r, _args, ctx) => (r.conflictingSubjectId ? ctx.deps.gallery.getSubject(r.conflictingSubjectId) : null),
    }),
    similarity: t.exposeFloat('similarity', { nullable: true }),
  }),
});

const EnrollmentRef = builder.objectRef<EnrollmentResult>('Enrollment').implement({
  description: 'What enrollFaces did with each image: enrolled, or rejected with a reason.',
  fields: (t) => ({
    subject: t.field({ type: SubjectRef, resolve: (e) => e.subject }),
    enrolled: t.field({ type: [EnrolledImageRef], resolve: (e) => e.enrolled }),
    rejected: t.field({ type: [RejectedImageRef], resolve: (e) => e.rejected }),
  }),
});

const SubjectVerificationRef = builder.objectRef<SubjectVerification>('SubjectVerification').implement({
  description: "1:1 against every template of a subject; the subject's score is its best template's.",
  fields: (t) => ({
    subject: t.field({ type: SubjectRef, resolve: (v) => v.subject }),
    similarity: t.exposeFloat('similarity', { description: 'Best template similarity.' }),
    meanSimilarity: t.exposeFloat('meanSimilarity'),
    threshold: t.exposeFloat('threshold'),
    match: t.exposeBoolean('match'),
    templatesCompared: t.exposeInt('templatesCompared'),
    bestTemplateId: t.exposeID('bestTemplateId'),
    model: t.exposeString('model'),
    probe: t.field({ type: ProbeRef, resolve: (v) => v.probe }),
  }),
});

const CandidateRef = builder.objectRef<Candidate>('Candidate').implement({
  fields: (t) => ({
    rank: t.exposeInt('rank'),
    subject: t.field({ type: SubjectRef, resolve: (c) => c.subject }),
    similarity: t.exposeFloat('similarity', { description: "The subject's best template similarity." }),
    templateId: t.exposeID('templateId'),
  }),
});

const IdentificationRef = builder.objectRef<Identification>('Identification').implement({
  description: '1:N: who the probe is, if anyone enrolled.',
  fields: (t) => ({
    decision: t.field({ type: DecisionRef, resolve: (i) => i.decision }),
    subject: t.field({ type: SubjectRef, nullable: true, description: 'The identified subject (MATCH only).', resolve: (i) => i.subject }),
    candidates: t.field({ type: [CandidateRef], description: 'The best subjects, best first (topK).', resolve: (i) => i.candidates }),
    threshold: t.exposeFloat('threshold'),
    minMargin: t.exposeFloat('minMargin'),
    margin: t.exposeFloat('margin', { nullable: true, description: 'Best minus second-best similarity; null with fewer than two subjects.' }),
    method: t.field({ type: SearchMethodRef, resolve: (i) => i.method }),
    subjectsSearched: t.exposeInt('subjectsSearched'),
    templatesSearched: t.exposeInt('templatesSearched'),
    searchMs: t.float({ resolve: (i) => ms(i.searchMs) }),
    model: t.exposeString('model'),
    probe: t.field({ type: ProbeRef, resolve: (i) => i.probe }),
  }),
});

const ErasedSubjectRef = builder.objectRef<ErasedSubject>('ErasedSubject').implement({
  description: 'What deleteSubject erased: the subject row, its templates (vectors) and stored images.',
  fields: (t) => ({
    subjectId: t.exposeID('subjectId'),
    externalId: t.exposeString('externalId', { nullable: true }),
    galleryId: t.exposeID('galleryId'),
    templatesErased: t.int({ resolve: (e) => e.templates }),
    imagesErased: t.int({ resolve: (e) => e.images }),
  }),
});

const ErasedTemplateRef = builder.objectRef<{ templateId: string; subjectId: string; imagesErased: number }>('ErasedTemplate').implement({
  fields: (t) => ({
    templateId: t.exposeID('templateId'),
    subjectId: t.exposeID('subjectId'),
    imagesErased: t.exposeInt('imagesErased'),
  }),
});

const ErasedGalleryRef = builder.objectRef<{ galleryId: string; subjects: number; templates: number; images: number }>('ErasedGallery').implement({
  fields: (t) => ({
    galleryId: t.exposeID('galleryId'),
    subjectsErased: t.int({ resolve: (e) => e.subjects }),
    templatesErased: t.int({ resolve: (e) => e.templates }),
    imagesErased: t.int({ resolve: (e) => e.images }),
  }),
});

const ImportResultRef = builder.objectRef<ImportResult>('ImportResult').implement({
  fields: (t) => ({
    subjectsCreated: t.exposeInt('subjectsCreated'),
    subjectsMerged: t.exposeInt('subjectsMerged', { description: 'Subjects whose externalId existed: templates added to them.' }),
    templatesImported: t.exposeInt('templatesImported'),
    templatesSkipped: t.exposeInt('templatesSkipped', { description: 'Templates of another model or version.' }),
  }),
});

const GrantRef = builder.objectRef<Grant>('Grant').implement({
  fields: (t) => ({
    galleryId: t.exposeID('galleryId', { nullable: true, description: 'null: every gallery.' }),
    scopes: t.field({ type: [ScopeRef], resolve: (g) => g.scopes.map(fromScope) }),
  }),
});

const ApiKeyRef = builder.objectRef<ApiKeyRecord>('ApiKey').implement({
  description: 'An API key (the secret is shown once, at creation, and stored only as a hash).',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    prefix: t.string({ description: 'The public start of the key, fgk_<prefix>_…, to recognise it.', resolve: (k) => `fgk_${k.prefix}` }),
    grants: t.field({ type: [GrantRef], resolve: (k) => k.grants }),
    createdAt: t.exposeString('createdAt'),
    revokedAt: t.exposeString('revokedAt', { nullable: true }),
  }),
});

const CreatedApiKeyRef = builder.objectRef<{ key: string; record: ApiKeyRecord }>('CreatedApiKey').implement({
  fields: (t) => ({
    key: t.exposeString('key', { description: 'The whole key. Shown only now: store it.' }),
    apiKey: t.field({ type: ApiKeyRef, resolve: (k) => k.record }),
  }),
});

const ViewerRef = builder.objectRef<Principal>('Viewer').implement({
  description: 'Who the request is authenticated as.',
  fields: (t) => ({
    keyId: t.exposeID('keyId'),
    name: t.exposeString('name'),
    grants: t.field({ type: [GrantRef], resolve: (p) => [...p.grants] }),
  }),
});

const LiveIdentityRef = builder.objectRef<LiveIdentity>('LiveIdentity').implement({
  description: 'Live identification: who the last frames show together (quality-weighted), decided like identifyFace.',
  fields: (t) => ({
    decision: t.field({ type: DecisionRef, resolve: (i) => i.decision }),
    subject: t.field({ type: SubjectRef, nullable: true, resolve: (i, _args, ctx) => (i.subjectId ? ctx.deps.gallery.getSubject(i.subjectId) : null) }),
    similarity: t.exposeFloat('similarity', { nullable: true, description: 'Quality-weighted mean similarity of the best subject over the window.' }),
    margin: t.exposeFloat('margin', { nullable: true }),
    frames: t.exposeInt('frames', { description: 'Frames with a face in the window (at most 8).' }),
  }),
});

builder.objectField(LiveFrameRef, 'identity', (t) =>
  t.field({ type: LiveIdentityRef, nullable: true, description: 'Live identification sessions only (startGalleryLiveSession with galleryId).', resolve: (f) => f.identity }),
);

interface GalleryLiveSession {
  info: LiveSessionInfo;
  galleryId: string;
  subject: SubjectRecord | null;
}

const GalleryLiveSessionRef = builder.objectRef<GalleryLiveSession>('GalleryLiveSession').implement({
  description: 'A live session against an enrolled subject, or identifying whoever is in front of the camera. Send frames with submitFrame, read results on liveVerification.',
  fields: (t) => ({
    id: t.id({ resolve: (s) => s.info.id }),
    challenge: t.boolean({ description: 'Whether the session runs a movement challenge (see startGalleryLiveSession).', resolve: (s) => s.info.challenge }),
    replica: t.string({ nullable: true, description: REPLICA_FIELD_DESCRIPTION, resolve: (s) => s.info.replica }),
    expiresAt: t.string({ resolve: (s) => s.info.expiresAt.toISOString() }),
    threshold: t.float({ resolve: (s) => s.info.threshold }),
    galleryId: t.exposeID('galleryId'),
    subject: t.field({ type: SubjectRef, nullable: true, description: 'The subject verified against; null in identification mode.', resolve: (s) => s.subject }),
  }),
});

// ------------------------------------------------------------------------------------------------
// Inputs

const MatchPolicyInput = builder.inputType('MatchPolicyInput', {
  fields: (t) => ({
    verifyThreshold: t.float(),
    identifyThreshold: t.float(),
    minMargin: t.float(),
    duplicateThreshold: t.float(),
  }),
});

const QualityPolicyInput = builder.inputType('QualityPolicyInput', {
  fields: (t) => ({
    minFaceSize: t.float(),
    minDetectorScore: t.float(),
    minSharpness: t.float(),
    maxYaw: t.float(),
    maxPitch: t.float(),
    maxTemplatesPerSubject: t.int(),
    maxSubjects: t.int(),
  }),
});

const GalleryInput = builder.inputType('GalleryInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    storeImages: t.boolean({ description: 'Keep enrolled images (default false).' }),
    matchPolicy: t.field({ type: MatchPolicyInput }),
    qualityPolicy: t.field({ type: QualityPolicyInput }),
  }),
});

const GalleryPatchInput = builder.inputType('GalleryPatchInput', {
  fields: (t) => ({
    name: t.string(),
    storeImages: t.boolean(),
    matchPolicy: t.field({ type: MatchPolicyInput }),
    qualityPolicy: t.field({ type: QualityPolicyInput }),
  }),
});

const SubjectInput = builder.inputType('SubjectInput', {
  fields: (t) => ({
    externalId: t.string(),
    displayName: t.string(),
    metadata: t.field({ type: 'JSON', description: 'A JSON object, at most 16 KiB.' }),
  }),
});

const GrantInput = builder.inputType('GrantInput', {
  fields: (t) => ({
    galleryId: t.id({ description: 'Omit or null for every gallery.' }),
    scopes: t.field({ type: [ScopeRef], required: true }),
  }),
});

const ApiKeyInput = builder.inputType('ApiKeyInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    grants: t.field({ type: [GrantInput], required: true }),
  }),
});

type Nullable<T> = { [K in keyof T]?: T[K] | null };
const clean = <T extends object>(value: Nullable<T> | null | undefined): Partial<T> =>
  Object.fromEntries(Object.entries(value ?? {}).filter(([, v]) => v != null)) as Partial<T>;

// ------------------------------------------------------------------------------------------------
// Queries

builder.queryFields((t) => ({
  viewer: t.field({
    type: ViewerRef,
    nullable: true,
    description: 'The API key this request carries; null without one.',
    resolve: (_root, _args, ctx) => guarded(() => principalOf(ctx)),
  }),
  galleries: t.field({
    type: GalleryConnectionRef,
    description: 'The galleries the key has a grant on.',
    args: { first: t.arg.int(), after: t.arg.string() },
    resolve: (_root, args, ctx) =>
      guarded(async () => {
        const principal = await principalOf(ctx);
        if (!principal) ctx.deps.gallery.authorize(null, 'read', null);
        return toConnection(await ctx.deps.gallery.listGalleries(principal!, pageRequest(args)));
      }),
  }),
  gallery: t.field({
    type: GalleryRef,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) =>
      guarded(async () => {
        await authorize(ctx, 'read', String(args.id));
        return ctx.deps.gallery.requireGallery(String(args.id));
      }),
  }),
  subject: t.field({
    type: SubjectRef,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) =>
      guarded(async () => {
        const subject = await subjectFor(ctx, String(args.id), 'read');
        return subject;
      }),
  }),
  subjectByExternalId: t.field({
    type: SubjectRef,
    nullable: true,
    args: { galleryId: t.arg.id({ required: true }), externalId: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) =>
      guarded(async () => {
        await authorize(ctx, 'read', String(args.galleryId));
        await ctx.deps.gallery.requireGallery(String(args.galleryId));
        return ctx.deps.gallery.getSubjectByExternalId(String(args.galleryId), args.externalId);
      }),
  }),
  exportGallery: t.field({
    type: 'JSON',
    description: 'Every subject and template (vectors, base64 float32) of a gallery, never images. Needs admin on the gallery: templates are biometric data.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) =>
      guarded(async () => {
        await authorize(ctx, 'admin', String(args.id));
        return ctx.deps.gallery.exportGallery(String(args.id));
      }),
  }),
  apiKeys: t.field({
    type: [ApiKeyRef],
    description: 'Every API key (admin on every gallery).',
    resolve: (_root, _args, ctx) =>
      guarded(async () => {
        await authorize(ctx, 'admin', null);
        return ctx.deps.gallery.listApiKeys();
      }),
  }),
}));

/** Loads a subject after checking the key, then checks the scope on its gallery. */
async function subjectFor(ctx: Context, subjectId: string, scope: Scope): Promise<SubjectRecord> {
  const principal = await principalOf(ctx);
  if (!principal) ctx.deps.gallery.authorize(null, scope, null);
  const subject = await ctx.deps.gallery.requireSubject(subjectId);
  ctx.deps.gallery.authorize(principal, scope, subject.galleryId);
  return subject;
}

// ------------------------------------------------------------------------------------------------
// Mutations

builder.mutationFields((t) => ({
  createGallery: t.field({
    type: GalleryRef,
    description: 'Creates a gallery (admin on every gallery). CONFLICT when the name is taken.',
    args: { input: t.arg({ type: GalleryInput, required: true }) },
    resolve: (_root, args, ctx) =>
      guarded(async () => {
        await authorize(ctx, 'admin', null);
        return ctx.deps.gallery.createGallery({
          name: args.input.name,
          storeImages: args.input.storeImages ?? null,
          matchPolicy: clean(args.input.matchPolicy),
          qualityPolicy: clean(args.input.qualityPolicy),
        });
      }),
  }),
  updateGallery: t.field({
    type: GalleryRef,
    description: "Renames a gallery or changes its policies (admin on the gallery). Existing templates keep their quality figures.",
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: GalleryPatchInput, required: true }) },
    resolve: (_root, args, ctx) =>
      guarded(async () => {
        await authorize(ctx, 'admin', String(args.id));
        return ctx.deps.gallery.updateGallery(String(args.id), {
          ...(args.input.name != null ? { name: args.input.name } : {}),
          storeImages: args.input.storeImages ?? null,
          matchPolicy: clean(args.input.matchPolicy),
          qualityPolicy: clean(args.input.qualityPolicy),
        });
      }),
  }),
  deleteGallery: t.field({
    type: ErasedGalleryRef,
    description: 'Erases a gallery with every subject, template and image (admin on every gallery).',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) =>
      guarded(async () => {
        await authorize(ctx, 'admin', null);
        return ctx.deps.gallery.deleteGallery(String(args.id));
      }),
  }),
  createSubject: t.field({
    type: SubjectRef,
    description: 'Adds a subject without faces (enroll scope). CONFLICT when externalId is taken in the gallery.',
    args: { galleryId: t.arg.id({ required: true }), input: t.arg({ type: SubjectInput, required: true }) },
    resolve: (_root, args, ctx) =>
      guarded(async () => {
        await authorize(ctx, 'enroll', String(args.galleryId));
        return ctx.deps.gallery.createSubject(String(args.galleryId), {
          externalId: args.input.externalId ?? null,
          displayName: args.input.displayName ?? null,
          metadata: (args.input.metadata as Record<string, unknown> | null | undefined) ?? null,
        });
      }),
  }),
  updateSubject: t.field({
    type: SubjectRef,
    description: 'Renames a subject or changes its externalId or metadata (enroll scope). Fields left out stay; null clears.',
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: SubjectInput, required: true }) },
    resolve: (_root, args, ctx) =>
      guarded(async () => {
        await subjectFor(ctx, String(args.id), 'enroll');
        const input = args.input as Record<string, unknown>;
        return ctx.deps.gallery.updateSubject(String(args.id), {
          ...('externalId' in input ? { externalId: (input['externalId'] as string | null) ?? null } : {}),
          ...('displayName' in input ? { displayName: (input['displayName'] as string | null) ?? null } : {}),
          ...('metadata' in input ? { metadata: (input['metadata'] as Record<string, unknown> | null) ?? null } : {}),
        });
      }),
  }),
  deleteSubject: t.field({
    type: ErasedSubjectRef,
    description: 'Erases a subject: its row, every template and stored image, and its search-index entries (delete scope).',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) =>
      guarded(async () => {
        await subjectFor(ctx, String(args.id), 'delete');
        return ctx.deps.gallery.deleteSubject(String(args.id));
      }),
  }),
  deleteTemplate: t.field({
    type: ErasedTemplateRef,
    description: 'Erases one template and its image (delete scope).',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) =>
      guarded(async () => {
        const principal = await principalOf(ctx);
        if (!principal) ctx.deps.gallery.authorize(null, 'delete', null);
        const owner = await ctx.deps.gallery.templateOwner(String(args.id));
        ctx.deps.gallery.authorize(principal, 'delete', owner.galleryId);
        return ctx.deps.gallery.deleteTemplate(String(args.id));
      }),
  }),
  enrollFaces: t.field({
    type: EnrollmentRef,
    description:
      'Enrolls faces of one subject from several images (enroll scope). Partial success: each image is enrolled or rejected with a reason (NO_FACE, MULTIPLE_FACES, LOW_QUALITY, DUPLICATE_IDENTITY, BAD_IMAGE, TEMPLATE_LIMIT).',
    args: {
      subjectId: t.arg.id({ required: true }),
      images: t.arg({ type: ['File'], required: true }),
    },
    resolve: (_root, args, ctx) =>
      guarded(async () => {
        const subject = await subjectFor(ctx, String(args.subjectId), 'enroll');
        const max = ctx.deps.config.gallery.maxEnrollImages;
        if (args.images.length > max) throw apiError('LIMIT_EXCEEDED', `At most ${max} images per enrollFaces call, got ${args.images.length}`, { argument: 'images' });
        const images = await Promise.all(
          args.images.map(async (file, i) => ({ bytes: await readUpload(file, `images.${i}`, ctx), filename: file.name || `image-${i}`, type: file.type })),
        );
        return ctx.deps.gallery.enroll(subject.id, images, ctx.signal);
      }),
  }),
  verifyFace: t.field({
    type: SubjectVerificationRef,
    description: "1:1: is the probe this subject? Scored against all the subject's templates (identify scope).",
    args: {
      subjectId: t.arg.id({ required: true }),
      probe: t.arg({ type: 'File', required: true }),
      threshold: t.arg.float({ description: "Default: the gallery's verifyThreshold." }),
    },
    resolve: (_root, args, ctx) =>
      guarded(async () => {
        const subject = await subjectFor(ctx, String(args.subjectId), 'identify');
        const probe = await readUpload(args.probe, 'probe', ctx);
        return ctx.deps.gallery.verifyFace(subject.id, probe, args.threshold, ctx.signal);
      }),
  }),
  identifyFace: t.field({
    type: IdentificationRef,
    description: '1:N: who in the gallery is the probe? MATCH, NO_MATCH (unknown) or AMBIGUOUS, with the best candidates (identify scope).',
    args: {
      galleryId: t.arg.id({ required: true }),
      probe: t.arg({ type: 'File', required: true }),
      topK: t.arg.int({ defaultValue: 5, description: 'Candidates to return (1..FACEGATE_IDENTIFY_MAX_TOP_K).' }),
    },
    resolve: (_root, args, ctx) =>
      guarded(async () => {
        await authorize(ctx, 'identify', String(args.galleryId));
        const probe = await readUpload(args.probe, 'probe', ctx);
        return ctx.deps.gallery.identify(String(args.galleryId), probe, args.topK ?? 5, ctx.signal);
      }),
  }),
  importGallery: t.field({
    type: ImportResultRef,
    description: 'Imports an exportGallery document into a gallery (admin on the gallery); subjects merge by externalId.',
    args: { galleryId: t.arg.id({ required: true }), data: t.arg({ type: 'JSON', required: true }) },
    resolve: (_root, args, ctx) =>
      guarded(async () => {
        await authorize(ctx, 'admin', String(args.galleryId));
        return ctx.deps.gallery.importGallery(String(args.galleryId), args.data);
      }),
  }),
  startGalleryLiveSession: t.field({
    type: GalleryLiveSessionRef,
    description:
      'Opens a live session without a reference image (identify scope): with subjectId, frames are verified against all of the subject\'s templates, with a movement challenge by default; with galleryId, each result names who is in front of the camera (identity).',
    args: {
      subjectId: t.arg.id(),
      galleryId: t.arg.id(),
      threshold: t.arg.float({ description: "With subjectId: default the gallery's verifyThreshold." }),
      challenge: t.arg.boolean({
        description:
          'With subjectId: run a movement challenge (default true): frames carry its progress instead of scores, and the session ends with its outcome, which a backend reads once with liveChallengeOutcome using this key or one with read on the gallery. Pass false for plain frame-by-frame verification. Not available with galleryId.',
      }),
    },
    resolve: (_root, args, ctx) =>
      guarded(async () => {
        if ((args.subjectId == null) === (args.galleryId == null)) throw apiError('BAD_REQUEST', 'Send exactly one of subjectId or galleryId');
        if (args.galleryId != null && args.challenge === true) {
          throw tagArgument(new ServiceError('BAD_REQUEST', 'The movement challenge needs a subject to check the face against: use subjectId'), 'challenge');
        }
        let target: { subjectId: string } | { galleryId: string };
        let challenge: StartOptions['challenge'];
        if (args.subjectId != null) {
          target = { subjectId: String(args.subjectId) };
          const subject = await subjectFor(ctx, target.subjectId, 'identify');
          if (args.challenge !== false) {
            // Cooldown per client address and per subject: repeated failures against one subject from
            // many addresses are stopped too.
            challenge = { keys: [clientAddress(ctx), `subject:${subject.id}`], audience: await outcomeAudience(ctx, subject.galleryId) };
            ctx.deps.live.challenges.admit(challenge.keys);
          }
        } else {
          target = { galleryId: String(args.galleryId) };
          await authorize(ctx, 'identify', target.galleryId);
        }
        const owner = liveOwner(ctx);
        ctx.deps.live.checkCapacity(owner);
        const { scorer, threshold, gallery, subject } = await ctx.deps.gallery.liveScorer(target, args.threshold);
        const info = ctx.deps.live.start(owner, scorer, threshold, challenge ? { challenge } : {});
        noteLiveSessionOpened(ctx);
        return { info, galleryId: gallery.id, subject };
      }),
  }),
  createApiKey: t.field({
    type: CreatedApiKeyRef,
    description: 'Creates an API key with scopes per gallery (admin on every gallery). The key is in the answer only.',
    args: { input: t.arg({ type: ApiKeyInput, required: true }) },
    resolve: (_root, args, ctx) =>
      guarded(async () => {
        await authorize(ctx, 'admin', null);
        return ctx.deps.gallery.createApiKey({
          name: args.input.name,
          grants: args.input.grants.map((g) => ({ galleryId: g.galleryId == null ? null : String(g.galleryId), scopes: g.scopes.map(toScope) })),
        });
      }),
  }),
  revokeApiKey: t.field({
    type: ApiKeyRef,
    description: 'Revokes an API key at once (admin on every gallery).',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) =>
      guarded(async () => {
        await authorize(ctx, 'admin', null);
        return ctx.deps.gallery.revokeApiKey(String(args.id));
      }),
  }),
}));

