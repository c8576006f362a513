/**
 * Access rules in-process (yoga.fetch, an in-memory SQLite gallery, no model loaded): inference stays open
 * by default and needs a key with FACEGATE_INFERENCE_AUTH=key; gallery operations need a key with the
 * scope; FACEGATE_GALLERY_AUTH=off opens everything; keys are stored as hashes only.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { ServerDeps } from '../../server/builder.js';
import { loadConfig } from '../../server/config.js';
import { GalleryService } from '../../server/gallery/service.js';
import { SqliteGalleryStore } from '../../server/gallery/store/sqlite.js';
import { createInferencePool, InferenceService } from '../../server/inference/service.js';
import { LiveSessionManager } from '../../server/live/sessions.js';
import { createLogger } from '../../server/logger.js';
import { createMetrics } from '../../server/metrics.js';
import { makeYoga } from '../../server/yoga.js';

const ADMIN = 'auth-suite-admin-key-0123456789';
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

async function inProcess(env: Record<string, string> = {}) {
  const config = loadConfig({ FACEGATE_WORKERS: '1', FACEGATE_CLIENT_DIR: 'none', FACEGATE_ADMIN_KEY: ADMIN, ...env });
  const logger = createLogger('silent');
  const metrics = createMetrics({ defaultMetrics: false });
  const pool = createInferencePool(config, logger, metrics);
  const inference = new InferenceService(pool, config, metrics);
  const store = SqliteGalleryStore.open(':memory:');
  const gallery = await GalleryService.open(config.gallery, inference, logger, store);
  const deps: ServerDeps = {
    config,
    logger,
    metrics,
    inference,
    gallery,
    live: new LiveSessionManager({ maxSessions: 1, maxSessionsPerOwner: 1, idleTimeoutMs: 1000, maxFrameBytes: 1024, maxFps: 1 }, () => Promise.reject(new Error('no inference here'))),
    version: 'test',
    startedAt: Date.now(),
    isReady: () => false,
  };
  const yoga = makeYoga(deps);
  cleanups.push(async () => {
    await yoga.dispose();
    await gallery.close();
  });
  const post = async (query: string, key?: string, variables: Record<string, unknown> = {}) => {
    const response = await yoga.fetch('http://localhost/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: { code?: string } }[] };
  };
  return { post, store };
}

const START = 'mutation { startLiveSession(referenceBase64: "AAAA") { id } }';

describe('access', () => {
  it('leaves inference open by default and closes it with FACEGATE_INFERENCE_AUTH=key', async () => {
    const open = await inProcess();
    expect((await open.post(START)).errors?.[0]?.extensions?.code).not.toBe('UNAUTHENTICATED');
    const closed = await inProcess({ FACEGATE_INFERENCE_AUTH: 'key' });
    expect((await closed.post(START)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await closed.post(START, 'fgk_nonexistent1_' + 'a'.repeat(43))).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const withKey = await closed.post(START, ADMIN);
    expect(withKey.errors?.[0]?.extensions?.code).not.toBe('UNAUTHENTICATED');
    // Gallery-free queries are not inference: health stays open.
    expect((await closed.post('{ health { status } }')).errors).toBeUndefined();
  });

  it('stores keys as hashes only and shows the secret once', async () => {
    const { post, store } = await inProcess();
    const made = await post('mutation { createApiKey(input: { name: "reader", grants: [{ scopes: [READ] }] }) { key apiKey { id prefix } } }', ADMIN);
    const { key, apiKey } = (made.data!['createApiKey'] as { key: string; apiKey: { id: string; prefix: string } });
    // the secret is what follows `fgk_<prefix>_`; it is base64url, so it may itself contain '_'
    const secret = key.slice(key.indexOf('_', 4) + 1);
    expect(secret.length).toBeGreaterThan(20);
    const [row] = await store.listApiKeys();
    expect(row!.secretHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(row)).not.toContain(secret);
    const listed = await post('{ apiKeys { id prefix grants { galleryId scopes } } }', ADMIN);
    expect(JSON.stringify(listed.data)).not.toContain(secret);
    expect(listed.data!['apiKeys']).toEqual([{ id: apiKey.id, prefix: apiKey.prefix, grants: [{ galleryId: null, scopes: ['READ'] }] }]);
    // A read key on every gallery may list but not create.
    expect((await post('{ galleries { totalCount } }', key)).errors).toBeUndefined();
    expect((await post('mutation { createGallery(input: { name: "x" }) { id } }', key)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await post('{ apiKeys { id } }', key)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await post('{ galleries { totalCount } }')).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('opens the gallery to everyone with FACEGATE_GALLERY_AUTH=off', async () => {
    const { post } = await inProcess({ FACEGATE_GALLERY_AUTH: 'off' });
    const made = await post('mutation { createGallery(input: { name: "dev" }) { id name } }');
    expect(made.errors).toBeUndefined();
    expect((await post('{ viewer { keyId } }')).data).toEqual({ viewer: { keyId: 'open' } });
  });
});
