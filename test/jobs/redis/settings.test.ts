/** The scale-out settings: defaults (no Redis, local workers), validation, no password in messages. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadSettings } from '../../../src/config.js';

describe('job queue settings', () => {
  it('defaults to in-process jobs with local workers', () => {
    const s = loadSettings({});
    assert.equal(s.redisUrl, undefined);
    assert.equal(s.runLocalWorkers, true);
    assert.equal(s.jobQueuePrefix, 'jwst');
    assert.equal(s.jobQueueCompute, 'jobs-compute');
    assert.equal(s.jobQueueTransfer, 'jobs-transfer');
    assert.equal(s.workerConcurrencyCompute, undefined);
    assert.equal(s.workerConcurrencyTransfer, undefined);
    assert.equal(s.jobLockDurationMs, 30_000);
    assert.equal(s.jobStalledIntervalMs, 15_000);
    assert.equal(s.jobStartAttempts, 20);
    assert.equal(s.jobThreadAttempts, 4);
    assert.equal(s.jobThreadRetryMs, 2000);
  });

  it('reads an API node without workers, queue names, concurrency and lock times', () => {
    const s = loadSettings({
      REDIS_URL: 'redis://:secret@redis.internal:6380/2', RUN_LOCAL_WORKERS: 'false', JOB_QUEUE_PREFIX: 'team-a',
      JOB_QUEUE_COMPUTE: 'cpu', JOB_QUEUE_TRANSFER: 'net', WORKER_CONCURRENCY_COMPUTE: '2', WORKER_CONCURRENCY_TRANSFER: '0',
      JOB_LOCK_DURATION: '5', JOB_STALLED_INTERVAL: '0.5', JOB_START_ATTEMPTS: '3', JOB_THREAD_ATTEMPTS: '1', JOB_THREAD_RETRY_MS: '30000',
    });
    assert.equal(s.redisUrl, 'redis://:secret@redis.internal:6380/2');
    assert.equal(s.runLocalWorkers, false);
    assert.deepEqual([s.jobQueuePrefix, s.jobQueueCompute, s.jobQueueTransfer], ['team-a', 'cpu', 'net']);
    assert.deepEqual([s.workerConcurrencyCompute, s.workerConcurrencyTransfer], [2, 0]);
    assert.deepEqual([s.jobLockDurationMs, s.jobStalledIntervalMs, s.jobStartAttempts, s.jobThreadAttempts, s.jobThreadRetryMs], [5000, 500, 3, 1, 30_000]);
  });

  it('rejects bad values, naming the variable but never echoing a Redis password', () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ REDIS_URL: 'http://:secret@host' }, /REDIS_URL is invalid/],
      [{ REDIS_URL: 'not a url secret' }, /REDIS_URL is invalid/],
      [{ RUN_LOCAL_WORKERS: 'false' }, /RUN_LOCAL_WORKERS=false needs REDIS_URL/],
      [{ JOB_QUEUE_COMPUTE: 'a b' }, /JOB_QUEUE_COMPUTE/],
      [{ JOB_QUEUE_COMPUTE: 'q', JOB_QUEUE_TRANSFER: 'q' }, /must differ/],
      [{ WORKER_CONCURRENCY_COMPUTE: '-1' }, /WORKER_CONCURRENCY_COMPUTE/],
      [{ JOB_LOCK_DURATION: '0' }, /JOB_LOCK_DURATION/],
      [{ JOB_THREAD_ATTEMPTS: '0' }, /JOB_THREAD_ATTEMPTS="0" is invalid: expected an integer >= 1/],
      [{ JOB_THREAD_ATTEMPTS: '2.5' }, /JOB_THREAD_ATTEMPTS/],
      [{ JOB_THREAD_RETRY_MS: '0' }, /JOB_THREAD_RETRY_MS="0" is invalid: expected an integer >= 1 <= 30000/],
      [{ JOB_THREAD_RETRY_MS: '30001' }, /JOB_THREAD_RETRY_MS/],
      [{ JOB_THREAD_RETRY_MS: 'soon' }, /JOB_THREAD_RETRY_MS/],
    ];
    for (const [env, re] of cases) {
      assert.throws(() => loadSettings(env), (err: unknown) => err instanceof ConfigError && re.test(err.message) && !err.message.includes('secret'), JSON.stringify(env));
    }
  });
});
