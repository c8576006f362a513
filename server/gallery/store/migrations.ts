/**
 * Schema migrations, versioned in code: each has a number, a name and its SQL for both engines. A store
 * applies, in order and each in its own transaction, those whose number is above the highest recorded in
 * `facegate_migrations`. Never edit a released migration: add the next one.
 */
export interface Migration {
  version: number;
  name: string;
  sqlite: string;
  postgres: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'galleries, subjects, templates, api keys',
    sqlite: `
      CREATE TABLE galleries (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL UNIQUE,
        store_images INTEGER NOT NULL,
        match_policy TEXT NOT NULL,
        quality_policy TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE subjects (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        gallery_id TEXT NOT NULL REFERENCES galleries(id) ON DELETE CASCADE,
        external_id TEXT,
        display_name TEXT,
        metadata TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (gallery_id, external_id)
      );
      CREATE INDEX subjects_gallery ON subjects (gallery_id, seq);
      CREATE TABLE templates (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        subject_id TEXT NOT NULL REFERENCES subjects(id) ON DELETE CASCADE,
        gallery_id TEXT NOT NULL REFERENCES galleries(id) ON DELETE CASCADE,
        vector BLOB NOT NULL,
        model TEXT NOT NULL,
        model_version TEXT NOT NULL,
        quality TEXT NOT NULL,
        image BLOB,
        image_type TEXT,
        created_at TEXT NOT NULL
      );
      CREATE INDEX templates_subject ON templates (subject_id);
      CREATE INDEX templates_gallery ON templates (gallery_id, seq);
      CREATE TABLE api_keys (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        prefix TEXT NOT NULL UNIQUE,
        secret_hash TEXT NOT NULL,
        grants TEXT NOT NULL,
        created_at TEXT NOT NULL,
        revoked_at TEXT
      );
    `,
    postgres: `
      CREATE TABLE galleries (
        seq BIGSERIAL PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL UNIQUE,
        store_images BOOLEAN NOT NULL,
        match_policy JSONB NOT NULL,
        quality_policy JSONB NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL
      );
      CREATE TABLE subjects (
        seq BIGSERIAL PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        gallery_id TEXT NOT NULL REFERENCES galleries(id) ON DELETE CASCADE,
        external_id TEXT,
        display_name TEXT,
        metadata JSONB,
        created_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL,
        UNIQUE (gallery_id, external_id)
      );
      CREATE INDEX subjects_gallery ON subjects (gallery_id, seq);
      CREATE TABLE templates (
        seq BIGSERIAL PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        subject_id TEXT NOT NULL REFERENCES subjects(id) ON DELETE CASCADE,
        gallery_id TEXT NOT NULL REFERENCES galleries(id) ON DELETE CASCADE,
        vector BYTEA NOT NULL,
        model TEXT NOT NULL,
        model_version TEXT NOT NULL,
        quality JSONB NOT NULL,
        image BYTEA,
        image_type TEXT,
        created_at TIMESTAMPTZ NOT NULL
      );
      CREATE INDEX templates_subject ON templates (subject_id);
      CREATE INDEX templates_gallery ON templates (gallery_id, seq);
      CREATE TABLE api_keys (
        seq BIGSERIAL PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        prefix TEXT NOT NULL UNIQUE,
        secret_hash TEXT NOT NULL,
        grants JSONB NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        revoked_at TIMESTAMPTZ
      );
    `,
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
