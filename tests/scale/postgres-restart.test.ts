/**
 * PostgreSQL restarted under two replicas (a private cluster this suite starts and stops; never the
 * shared test server): while it is down, gallery requests fail with DATABASE_UNAVAILABLE (HTTP 503,
 * Retry-After) and inference keeps working; once it is back, both replicas recover by themselves (new
 * pool connections, LISTEN reconnected, indexes resynced), without a restart.
 *
 * Skips with a message without PostgreSQL's binaries; in CI it fails instead (.ci/run installs them).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app.js';
import { call, codeOf, CREATE_GALLERY, CREATE_SUBJECT, ENROLL, faceCrops, IDENTIFY, images, variant } from '../server/gallery-client.js';
import { startTestServer, stopAll } from '../server/helpers.js';
import { postgresBinDir, startPrivatePostgres, type PrivatePostgres } from './private-pg.js';
import { until, VERIFY } from './support.js';

const ADMIN = 'restart-admin-key-0123456789abcdef';
const binDir = postgresBinDir();
const skipReason = binDir ? null : "PostgreSQL's binaries (/usr/lib/postgresql/*/bin/initdb) not found: skipping the database restart suite (apt-get install postgresql)";
if (skipReason) console.warn(`[facegate tests] ${skipReason}`);

describe.skipIf(skipReason !== null)('PostgreSQL restarted under two replicas', () => {
  let cluster: PrivatePostgres;
  let a: RunningServer;
  let b: RunningServer;
  let crops: Buffer[];
  let galleryId: string;

  beforeAll(async () => {
    cluster = await startPrivatePostgres(binDir!);
    const env = { FACEGATE_DATABASE_URL: cluster.url, FACEGATE_ADMIN_KEY: ADMIN, FACEGATE_WORKERS: '1', FACEGATE_THREADS: '1' };
    a = await startTestServer({ ...env, FACEGATE_REPLICA_ID: 'a' });
    b = await startTestServer({ ...env, FACEGATE_REPLICA_ID: 'b' });
    crops = await faceCrops(async (bytes) => (await a.inference.detect(bytes)).faces);
    const g = await call<{ createGallery: { id: string } }>(a.url, ADMIN, CREATE_GALLERY, { input: { name: 'restart', matchPolicy: { duplicateThreshold: 1.0001 } } });
    galleryId = g.body.data!.createGallery.id;
  }, 240_000);

  afterAll(async () => {
    await stopAll();
    cluster?.destroy();
  });

  const enroll = async (server: RunningServer, externalId: string, face: Buffer): Promise<string> => {
    const s = await call<{ createSubject: { id: string } }>(server.url, ADMIN, CREATE_SUBJECT, { galleryId, input: { externalId } });
    const subjectId = s.body.data!.createSubject.id;
    const e = await call<{ enrollFaces: { enrolled: unknown[] } }>(server.url, ADMIN, ENROLL, { subjectId }, images([{ bytes: face }]));
    expect(e.body.data?.enrollFaces.enrolled).toHaveLength(1);
    return subjectId;
  };
  const identifiedOn = async (server: RunningServer, face: Buffer): Promise<string | null> => {
    const r = await call<{ identifyFace: { subject: { id: string } | null } }>(server.url, ADMIN, IDENTIFY, { galleryId }, { probe: { bytes: await variant(face) } });
    return r.body.data?.identifyFace.subject?.id ?? null;
  };

  it('fails gallery requests with DATABASE_UNAVAILABLE while it is down, keeps inference up, and recovers on its own', async () => {
    const before = await enroll(a, 'before', crops[0]!);
    await until(async () => ((await identifiedOn(b, crops[0]!)) === before ? true : null), 2000);

    cluster.stop('fast');
    const down = performance.now();
    const create = await call(a.url, ADMIN, CREATE_SUBJECT, { galleryId, input: { externalId: 'during' } });
    expect(codeOf(create)).toBe('DATABASE_UNAVAILABLE');
    expect(create.status).toBe(503);
    expect(create.headers.get('retry-after')).toBe('1');
    expect(create.body.errors?.[0]?.message).toMatch(/database cannot be reached/);
    const identify = await call(b.url, ADMIN, IDENTIFY, { galleryId }, { probe: { bytes: await variant(crops[0]!) } });
    expect(codeOf(identify)).toBe('DATABASE_UNAVAILABLE');
    // Inference needs no database, and readiness is about the models: both stay up.
    const verify = await call<{ verify: { match: boolean } }>(a.url, null, VERIFY, {}, { r: { bytes: crops[0]! }, p: { bytes: await variant(crops[0]!) } });
    expect(verify.body.data?.verify.match).toBe(true);
    expect((await fetch(`${b.url}/readyz`)).status).toBe(200);
    // Down for a while (the replicas' LISTEN reconnection keeps failing meanwhile): the same answer each time.
    while (performance.now() - down < 3000) {
      expect(codeOf(await call(b.url, ADMIN, CREATE_SUBJECT, { galleryId, input: { externalId: 'during' } }))).toBe('DATABASE_UNAVAILABLE');
      await new Promise((r) => setTimeout(r, 250));
    }
    const downMs = performance.now() - down;

    cluster.start();
    const up = performance.now();
    // The first gallery request after the restart is served: the pool opens new connections.
    const { ms: firstOkMs } = await until(async () => {
      const r = await call<{ createSubject: { id: string } }>(a.url, ADMIN, CREATE_SUBJECT, { galleryId, input: { externalId: 'after-restart' } });
      return r.body.data?.createSubject.id ?? null;
    }, 15_000, 100);
    // Changes made on one replica reach the other again (its LISTEN connection is back, its index resynced).
    const after = await enroll(a, 'after', crops[1]!);
    const enrolledAt = performance.now();
    const { ms: syncMs } = await until(async () => ((await identifiedOn(b, crops[1]!)) === after ? true : null), 5000, 50);
    const back = await enroll(b, 'back', crops[2]!);
    await until(async () => ((await identifiedOn(a, crops[2]!)) === back ? true : null), 5000, 50);
    expect(await identifiedOn(b, crops[0]!)).toBe(before);
    console.info(
      `[scale] PostgreSQL stopped (fast) for ${(downMs / 1000).toFixed(1)} s: gallery requests DATABASE_UNAVAILABLE (503), verify served; ` +
        `after the restart the first gallery request succeeded ${firstOkMs.toFixed(0)} ms later; an enrollment on A was identified on B ` +
        `${syncMs.toFixed(0)} ms after it answered (${((enrolledAt - up) / 1000).toFixed(1)} s after the restart)`,
    );
  });
});

describe.runIf(skipReason !== null && process.env.CI)('database restart in CI', () => {
  it("has PostgreSQL's binaries to test with", () => {
    throw new Error(`${skipReason}; .ci/run installs postgresql`);
  });
});
