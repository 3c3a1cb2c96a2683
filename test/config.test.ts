import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { ConfigError, loadSettings } from '../src/config.js';
import { workerPoolOptions } from '../src/engine.js';

describe('loadSettings', () => {
  it('has the documented defaults', () => {
    const s = loadSettings({});
    assert.equal(s.port, 8000);
    assert.equal(s.host, '0.0.0.0');
    assert.equal(s.dataDir, resolve('./data'));
    assert.equal(s.mastDownloadDir, resolve('./data/mast'));
    assert.equal(s.mastBaseUrl, 'https://mast.stsci.edu');
    assert.equal(s.chunkSize, 5 * 1024 * 1024);
    assert.equal(s.maxConcurrentFiles, 3);
    assert.equal(s.maxRetries, 3);
    assert.equal(s.retryBaseDelayMs, 1000);
    assert.equal(s.stateRetentionDays, 7);
    assert.equal(s.mastSearchTimeoutMs, 120_000);
    assert.equal(s.maxFitsFileSizeMb, 2048);
    assert.equal(s.maxFitsArrayElements, 100_000_000);
    assert.equal(s.maxCompositeReprojectPixels, 64_000_000);
    assert.equal(s.maxMosaicOutputPixels, 64_000_000);
    assert.equal(s.logLevel, 'info');
    assert.equal(s.mastToken, undefined);
    assert.equal(s.downloadStallTimeoutMs, 60_000);
    assert.equal(s.downloadFsync, true);
    assert.equal(s.mastDownloadTimeoutMs, 600_000);
  });

  it('has the input limits of docs/limits.md, each within its schema ceiling', () => {
    const s = loadSettings({});
    assert.equal(s.maxFootprintFiles, 500);
    assert.equal(s.maxFootprintOverlaps, 10_000);
    assert.equal(s.maxMosaicFiles, 100);
    assert.equal(s.maxPhotometryPositions, 10_000);
    assert.equal(s.maxDecompressionRatio, 200);
    assert.equal(loadSettings({ MAX_DECOMPRESSION_RATIO: '0' }).maxDecompressionRatio, 0);
    for (const [name, value] of [['MAX_FOOTPRINT_FILES', '10001'], ['MAX_MOSAIC_FILES', '1'], ['MAX_PHOTOMETRY_POSITIONS', '100001'], ['MAX_FOOTPRINT_OVERLAPS', '0'], ['MAX_DECOMPRESSION_RATIO', '-1']]) {
      assert.throws(() => loadSettings({ [name!]: value! }), (err: unknown) => err instanceof ConfigError && err.message.startsWith(`${name}=`));
    }
  });

  it('reads the download timeouts in seconds and DOWNLOAD_FSYNC as a boolean', () => {
    const s = loadSettings({ DOWNLOAD_STALL_TIMEOUT: '2.5', DOWNLOAD_FSYNC: 'off', MAST_DOWNLOAD_TIMEOUT: '30' });
    assert.equal(s.downloadStallTimeoutMs, 2500);
    assert.equal(s.downloadFsync, false);
    assert.equal(s.mastDownloadTimeoutMs, 30_000);
    assert.equal(loadSettings({ DOWNLOAD_FSYNC: '1' }).downloadFsync, true);
  });

  it('derives MAST_DOWNLOAD_DIR from DATA_DIR and strips a trailing slash from MAST_BASE_URL', () => {
    const s = loadSettings({ DATA_DIR: '/srv/jwst', MAST_BASE_URL: 'http://127.0.0.1:9999/' });
    assert.equal(s.mastDownloadDir, '/srv/jwst/mast');
    assert.equal(s.mastBaseUrl, 'http://127.0.0.1:9999');
  });

  it('reads the worker pool stop graces (TASK_ABORT_GRACE_MS, TASK_UNWIND_GRACE_MS, session 15) into the engine pool', () => {
    const MiB = 1024 * 1024;
    assert.deepEqual(workerPoolOptions(loadSettings({})), { threads: 0, abortGraceMs: 500, unwindGraceMs: 5000, keepAllThreads: true, residentPlaneBytes: 0 });
    const s = loadSettings({ WORKER_THREADS: '3', TASK_ABORT_GRACE_MS: '250', TASK_UNWIND_GRACE_MS: '0', WORKER_PLANE_BUFFER_MB: '64' });
    assert.deepEqual(workerPoolOptions(s), { threads: 3, abortGraceMs: 250, unwindGraceMs: 0, keepAllThreads: true, residentPlaneBytes: 64 * MiB });
    assert.equal(loadSettings({ WORKER_PLANE_BUFFER_MB: '512' }).workerPlaneBufferBytes, 512 * MiB);
    assert.throws(() => loadSettings({ WORKER_PLANE_BUFFER_MB: '513' }), /WORKER_PLANE_BUFFER_MB/);
    assert.throws(() => loadSettings({ WORKER_PLANE_BUFFER_MB: '-1' }), /WORKER_PLANE_BUFFER_MB/);
    assert.equal(loadSettings({ TASK_UNWIND_GRACE_MS: '600000' }).taskUnwindGraceMs, 600_000);
  });

  it('rejects bad values with a message naming the variable', () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ PORT: 'eighty' }, /PORT="eighty" is invalid: expected an integer/],
      [{ PORT: '70000' }, /PORT/],
      [{ CHUNK_SIZE: '1.5' }, /CHUNK_SIZE/],
      [{ MAX_CONCURRENT_FILES: '0' }, /MAX_CONCURRENT_FILES="0" is invalid: expected an integer >= 1/],
      [{ RETRY_BASE_DELAY: '-1' }, /RETRY_BASE_DELAY/],
      [{ MAST_BASE_URL: 'ftp://x' }, /MAST_BASE_URL/],
      [{ MAST_BASE_URL: 'not a url' }, /MAST_BASE_URL/],
      [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
      [{ MAX_MOSAIC_OUTPUT_PIXELS: '0' }, /MAX_MOSAIC_OUTPUT_PIXELS/],
      [{ AUTO_RESUME_DOWNLOADS: 'maybe' }, /AUTO_RESUME_DOWNLOADS/],
      [{ DOWNLOAD_STALL_TIMEOUT: '0' }, /DOWNLOAD_STALL_TIMEOUT="0" is invalid: expected a number >= 0.1/],
      [{ DOWNLOAD_STALL_TIMEOUT: 'soon' }, /DOWNLOAD_STALL_TIMEOUT/],
      [{ DOWNLOAD_FSYNC: 'sometimes' }, /DOWNLOAD_FSYNC="sometimes" is invalid: expected true or false/],
      [{ MAST_DOWNLOAD_TIMEOUT: '-5' }, /MAST_DOWNLOAD_TIMEOUT/],
      [{ TASK_UNWIND_GRACE_MS: '-1' }, /TASK_UNWIND_GRACE_MS="-1" is invalid: expected an integer >= 0 <= 600000/],
      [{ TASK_UNWIND_GRACE_MS: '600001' }, /TASK_UNWIND_GRACE_MS/],
      [{ TASK_UNWIND_GRACE_MS: '2.5' }, /TASK_UNWIND_GRACE_MS/],
      [{ TASK_UNWIND_GRACE_MS: '5s' }, /TASK_UNWIND_GRACE_MS="5s" is invalid/],
    ];
    for (const [env, re] of cases) {
      assert.throws(() => loadSettings(env), (err: unknown) => err instanceof ConfigError && re.test(err.message));
    }
  });
});
