/**
 * API keys and what they may do. A key reads `fgk_<id>_<secret>`: the id finds the row, the secret is
 * checked against its sha256 (stored hex; the secret itself is never stored or logged). The secrets are
 * 32 random bytes, so a fast hash is enough: there is nothing to brute-force that a slow hash would
 * protect. Comparison is constant-time.
 *
 * Scopes are granted per gallery, or on every gallery (`galleryId: null`):
 * - `read`: galleries, subjects, templates, exports;  `enroll`: subjects and templates added or changed;
 * - `identify`: verifyFace, identifyFace, live against the gallery;  `delete`: subjects, templates erased;
 * - `admin`: all of the above on that gallery, and its policy; on every gallery (null) also: galleries
 *   created and deleted, keys created and revoked.
 * The bootstrap key (FACEGATE_ADMIN_KEY) is an admin on every gallery and lives only in the environment.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiKeyRecord, Grant, Scope } from './types.js';

export interface Principal {
  /** The key's id; `bootstrap` for FACEGATE_ADMIN_KEY, `open` when gallery auth is off. */
  keyId: string;
  name: string;
  grants: readonly Grant[];
}

export const BOOTSTRAP_PRINCIPAL: Principal = { keyId: 'bootstrap', name: 'bootstrap admin (FACEGATE_ADMIN_KEY)', grants: [{ galleryId: null, scopes: ['admin'] }] };
export const OPEN_PRINCIPAL: Principal = { keyId: 'open', name: 'no authentication (FACEGATE_GALLERY_AUTH=off)', grants: [{ galleryId: null, scopes: ['admin'] }] };

const KEY_PATTERN = /^fgk_([A-Za-z0-9]{12})_([A-Za-z0-9_-]{43})$/;

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A new key: what to show the caller once, and what to store. */
export function mintKey(): { key: string; prefix: string; secretHash: string } {
  const prefix = randomBytes(9).toString('base64url').replace(/[-_]/g, 'x').slice(0, 12);
  const secret = randomBytes(32).toString('base64url');
  return { key: `fgk_${prefix}_${secret}`, prefix, secretHash: sha256Hex(secret) };
}

export function parseKey(key: string): { prefix: string; secret: string } | null {
  const match = KEY_PATTERN.exec(key.trim());
  return match ? { prefix: match[1]!, secret: match[2]! } : null;
}

export function secretMatches(secret: string, secretHash: string): boolean {
  const a = Buffer.from(sha256Hex(secret), 'hex');
  const b = Buffer.from(secretHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Constant-time comparison of a presented key with the bootstrap key. */
export function isBootstrapKey(presented: string, bootstrap: string | null): boolean {
  if (!bootstrap) return false;
  const a = Buffer.from(sha256Hex(presented.trim()), 'hex');
  const b = Buffer.from(sha256Hex(bootstrap), 'hex');
  return timingSafeEqual(a, b);
}

export function principalOfKey(record: ApiKeyRecord): Principal {
  return { keyId: record.id, name: record.name, grants: record.grants };
}

/** Whether the principal holds `scope` on `galleryId` (null: a gallery-independent action). */
export function can(principal: Principal, scope: Scope, galleryId: string | null): boolean {
  return principal.grants.some(
    (g) => (g.galleryId === null || (galleryId !== null && g.galleryId === galleryId)) && (g.scopes.includes('admin') || g.scopes.includes(scope)),
  );
}

/** Galleries a principal sees in lists: null means every gallery. */
export function visibleGalleries(principal: Principal): string[] | null {
  if (principal.grants.some((g) => g.galleryId === null)) return null;
  return [...new Set(principal.grants.map((g) => g.galleryId!))];
}

/** Where a request carries its key: `Authorization: Bearer <key>`, `x-api-key`, or graphql-ws connection params. */
export function presentedKey(headers: { get(name: string): string | null } | undefined, connectionParams: unknown): string | null {
  if (connectionParams && typeof connectionParams === 'object') {
    const params = connectionParams as Record<string, unknown>;
    for (const name of ['apiKey', 'authorization', 'Authorization']) {
      const value = params[name];
      if (typeof value === 'string' && value.trim()) return stripBearer(value);
    }
  }
  const authorization = headers?.get('authorization');
  if (authorization) return stripBearer(authorization);
  const header = headers?.get('x-api-key');
  return header?.trim() ? header.trim() : null;
}

function stripBearer(value: string): string {
  const trimmed = value.trim();
  return /^bearer\s+/i.test(trimmed) ? trimmed.replace(/^bearer\s+/i, '').trim() : trimmed;
}
