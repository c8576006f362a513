/**
 * PostgreSQL for the suites that need one: FACEGATE_TEST_DATABASE_URL names a server (.ci/run starts one
 * on loopback with .ci/postgres.sh); each suite gets a fresh database in it, dropped afterwards.
 * Without the variable these suites skip, except in CI, where they must run.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const pgBaseUrl = process.env.FACEGATE_TEST_DATABASE_URL ?? null;
export const pgSkipReason =
  'FACEGATE_TEST_DATABASE_URL is not set: skipping the PostgreSQL suites (run `export FACEGATE_TEST_DATABASE_URL=$(bash .ci/postgres.sh)` to run them)';
if (!pgBaseUrl) console.warn(`[facegate tests] ${pgSkipReason}`);

/** Creates an empty database; returns its URL and a function that drops it. */
export async function freshDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  if (!pgBaseUrl) throw new Error(pgSkipReason);
  const name = `facegate_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: pgBaseUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(pgBaseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: pgBaseUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
