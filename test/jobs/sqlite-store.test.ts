import { join } from 'node:path';
import { SqliteJobStore } from '../../src/jobs/sqlite-store.js';
import { jobStoreConformance } from './store.conformance.js';
import { tempDir } from './helpers.js';

jobStoreConformance('SqliteJobStore', async () => {
  const { dir, cleanup } = await tempDir('jobs-sqlite-');
  const path = join(dir, 'jobs.sqlite');
  return { store: new SqliteJobStore(path), reopen: async () => new SqliteJobStore(path), cleanup };
});
