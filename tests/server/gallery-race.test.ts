/**
 * The duplicate check under parallel writers, on both stores (SQLite always; PostgreSQL with
 * FACEGATE_TEST_DATABASE_URL): one face enrolled at once into several subjects of one gallery is stored
 * for exactly one of them, the others get DUPLICATE_IDENTITY naming it. The face is embedded once
 * (embedForEnrollment) and the enrollments start together (enrollEmbedded), so every one of them reaches
 * the check while the others are still writing; real server, real models. Without the per-gallery
 * serialisation the PostgreSQL case stores the face for several subjects (5 of 8 in one run); SQLite writes
 * are synchronous, so there the window is a few microtasks wide.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app.js';
import type { EnrollmentResult } from '../../server/gallery/service.js';
import { startTestServer, stopAll, tempDataDir } from './helpers.js';
import { faceCrops } from './gallery-client.js';
import { freshDatabase, pgBaseUrl } from './pg.js';

const engines: { name: string; env: () => Promise<{ env: Record<string, string>; drop: () => Promise<void> }> }[] = [
  { name: 'SQLite', env: async () => ({ env: { FACEGATE_DATA_DIR: tempDataDir() }, drop: async () => {} }) },
  ...(pgBaseUrl
    ? [{ name: 'PostgreSQL', env: async () => {
        const db = await freshDatabase();
        return { env: { FACEGATE_DATABASE_URL: db.url }, drop: db.drop };
      } }]
    : []),
];

/** One enrollment stored the face; every other one is DUPLICATE_IDENTITY naming that subject. */
function expectOneStored(results: readonly EnrollmentResult[]): void {
  const winners = results.filter((r) => r.enrolled.length === 1);
  expect(winners).toHaveLength(1);
  const winner = winners[0]!.subject.id;
  const losers = results.filter((r) => r !== winners[0]);
  expect(losers.map((r) => [r.rejected[0]?.reason, r.rejected[0]?.conflictingSubjectId])).toEqual(losers.map(() => ['DUPLICATE_IDENTITY', winner]));
}

describe.each(engines)('parallel enrollments of one face ($name)', ({ env }) => {
  let server: RunningServer;
  let drop: () => Promise<void>;
  let face: Buffer;

  beforeAll(async () => {
    const made = await env();
    drop = made.drop;
    server = await startTestServer({ ...made.env, FACEGATE_ADMIN_KEY: 'race-admin-key-0123456789abcdef', FACEGATE_WORKERS: '1' });
    face = (await faceCrops(async (bytes) => (await server.inference.detect(bytes)).faces))[4]!;
  });

  afterAll(async () => {
    await stopAll();
    await drop?.();
  });

  it('stores the face for one subject only; the others are DUPLICATE_IDENTITY of it', async () => {
    const gallery = await server.gallery.createGallery({ name: 'race' });
    const subjects = await Promise.all(Array.from({ length: 8 }, (_, i) => server.gallery.createSubject(gallery.id, { externalId: `race-${i}` })));
    const images = [{ bytes: face, filename: 'face.jpg', type: 'image/jpeg' }];
    const embedded = await server.gallery.embedForEnrollment(images);
    expect(embedded[0]!.ok).toBe(true);
    expectOneStored(await Promise.all(subjects.map((s) => server.gallery.enrollEmbedded(s.id, images, embedded))));
    expect((await server.gallery.countGallery(gallery.id)).templates).toBe(1);
    expect(server.gallery.indexSize(gallery.id).templates).toBe(1);
  });
});

describe.skipIf(!pgBaseUrl)('parallel enrollments of one face through two replicas (PostgreSQL)', () => {
  let a: RunningServer;
  let b: RunningServer;
  let drop: () => Promise<void>;
  let face: Buffer;

  beforeAll(async () => {
    const db = await freshDatabase();
    drop = db.drop;
    const env = { FACEGATE_DATABASE_URL: db.url, FACEGATE_ADMIN_KEY: 'race-admin-key-0123456789abcdef', FACEGATE_WORKERS: '1' };
    a = await startTestServer(env);
    b = await startTestServer(env);
    face = (await faceCrops(async (bytes) => (await a.inference.detect(bytes)).faces))[4]!;
  });

  afterAll(async () => {
    await stopAll();
    await drop?.();
  });

  it('stores the face once, whichever replica each enrollment reaches: the check sees what the other replica has just written', async () => {
    const gallery = await a.gallery.createGallery({ name: 'race-replicas' });
    const subjects = await Promise.all(Array.from({ length: 8 }, (_, i) => a.gallery.createSubject(gallery.id, { externalId: `race-${i}` })));
    const images = [{ bytes: face, filename: 'face.jpg', type: 'image/jpeg' }];
    const embedded = await a.gallery.embedForEnrollment(images);
    expect(embedded[0]!.ok).toBe(true);
    // Half through each replica, all at once: neither has heard of the other's writes when it starts.
    expectOneStored(await Promise.all(subjects.map((s, i) => (i % 2 === 0 ? a : b).gallery.enrollEmbedded(s.id, images, embedded))));
    expect((await a.gallery.countGallery(gallery.id)).templates).toBe(1);
    // Both indexes hold the one template (the loser's replica took it from the store under the lock, or from the notification).
    await Promise.all([a.gallery.settled(), b.gallery.settled()]);
    expect(a.gallery.indexSize(gallery.id).templates).toBe(1);
    expect(b.gallery.indexSize(gallery.id).templates).toBe(1);
  });
});
