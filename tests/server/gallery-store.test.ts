/**
 * Both gallery stores against the same expectations (SQLite always; PostgreSQL with
 * FACEGATE_TEST_DATABASE_URL): migrations, limits under parallel writers, erasure, keys, and the change
 * feed between two PostgreSQL stores. No model runs here: vectors are random unit vectors.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../server/logger.js';
import { CURRENT_MODEL } from '../../server/gallery/model.js';
import { PostgresGalleryStore } from '../../server/gallery/store/postgres.js';
import { SQLITE_FILE_NAME, SqliteGalleryStore } from '../../server/gallery/store/sqlite.js';
import { StoreConflictError, type GalleryStore, type NewTemplate } from '../../server/gallery/store/store.js';
import { DEFAULT_QUALITY_POLICY } from '../../server/gallery/config.js';
import { DEFAULT_MATCH_POLICY } from '../../server/gallery/thresholds.js';
import type { ChangeEvent } from '../../server/gallery/types.js';
import { tempDataDir } from './helpers.js';
import { freshDatabase, pgBaseUrl, pgSkipReason } from './pg.js';

const log = createLogger('silent');
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

function unitVector(dims = 128): Float32Array {
  const v = new Float32Array(dims);
  let n = 0;
  for (let i = 0; i < dims; i++) {
    v[i] = Math.random() - 0.5;
    n += v[i]! * v[i]!;
  }
  for (let i = 0; i < dims; i++) v[i]! /= Math.sqrt(n);
  return v;
}

function template(image: Uint8Array | null = null): NewTemplate {
  return {
    id: randomUUID(),
    vector: unitVector(),
    model: CURRENT_MODEL.name,
    modelVersion: CURRENT_MODEL.version,
    quality: { faceSize: 120, detectorScore: 0.99, sharpness: 80, yaw: 2, pitch: -3 },
    image,
    imageType: image ? 'image/jpeg' : null,
  };
}

async function reason(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    return error instanceof StoreConflictError ? error.reason : String(error);
  }
}

interface Engine {
  name: string;
  skip: string | false;
  open(): Promise<GalleryStore>;
}

const engines: Engine[] = [
  {
    name: 'sqlite',
    skip: false,
    open: async () => {
      const store = SqliteGalleryStore.open(tempDataDir());
      cleanups.push(() => store.close());
      return store;
    },
  },
  {
    name: 'postgres',
    skip: pgBaseUrl ? false : pgSkipReason,
    open: async () => {
      const db = await freshDatabase();
      const store = await PostgresGalleryStore.open(db.url, log);
      cleanups.push(async () => {
        await store.close();
        await db.drop();
      });
      return store;
    },
  },
];

async function gallery(store: GalleryStore, name = `g-${randomUUID()}`) {
  return store.createGallery({ id: randomUUID(), name, storeImages: true, matchPolicy: DEFAULT_MATCH_POLICY, qualityPolicy: DEFAULT_QUALITY_POLICY });
}

describe.each(engines)('$name store', (engine) => {
  it.skipIf(engine.skip)('round-trips galleries, subjects and templates (vectors bit-exact)', async () => {
    const store = await engine.open();
    const g = await gallery(store, 'staff');
    expect(await reason(gallery(store, 'staff'))).toBe('DUPLICATE_GALLERY_NAME');
    const s = await store.createSubject({ id: randomUUID(), galleryId: g.id, externalId: 'e1', displayName: 'Ann', metadata: { a: 1 } }, 100);
    expect(s).toMatchObject({ externalId: 'e1', displayName: 'Ann', metadata: { a: 1 } });
    expect(await reason(store.createSubject({ id: randomUUID(), galleryId: g.id, externalId: 'e1', displayName: null, metadata: null }, 100))).toBe('DUPLICATE_EXTERNAL_ID');
    const t = template(new Uint8Array([1, 2, 3]));
    const [stored] = await store.addTemplates(s.id, [t], 10);
    expect(stored!.hasImage).toBe(true);
    expect(Array.from(stored!.vector)).toEqual(Array.from(t.vector));
    const loaded = await store.loadTemplates(g.id);
    expect(loaded.map((x) => x.id)).toEqual([t.id]);
    expect(Array.from((await store.getTemplateImage(t.id))!.image)).toEqual([1, 2, 3]);
    const renamed = await store.updateSubject(s.id, { displayName: 'Anna' });
    expect(renamed.displayName).toBe('Anna');
    expect(renamed.externalId).toBe('e1');
  });

  it.skipIf(engine.skip)('holds the template limit and loses nothing under parallel writers', async () => {
    const store = await engine.open();
    const g = await gallery(store);
    const s = await store.createSubject({ id: randomUUID(), galleryId: g.id, externalId: null, displayName: null, metadata: null }, 1000);
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => reason(store.addTemplates(s.id, [template()], 10))));
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(10);
    expect(outcomes.filter((o) => o === 'TEMPLATE_LIMIT')).toHaveLength(10);
    expect((await store.countSubjectRows(s.id)).templates).toBe(10);

    const made = await Promise.all(
      Array.from({ length: 30 }, (_, i) => store.createSubject({ id: randomUUID(), galleryId: g.id, externalId: `p${i}`, displayName: null, metadata: null }, 1000)),
    );
    expect(new Set(made.map((m) => m.id)).size).toBe(30);
    expect((await store.countGallery(g.id)).subjects).toBe(31);
    const limited = await Promise.all(
      Array.from({ length: 10 }, () => reason(store.createSubject({ id: randomUUID(), galleryId: g.id, externalId: null, displayName: null, metadata: null }, 35))),
    );
    expect(limited.filter((o) => o === 'ok')).toHaveLength(4);
    expect((await store.countGallery(g.id)).subjects).toBe(35);
  });

  it.skipIf(engine.skip)('erases a subject with its templates and images, and a gallery with everything', async () => {
    const store = await engine.open();
    const g = await gallery(store);
    const s = await store.createSubject({ id: randomUUID(), galleryId: g.id, externalId: 'x', displayName: null, metadata: null }, 100);
    await store.addTemplates(s.id, [template(new Uint8Array([9])), template()], 10);
    expect(await store.deleteSubject(s.id)).toEqual({ subjects: 1, templates: 2, images: 1 });
    expect(await store.countSubjectRows(s.id)).toEqual({ subjects: 0, templates: 0, images: 0 });
    expect(await store.loadTemplates(g.id)).toEqual([]);
    expect(await reason(store.deleteSubject(s.id))).toBe('NOT_FOUND');

    const s2 = await store.createSubject({ id: randomUUID(), galleryId: g.id, externalId: 'y', displayName: null, metadata: null }, 100);
    await store.addTemplates(s2.id, [template()], 10);
    expect(await store.deleteGallery(g.id)).toEqual({ subjects: 1, templates: 1, images: 0 });
    expect(await store.countSubjectRows(s2.id)).toEqual({ subjects: 0, templates: 0, images: 0 });
  });

  it.skipIf(engine.skip)('pages with cursors and stores keys as hashes', async () => {
    const store = await engine.open();
    const g = await gallery(store);
    for (let i = 0; i < 5; i++) await store.createSubject({ id: randomUUID(), galleryId: g.id, externalId: `s${i}`, displayName: null, metadata: null }, 100);
    const first = await store.listSubjects(g.id, { first: 3, afterSeq: null });
    expect(first).toMatchObject({ hasNextPage: true, totalCount: 5 });
    const rest = await store.listSubjects(g.id, { first: 3, afterSeq: first.items.at(-1)!.seq });
    expect([...first.items, ...rest.items].map((s) => s.externalId)).toEqual(['s0', 's1', 's2', 's3', 's4']);
    expect(rest.hasNextPage).toBe(false);
    const key = await store.createApiKey({ id: randomUUID(), name: 'k', prefix: `p${Date.now()}`, secretHash: 'ab'.repeat(32), grants: [{ galleryId: g.id, scopes: ['read'] }] });
    expect((await store.getApiKeyByPrefix(key.prefix))?.grants).toEqual([{ galleryId: g.id, scopes: ['read'] }]);
    expect((await store.revokeApiKey(key.id))?.revokedAt).not.toBeNull();
  });
});

describe('sqlite specifics', () => {
  it('is one file in the data directory, in WAL mode, migrated once, and keeps its rows across reopen', async () => {
    const dir = tempDataDir();
    const store = SqliteGalleryStore.open(dir);
    expect(existsSync(path.join(dir, SQLITE_FILE_NAME))).toBe(true);
    expect(store.journalMode()).toBe('wal');
    expect(store.schemaVersion()).toBe(1);
    const g = await gallery(store);
    await store.close();
    const again = SqliteGalleryStore.open(dir);
    cleanups.push(() => again.close());
    expect(again.schemaVersion()).toBe(1);
    expect((await again.getGallery(g.id))?.name).toBe(g.name);
  });
});

describe.skipIf(!pgBaseUrl)('postgres change feed', () => {
  it('tells another store of a change within a second, and not itself', async () => {
    const db = await freshDatabase();
    const a = await PostgresGalleryStore.open(db.url, log);
    const b = await PostgresGalleryStore.open(db.url, log);
    cleanups.push(async () => {
      await a.close();
      await b.close();
      await db.drop();
    });
    expect(await a.schemaVersion()).toBe(1);
    const seenByA: ChangeEvent[] = [];
    a.onChange((e) => seenByA.push(e));
    const received = new Promise<{ event: ChangeEvent; ms: number }>((resolve) => {
      const started = performance.now();
      b.onChange((event) => resolve({ event, ms: performance.now() - started }));
      void a.publish({ kind: 'subject', galleryId: 'g', subjectId: 's' });
    });
    const { event, ms } = await received;
    expect(event).toEqual({ kind: 'subject', galleryId: 'g', subjectId: 's' });
    expect(ms).toBeLessThan(1000);
    expect(seenByA).toEqual([]);
  });
});

describe.runIf(!pgBaseUrl && process.env.CI)('postgres in CI', () => {
  it('has a PostgreSQL server to test against', () => {
    throw new Error(`${pgSkipReason}; .ci/run must start one`);
  });
});
