/**
 * The in-process server that `eval:gallery` and `calibrate:gallery` run against, and the open-set target
 * on it: `cached` (default) embeds each needed LFW image once through the enrollment path into a
 * resumable cache and then runs the service's own enrollment and identification on those embeddings
 * (service-target.ts); `graphql` sends every image through the GraphQL API, embedding included.
 * With `cached`, embedding stops launching images after `maxSeconds` (so that each run fits a time slot on
 * a shared machine); the caller reruns to finish.
 */
import { startServer, type RunningServer } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import { createLogger } from '../../server/logger.js';
import { GalleryApi } from './api.js';
import { cacheFile, EmbeddingCache } from './embeddings.js';
import { graphqlTarget, type OpenSetTarget } from './openset.js';
import { serviceTarget } from './service-target.js';
import { tempDir } from './temp.js';

export type TargetMode = 'cached' | 'graphql';

export interface Harness {
  server: RunningServer;
  workers: number;
  backend: string;
  /** Null when the embedding cache is not complete yet (`left` images to go). */
  target: OpenSetTarget | null;
  left: number;
  embedding: { file: string; computed: number; seconds: number } | null;
  stop(): Promise<void>;
}

export async function openHarness(options: { mode: TargetMode; lfwDir: string; files: readonly string[]; workers?: string; maxSeconds: number }): Promise<Harness> {
  const key = 'evaluation-admin-key-0123456789';
  const config = loadConfig({
    FACEGATE_HOST: '127.0.0.1',
    FACEGATE_PORT: '0',
    FACEGATE_CLIENT_DIR: 'none',
    FACEGATE_DATA_DIR: tempDir(),
    FACEGATE_ADMIN_KEY: key,
    FACEGATE_LOG_LEVEL: 'warn',
    FACEGATE_QUEUE_LIMIT: '64',
    ...(options.workers ? { FACEGATE_WORKERS: options.workers } : {}),
  });
  const started = performance.now();
  const server = await startServer(config, { logger: createLogger('warn') });
  await server.ready;
  const backend = server.pool.info?.backend ?? config.pool.backend;
  const base = { server, workers: config.pool.workers, backend, stop: () => server.stop() };
  if (options.mode === 'graphql') return { ...base, target: graphqlTarget(new GalleryApi(server.yoga, key)), left: 0, embedding: null };
  const cache = EmbeddingCache.open(cacheFile(backend), options.lfwDir);
  const filled = await cache.fill(server.gallery, options.files, { lanes: 2 * config.pool.workers, deadline: started + options.maxSeconds * 1000 });
  return {
    ...base,
    target: filled.left === 0 ? serviceTarget(server.gallery, cache) : null,
    left: filled.left,
    embedding: { file: cache.file, computed: filled.computed, seconds: filled.seconds },
  };
}

/** The target, or (cache not complete) a message, the server stopped and exit status 3: run again to resume. */
export async function targetOrExit(harness: Harness): Promise<OpenSetTarget> {
  if (harness.embedding) console.error(`embedding cache ${harness.embedding.file}: ${harness.embedding.computed} images embedded in ${harness.embedding.seconds.toFixed(0)} s, ${harness.left} left`);
  if (harness.target) return harness.target;
  await harness.stop();
  console.error(`stopped at --max-seconds: ${harness.left} images still to embed; run the same command again to resume`);
  process.exit(3);
}
