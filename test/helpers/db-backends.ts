/**
 * Runs one test suite against every database backend: embedded SQLite (a temp file) and a private
 * PostgreSQL cluster (test/helpers/postgres.ts, one per test file, a fresh database per suite).
 */
import { after, before, describe } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestPostgres } from './postgres.js';

export interface BackendTarget {
  readonly kind: 'sqlite' | 'postgres';
  /** A fresh empty database: DATABASE_URL (postgres) or undefined with a fresh sqlite file. */
  fresh(): Promise<{ databaseUrl: string | undefined; sqliteFile: string; dataDir: string }>;
}

let cluster: Promise<TestPostgres> | undefined;
let counter = 0;
const dirs: string[] = [];

function sharedCluster(): Promise<TestPostgres> {
  cluster ??= TestPostgres.start();
  return cluster;
}

after(async () => {
  if (cluster) await (await cluster).stop();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'db-test-'));
  dirs.push(d);
  return d;
}

export function forEachBackend(title: string, suite: (target: BackendTarget) => void): void {
  describe(`${title} (sqlite)`, () => {
    suite({
      kind: 'sqlite',
      async fresh() {
        const dataDir = await tempDir();
        return { databaseUrl: undefined, sqliteFile: join(dataDir, 'engine.db'), dataDir };
      },
    });
  });
  describe(`${title} (postgres)`, () => {
    before(async () => {
      await sharedCluster();
    });
    suite({
      kind: 'postgres',
      async fresh() {
        const server = await sharedCluster();
        const dataDir = await tempDir();
        const url = await server.createDatabase(`t${process.pid}_${++counter}`);
        return { databaseUrl: url, sqliteFile: join(dataDir, 'engine.db'), dataDir };
      },
    });
  });
}
