/** The gallery's part of the server configuration (server/config.ts parses it with the rest). */
import path from 'node:path';
import type { QualityPolicy } from './types.js';

export interface GalleryConfig {
  /** Directory of the SQLite file (ignored with a database URL). */
  dataDir: string;
  /** PostgreSQL connection string; null: SQLite in `dataDir`. */
  databaseUrl: string | null;
  /** Bootstrap admin key (FACEGATE_ADMIN_KEY), or null. */
  adminKey: string | null;
  /** `required`: gallery operations need a key; `off`: everyone is admin (development only). */
  auth: 'required' | 'off';
  /** Whether detect/embed/verify and live sessions need a key too (any valid key). */
  inferenceAuth: boolean;
  /** Images per enrollFaces call. */
  maxEnrollImages: number;
  /** topK of identifyFace at most. */
  maxTopK: number;
  /** Templates in a gallery from which on searches use the ANN index (exact re-ranking after it); null: never. */
  annMinTemplates: number | null;
  /** Default quality gate and limits of a new gallery. */
  quality: QualityPolicy;
}

/**
 * Defaults measured on 100 LFW photos (every 57th person's first image): face side p1 68 px, O-Net score
 * p1 0.99, sharpness p1 24 (median 97), yaw p1/p99 -34/26 degrees, pitch within about +-32 degrees. The
 * limits pass almost every LFW face and refuse thumbnails, blurred and strongly turned faces.
 */
export const DEFAULT_QUALITY_POLICY: QualityPolicy = {
  minFaceSize: 40,
  minDetectorScore: 0.9,
  minSharpness: 15,
  maxYaw: 40,
  maxPitch: 35,
  maxTemplatesPerSubject: 20,
  maxSubjects: 2_000_000,
};

interface Reader {
  raw(name: string): string | undefined;
  int(name: string, fallback: number, min: number, max?: number): number;
  bool(name: string, fallback: boolean): boolean;
  oneOf<T extends string>(name: string, fallback: T, allowed: readonly T[]): T;
  fail<T>(name: string, problem: string, fallback: T): T;
}

export function readGalleryConfig(r: Reader, packageRoot: string): GalleryConfig {
  const adminKey = r.raw('FACEGATE_ADMIN_KEY') ?? null;
  if (adminKey !== null && adminKey.length < 24) r.fail('FACEGATE_ADMIN_KEY', 'must be at least 24 characters', null);
  const databaseUrl = r.raw('FACEGATE_DATABASE_URL') ?? null;
  if (databaseUrl !== null && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    r.fail('FACEGATE_DATABASE_URL', 'must be a postgres:// or postgresql:// URL', null);
  }
  return {
    dataDir: path.resolve(packageRoot, r.raw('FACEGATE_DATA_DIR') ?? 'data'),
    databaseUrl,
    adminKey,
    auth: r.oneOf('FACEGATE_GALLERY_AUTH', 'required', ['required', 'off'] as const),
    inferenceAuth: r.oneOf('FACEGATE_INFERENCE_AUTH', 'open', ['open', 'key'] as const) === 'key',
    maxEnrollImages: r.int('FACEGATE_ENROLL_MAX_IMAGES', 8, 1, 64),
    maxTopK: r.int('FACEGATE_IDENTIFY_MAX_TOP_K', 50, 1, 1000),
    annMinTemplates: r.raw('FACEGATE_ANN_MIN_TEMPLATES') === undefined ? null : r.int('FACEGATE_ANN_MIN_TEMPLATES', 0, 1, 1_000_000_000),
    quality: DEFAULT_QUALITY_POLICY,
  };
}

export const GALLERY_VARIABLES = [
  { name: 'FACEGATE_DATA_DIR', defaultText: '`data` (under the package root)', description: 'Directory of the SQLite gallery file `facegate.sqlite` (WAL mode: `-wal` and `-shm` files beside it).' },
  { name: 'FACEGATE_DATABASE_URL', defaultText: 'empty (SQLite)', description: 'PostgreSQL connection string (`postgres://user:pass@host:5432/db`): galleries shared by several replicas, kept in sync with LISTEN/NOTIFY.' },
  { name: 'FACEGATE_ADMIN_KEY', defaultText: 'empty', description: 'Bootstrap admin API key (24+ characters): all scopes on every gallery; use it to create galleries and the real keys. Never stored.' },
  { name: 'FACEGATE_GALLERY_AUTH', defaultText: '`required`', description: '`required`: gallery operations need an API key; `off`: no keys, everyone is admin (development only).' },
  { name: 'FACEGATE_INFERENCE_AUTH', defaultText: '`open`', description: '`open`: detect, embed, verify and live sessions need no key; `key`: they need any valid API key.' },
  { name: 'FACEGATE_ENROLL_MAX_IMAGES', defaultText: '`8`', description: 'Images one `enrollFaces` call may carry (also bounded by `FACEGATE_MAX_FILES`).' },
  { name: 'FACEGATE_IDENTIFY_MAX_TOP_K', defaultText: '`50`', description: 'Largest `topK` of `identifyFace`.' },
  { name: 'FACEGATE_ANN_MIN_TEMPLATES', defaultText: 'empty (exact search at every size)', description: 'Templates in a gallery from which `identifyFace` searches an HNSW index (then re-ranks exactly) instead of the exact scan. Approximate: measure its recall on your data first (`npm run bench:gallery`).' },
] as const;
