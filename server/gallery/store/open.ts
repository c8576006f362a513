/** Picks the engine: PostgreSQL when a database URL is configured, else SQLite in the data directory. */
import type { Logger } from '../../logger.js';
import type { GalleryConfig } from '../config.js';
import { PostgresGalleryStore } from './postgres.js';
import { SqliteGalleryStore } from './sqlite.js';
import type { GalleryStore } from './store.js';

export async function openStore(config: Pick<GalleryConfig, 'databaseUrl' | 'dataDir'>, logger: Logger): Promise<GalleryStore> {
  const log = logger.child({ module: 'gallery-store' });
  const store = config.databaseUrl ? await PostgresGalleryStore.open(config.databaseUrl, log) : SqliteGalleryStore.open(config.dataDir);
  log.info({ kind: store.kind, location: store.location }, 'gallery store open');
  return store;
}
