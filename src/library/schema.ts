/** The library's tables, as versioned migrations (src/db/migrations.ts runs them at start-up). */
import type { MigrationSet } from '../db/index.js';

const recordsTable = (blob: string, real: string) => `
CREATE TABLE library_records (
  data_id TEXT PRIMARY KEY,
  path TEXT NOT NULL UNIQUE,
  file_name TEXT NOT NULL,
  data_type TEXT NOT NULL,
  observation_id TEXT,
  calibration_level TEXT,
  instrument TEXT,
  filter TEXT,
  target TEXT,
  target_key TEXT,
  ra ${real},
  dec ${real},
  footprint TEXT,
  size_bytes BIGINT NOT NULL,
  sha256 TEXT,
  file_mtime_ms BIGINT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  source TEXT NOT NULL,
  job_id TEXT,
  input_ids TEXT NOT NULL DEFAULT '[]',
  owner TEXT,
  visibility TEXT NOT NULL DEFAULT 'private',
  archived INTEGER NOT NULL DEFAULT 0,
  missing INTEGER NOT NULL DEFAULT 0,
  has_thumbnail INTEGER NOT NULL DEFAULT 0,
  description TEXT,
  metadata TEXT NOT NULL DEFAULT '{}'
);
-- Listing pages walk (created_at, data_id) newest first; each common filter has its own ordered index.
CREATE INDEX library_records_order ON library_records (created_at, data_id);
CREATE INDEX library_records_level ON library_records (calibration_level, created_at, data_id);
CREATE INDEX library_records_instrument ON library_records (instrument, created_at, data_id);
CREATE INDEX library_records_filter ON library_records (filter, created_at, data_id);
CREATE INDEX library_records_target ON library_records (target_key, created_at, data_id);
CREATE INDEX library_records_observation ON library_records (observation_id, created_at, data_id);
CREATE INDEX library_records_owner ON library_records (owner, created_at, data_id);
CREATE INDEX library_records_visibility ON library_records (visibility, created_at, data_id);
CREATE INDEX library_records_job ON library_records (job_id);
CREATE TABLE library_thumbnails (
  data_id TEXT PRIMARY KEY REFERENCES library_records (data_id) ON DELETE CASCADE,
  media_type TEXT NOT NULL,
  bytes ${blob} NOT NULL
);
`;

const apiKeysTable = `
CREATE TABLE api_keys (
  key_id TEXT PRIMARY KEY,
  key_hash TEXT NOT NULL UNIQUE,
  user_id TEXT NOT NULL,
  role TEXT NOT NULL,
  name TEXT NOT NULL,
  created_at TEXT NOT NULL,
  last_used_at TEXT,
  revoked INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX api_keys_user ON api_keys (user_id);
`;

export const LIBRARY_MIGRATIONS: MigrationSet = {
  component: 'library',
  migrations: [
    { version: 1, name: 'records and thumbnails', sqlite: recordsTable('BLOB', 'REAL'), postgres: recordsTable('BYTEA', 'DOUBLE PRECISION') },
    { version: 2, name: 'api keys', sqlite: apiKeysTable, postgres: apiKeysTable },
  ],
};
