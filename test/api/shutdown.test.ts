/** SIGTERM/SIGINT: the engine stops accepting, closes cleanly and exits 0. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnEngine, waitForHealth } from '../helpers/engine-process.js';

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  describe(`${signal}`, () => {
    it('exits 0 after a clean shutdown', async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'shutdown-test-'));
      const port = await freePort();
      const engine = spawnEngine({ PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'warn', MAST_BASE_URL: 'http://127.0.0.1:9' });
      try {
        await waitForHealth(port, engine);
        engine.child.kill(signal);
        assert.equal(await engine.exited, 0, engine.stderr());
      } finally {
        engine.child.kill('SIGKILL');
        await rm(dataDir, { recursive: true, force: true });
      }
    });
  });
}

describe('bad configuration', () => {
  it('stops at start-up with a message naming the variable', async () => {
    const engine = spawnEngine({ PORT: 'eighty' });
    assert.equal(await engine.exited, 2);
    assert.match(engine.stderr(), /Configuration error: PORT="eighty" is invalid/);
  });
});
