/**
 * The embedded engine keeps job records in DATA_DIR/engine.db; an older engine's DATA_DIR/jobs.sqlite
 * is copied there once (records survive, a record already there is kept) and renamed aside, also
 * when two processes start together on the same DATA_DIR.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { loadSettings } from '../../src/config.js';
import { schemaVersions } from '../../src/db/index.js';
import { SqliteJobStore } from '../../src/jobs/index.js';
import { jobStoreFromSettings } from '../../src/jobs/store-from-settings.js';
import { sampleRecord } from './store.conformance.js';
import { tempDir } from './helpers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

async function oldJobsFile(dataDir: string, ids: string[]): Promise<void> {
  const old = new SqliteJobStore(join(dataDir, 'jobs.sqlite'));
  for (const id of ids) await old.insert(sampleRecord(id, { state: id === 'done' ? 'completed' : 'queued', owner: 'ann' }));
  await old.close();
}

it('an old DATA_DIR/jobs.sqlite is copied into engine.db once and renamed jobs.sqlite.migrated; a record already there is kept', async () => {
  const { dir, cleanup } = await tempDir('jobs-import-');
  try {
    await oldJobsFile(dir, ['done', 'waiting', 'clash']);
    const settings = loadSettings({ DATA_DIR: dir, LOG_LEVEL: 'silent' });
    const first = await jobStoreFromSettings(settings);
    assert.equal(existsSync(join(dir, 'jobs.sqlite')), false);
    assert.equal(existsSync(join(dir, 'jobs.sqlite.migrated')), true);
    assert.deepEqual((await first.list({ limit: 10 })).jobs.map((j) => j.id).sort(), ['clash', 'done', 'waiting']);
    assert.deepEqual(await first.get('done'), sampleRecord('done', { state: 'completed', owner: 'ann' }));
    assert.equal((await first.list({ finishedBefore: '2100-01-01T00:00:00.000Z' })).total, 1, 'finished_at filled');
    await first.update(sampleRecord('clash', { state: 'cancelled', owner: 'ann' }));
    await first.close();
    // A jobs.sqlite that reappears (an older process still running) is not copied again, only renamed.
    await oldJobsFile(dir, ['clash', 'late']);
    const again = await jobStoreFromSettings(settings);
    try {
      assert.equal((await again.get('clash'))!.state, 'cancelled');
      assert.equal(await again.get('late'), undefined);
      assert.equal(existsSync(join(dir, 'jobs.sqlite')), false);
      assert.equal((await schemaVersions(again.db))['jobs.sqlite import'], 1);
    } finally {
      await again.close();
    }
  } finally {
    await cleanup();
  }
});

it('two processes starting together on one DATA_DIR copy the old records once', async () => {
  const { dir, cleanup } = await tempDir('jobs-import-race-');
  try {
    const ids = Array.from({ length: 200 }, (_, i) => `job-${String(i).padStart(3, '0')}`);
    await oldJobsFile(dir, ids);
    const script = `
      const { loadSettings } = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'src/config.ts')).href)});
      const { jobStoreFromSettings } = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'src/jobs/store-from-settings.ts')).href)});
      const store = await jobStoreFromSettings(loadSettings({ DATA_DIR: ${JSON.stringify(dir)}, LOG_LEVEL: 'silent' }));
      process.stdout.write(String((await store.list({ limit: 1 })).total));
      await store.close();`;
    const run = () => promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT });
    const outs = await Promise.all([run(), run()]);
    assert.deepEqual(outs.map((o) => o.stdout), ['200', '200']);
    const store = await jobStoreFromSettings(loadSettings({ DATA_DIR: dir, LOG_LEVEL: 'silent' }));
    try {
      assert.equal((await store.list({ limit: 1 })).total, 200);
      const marks = await store.db.query("SELECT version FROM schema_migrations WHERE component = 'jobs.sqlite import'");
      assert.equal(marks.length, 1);
      assert.equal(existsSync(join(dir, 'jobs.sqlite')), false);
      assert.equal(existsSync(join(dir, 'jobs.sqlite.migrated')), true);
    } finally {
      await store.close();
    }
  } finally {
    await cleanup();
  }
});
