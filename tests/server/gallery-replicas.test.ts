/**
 * Two servers on one PostgreSQL database (FACEGATE_TEST_DATABASE_URL; .ci/run starts one): a subject
 * enrolled on one is identified on the other within a second (LISTEN/NOTIFY), and its erasure reaches
 * the other's index too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app.js';
import { startTestServer, stopAll } from './helpers.js';
import { call, CREATE_GALLERY, CREATE_SUBJECT, DELETE_SUBJECT, ENROLL, faceCrops, IDENTIFY, images, variant } from './gallery-client.js';
import { freshDatabase, pgBaseUrl, pgSkipReason } from './pg.js';

const ADMIN = 'replica-admin-key-0123456789abcdef';

async function until(condition: () => boolean, timeoutMs: number): Promise<number> {
  const started = performance.now();
  while (!condition()) {
    if (performance.now() - started > timeoutMs) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return performance.now() - started;
}

describe.skipIf(!pgBaseUrl)('two replicas on one PostgreSQL', () => {
  let a: RunningServer;
  let b: RunningServer;
  let drop: () => Promise<void>;
  let crops: Buffer[];

  beforeAll(async () => {
    const db = await freshDatabase();
    drop = db.drop;
    const env = { FACEGATE_DATABASE_URL: db.url, FACEGATE_ADMIN_KEY: ADMIN, FACEGATE_WORKERS: '1' };
    [a, b] = await Promise.all([startTestServer(env), startTestServer(env)]);
    crops = await faceCrops(async (bytes) => (await a.inference.detect(bytes)).faces);
  });

  afterAll(async () => {
    await stopAll();
    await drop?.();
  });

  it('identifies on B a subject enrolled on A within 1 s, and forgets it when A erases it', async () => {
    const g = await call<{ createGallery: { id: string } }>(a.url, ADMIN, CREATE_GALLERY, { input: { name: 'shared' } });
    const galleryId = g.body.data!.createGallery.id;
    const s = await call<{ createSubject: { id: string } }>(a.url, ADMIN, CREATE_SUBJECT, { galleryId, input: { externalId: 'ann' } });
    const subjectId = s.body.data!.createSubject.id;
    const probe = await variant(crops[0]!);

    const enrolled = await call<{ enrollFaces: { enrolled: unknown[] } }>(a.url, ADMIN, ENROLL, { subjectId }, images([{ bytes: crops[0]! }]));
    expect(enrolled.body.data?.enrollFaces.enrolled).toHaveLength(1);
    const answered = performance.now();
    const visibleMs = await until(() => b.gallery.indexedTemplates(galleryId, subjectId).length === 1, 1000);
    const onB = await call<{ identifyFace: { decision: string; subject: { id: string } | null } }>(b.url, ADMIN, IDENTIFY, { galleryId }, { probe: { bytes: probe } });
    const identifiedMs = performance.now() - answered;
    expect(onB.body.data?.identifyFace).toMatchObject({ decision: 'MATCH', subject: { id: subjectId } });
    expect(identifiedMs).toBeLessThan(1000);
    console.info(`[replicas] after A answered enrollFaces: in B's index after ${visibleMs.toFixed(1)} ms, identified on B (MATCH, embedding included) after ${identifiedMs.toFixed(0)} ms`);

    const erased = await call(a.url, ADMIN, DELETE_SUBJECT, { id: subjectId });
    expect(erased.body.errors).toBeUndefined();
    await until(() => b.gallery.indexedTemplates(galleryId, subjectId).length === 0, 1000);
    const after = await call<{ identifyFace: { decision: string } }>(b.url, ADMIN, IDENTIFY, { galleryId }, { probe: { bytes: probe } });
    expect(after.body.data?.identifyFace.decision).toBe('NO_MATCH');
  });
});

describe.runIf(!pgBaseUrl && process.env.CI)('replicas in CI', () => {
  it('has a PostgreSQL server to test against', () => {
    throw new Error(`${pgSkipReason}; .ci/run must start one`);
  });
});
