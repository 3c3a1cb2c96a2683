/** `jwst-engine worker` settings: Redis required, always runs jobs, runs downloads like every job kind. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadSettings } from '../../../src/config.js';
import { workerSettings } from '../../../src/worker.js';

describe('workerSettings', () => {
  it('needs REDIS_URL', () => {
    assert.throws(() => workerSettings(loadSettings({})), (err: unknown) => err instanceof ConfigError && /REDIS_URL is not set/.test(err.message));
  });

  it('runs jobs (downloads too), and leaves the library scan to the API node', () => {
    const s = workerSettings(loadSettings({ REDIS_URL: 'redis://127.0.0.1:6380', RUN_LOCAL_WORKERS: 'false' }));
    assert.equal(s.runLocalWorkers, true);
    assert.equal(s.libraryScanOnStart, false);
  });
});
