/**
 * The identity gallery's records, as the store keeps them and the service hands them out. Plain data:
 * no GraphQL and no storage engine in here.
 */

/** How a gallery decides: its own thresholds on cosine similarity (see thresholds.ts for the defaults). */
export interface MatchPolicy {
  /** `verifyFace`: the probe matches a subject when its best template scores at least this. */
  verifyThreshold: number;
  /** `identifyFace`: the best subject must score at least this (stricter than 1:1). */
  identifyThreshold: number;
  /** `identifyFace`: the best subject must beat the second by at least this, else AMBIGUOUS. */
  minMargin: number;
  /** Enrollment: a face that scores at least this against another subject is refused (DUPLICATE_IDENTITY). */
  duplicateThreshold: number;
}

/** Enrollment quality gate and limits of one gallery. */
export interface QualityPolicy {
  /** Smallest face side, in pixels of the uploaded image. */
  minFaceSize: number;
  /** Smallest MTCNN O-Net score. */
  minDetectorScore: number;
  /** Smallest sharpness (variance of the Laplacian on a 112-px grey face crop). */
  minSharpness: number;
  /** Largest estimated head yaw, degrees, from the five landmarks. */
  maxYaw: number;
  /** Largest estimated head pitch, degrees, from the five landmarks. */
  maxPitch: number;
  /** Templates one subject may hold. */
  maxTemplatesPerSubject: number;
  /** Subjects the gallery may hold. */
  maxSubjects: number;
}

export interface GalleryRecord {
  id: string;
  name: string;
  /** Whether enrolled images are kept next to their templates (off by default: biometric data). */
  storeImages: boolean;
  matchPolicy: MatchPolicy;
  qualityPolicy: QualityPolicy;
  createdAt: string;
  updatedAt: string;
  /** Insertion order, for cursors. */
  seq: number;
}

export type Metadata = Record<string, unknown>;

export interface SubjectRecord {
  id: string;
  galleryId: string;
  externalId: string | null;
  displayName: string | null;
  metadata: Metadata | null;
  createdAt: string;
  updatedAt: string;
  seq: number;
}

/** What the enrollment gate measured on a face. */
export interface QualityFigures {
  /** min(width, height) of the face box, pixels. */
  faceSize: number;
  detectorScore: number;
  sharpness: number;
  /** Estimated yaw and pitch, degrees (signed; 0 = frontal). */
  yaw: number;
  pitch: number;
}

export interface TemplateRecord {
  id: string;
  subjectId: string;
  galleryId: string;
  /** Unit vector. */
  vector: Float32Array;
  model: string;
  modelVersion: string;
  quality: QualityFigures;
  /** The enrolled image, only when the gallery stores images. */
  image: Uint8Array | null;
  imageType: string | null;
  createdAt: string;
  seq: number;
}

/** A template without its image bytes (what lists and the index need). */
export type TemplateSummary = Omit<TemplateRecord, 'image'> & { hasImage: boolean };

export const SCOPES = ['read', 'enroll', 'identify', 'delete', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** Scopes on one gallery, or on every gallery when `galleryId` is null. */
export interface Grant {
  galleryId: string | null;
  scopes: Scope[];
}

export interface ApiKeyRecord {
  id: string;
  name: string;
  /** The public part of the key, `fgk_<id>_...`: how a presented key is found. */
  prefix: string;
  /** sha256 of the secret part, hex. The secret itself is never stored. */
  secretHash: string;
  grants: Grant[];
  createdAt: string;
  revokedAt: string | null;
  seq: number;
}

/** What one page of a list returns; `seq` values drive the cursors. */
export interface Page<T> {
  items: T[];
  hasNextPage: boolean;
  totalCount: number;
}

/** A change another replica made, as PostgreSQL NOTIFY carries it (see store/postgres.ts). */
export type ChangeEvent =
  | { kind: 'subject'; galleryId: string; subjectId: string }
  | { kind: 'subjectDeleted'; galleryId: string; subjectId: string }
  | { kind: 'gallery'; galleryId: string }
  | { kind: 'galleryDeleted'; galleryId: string }
  /** The feed was interrupted: anything may have changed. */
  | { kind: 'resync' };
