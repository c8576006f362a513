/**
 * The schema contract and the yoga instance in-process (`yoga.fetch`, no listener, no models loaded):
 * the committed schema.graphql is the printed Pothos schema; readiness, CORS and request-shape rules
 * hold before any worker is up.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import type { ServerDeps } from '../../server/builder.js';
import { GalleryService } from '../../server/gallery/service.js';
import { SqliteGalleryStore } from '../../server/gallery/store/sqlite.js';
import { LiveSessionManager } from '../../server/live/sessions.js';
import { loadConfig } from '../../server/config.js';
import { createInferencePool, InferenceService } from '../../server/inference/service.js';
import { createLogger } from '../../server/logger.js';
import { createMetrics } from '../../server/metrics.js';
import { SCHEMA_FILE, schemaFileText, toSchema } from '../../server/schema/index.js';
import { makeYoga } from '../../server/yoga.js';

describe('schema.graphql', () => {
  it('matches the Pothos schema (run `npm run schema:print` when this fails)', () => {
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(schemaFileText());
  });

  it('has the operations of the API contract', () => {
    const schema = toSchema();
    expect(Object.keys(schema.getMutationType()!.getFields()).sort()).toEqual([
      'createApiKey',
      'createGallery',
      'createSubject',
      'deleteGallery',
      'deleteSubject',
      'deleteTemplate',
      'detect',
      'embed',
      'enrollFaces',
      'identifyFace',
      'importGallery',
      'revokeApiKey',
      'startGalleryLiveSession',
      'startLiveSession',
      'stopLiveSession',
      'submitFrame',
      'updateGallery',
      'updateSubject',
      'verify',
      'verifyFace',
    ]);
    expect(Object.keys(schema.getSubscriptionType()!.getFields())).toEqual(['liveVerification']);
    expect(Object.keys(schema.getQueryType()!.getFields()).sort()).toEqual([
      'apiKeys',
      'exportGallery',
      'galleries',
      'gallery',
      'health',
      'info',
      'liveChallengeOutcome',
      'subject',
      'subjectByExternalId',
      'viewer',
    ]);
    const verify = schema.getMutationType()!.getFields()['verify']!;
    expect(verify.args.map((a) => `${a.name}: ${String(a.type)}`).sort()).toEqual([
      'probe: File!',
      'probeFace: FaceSelector',
      'reference: File!',
      'referenceFace: FaceSelector',
      'threshold: Float',
    ]);
    expect(String(verify.type)).toBe('Verification!');
    const embed = schema.getMutationType()!.getFields()['embed']!;
    expect(embed.args.map((a) => `${a.name}: ${String(a.type)}`).sort()).toEqual(['face: FaceSelector', 'image: File!']);
  });
});

/** A yoga instance whose pool is never started: everything that needs no model. */
async function inProcess(env: Record<string, string> = {}) {
  const config = loadConfig({ FACEGATE_WORKERS: '1', FACEGATE_CLIENT_DIR: 'none', ...env });
  const logger = createLogger('silent');
  const metrics = createMetrics({ defaultMetrics: false });
  const pool = createInferencePool(config, logger, metrics);
  const inference = new InferenceService(pool, config, metrics);
  const gallery = await GalleryService.open(config.gallery, inference, logger, SqliteGalleryStore.open(':memory:'));
  galleries.push(gallery);
  const deps: ServerDeps = {
    config,
    logger,
    metrics,
    inference,
    gallery,
    live: new LiveSessionManager(
      { maxSessions: 1, maxSessionsPerOwner: 1, idleTimeoutMs: 1000, maxFrameBytes: 1024, maxFps: 1 },
      () => Promise.reject(new Error('no inference in this suite')),
    ),
    version: 'test',
    startedAt: Date.now(),
    isReady: () => pool.ready,
  };
  return { yoga: makeYoga(deps), deps };
}

const yogas: ReturnType<typeof makeYoga>[] = [];
const galleries: GalleryService[] = [];
afterAll(async () => {
  await Promise.all(yogas.map((y) => y.dispose()));
  await Promise.all(galleries.map((g) => g.close()));
});

async function post(yoga: ReturnType<typeof makeYoga>, query: string, headers: Record<string, string> = {}) {
  const response = await yoga.fetch('http://localhost/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query }),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as { data?: any; errors?: any[] } };
}

describe('the yoga instance before the models are loaded', () => {
  it('is alive but not ready; info has no backend yet', async () => {
    const { yoga } = await inProcess();
    yogas.push(yoga);
    expect((await yoga.fetch('http://localhost/healthz')).status).toBe(200);
    const ready = await yoga.fetch('http://localhost/readyz');
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'not ready' });
    const info = await post(yoga, '{ info { backend model { name } workers defaultThreshold } health { status ready } }');
    expect(info.body.data).toMatchObject({ info: { backend: null, model: null, workers: 1 }, health: { status: 'starting', ready: false } });
  });

  it('applies configured CORS origins, and none by default', async () => {
    const { yoga } = await inProcess({ FACEGATE_CORS_ORIGINS: 'https://app.example, https://admin.example' });
    yogas.push(yoga);
    const preflight = (origin: string) =>
      yoga.fetch('http://localhost/graphql', {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
    expect((await preflight('https://app.example')).headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect((await preflight('https://evil.example')).headers.get('access-control-allow-origin')).not.toBe('https://evil.example');

    const plain = await inProcess();
    yogas.push(plain.yoga);
    const response = await plain.yoga.fetch('http://localhost/graphql', {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
    });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('rejects over-limit documents with BAD_REQUEST and the limit in the message', async () => {
    const { yoga } = await inProcess({ FACEGATE_MAX_DEPTH: '2' });
    yogas.push(yoga);
    const deep = await post(yoga, '{ info { model { name } limits { maxPixels } } }', { accept: 'application/graphql-response+json' });
    expect(deep.status).toBe(400);
    expect(deep.body.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_REQUEST' } });
    expect(deep.body.errors?.[0].message).toMatch(/depth/i);
    const tokens = await post(yoga, `{ ${'__typename '.repeat(1200)} }`);
    expect(tokens.body.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_REQUEST' } });
  });

  it('never suggests field names (no schema probing through typos)', async () => {
    const { yoga } = await inProcess();
    yogas.push(yoga);
    const response = await post(yoga, '{ helth { ready } }');
    expect(response.body.errors?.[0].message).not.toMatch(/Did you mean/);
  });
});
