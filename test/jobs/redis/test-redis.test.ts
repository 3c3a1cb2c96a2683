/**
 * The test Redis helper itself: a private server on its own port, a restart on the same URL, AOF
 * keeping acknowledged writes across a SIGKILL, and a clean directory after stop.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { Redis } from 'ioredis';
import { TestRedis, ping } from '../../helpers/redis.js';

describe('TestRedis', () => {
  it('runs a private server that is not the machine one, and removes its directory on stop', async () => {
    const redis = await TestRedis.start();
    try {
      assert.notEqual(redis.port, 6379);
      assert.equal(await ping(redis.port), true);
    } finally {
      await redis.stop();
    }
    assert.equal(await ping(redis.port), false);
    await assert.rejects(access(redis.dir));
  });

  it('without persistence a restart starts empty; with AOF a killed server keeps every write', async () => {
    for (const persistence of ['none', 'aof'] as const) {
      const redis = await TestRedis.start({ persistence });
      const client = new Redis(redis.url, { maxRetriesPerRequest: null, retryStrategy: () => 50 });
      client.on('error', () => undefined); // refused while the server restarts; ioredis retries
      try {
        await client.set('k', 'v');
        await redis.restart('kill');
        assert.equal(redis.isRunning, true);
        // The same client reconnects to the same URL by itself.
        assert.equal(await client.get('k'), persistence === 'aof' ? 'v' : null, persistence);
      } finally {
        client.disconnect();
        await redis.stop();
      }
    }
  });
});
