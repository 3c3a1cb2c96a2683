/**
 * SIGTERM with work in flight, on real processes: a long synchronous mosaic and a download from
 * the fake MAST are running. The engine exits 0 (it exits 1 past SHUTDOWN_TIMEOUT_MS, 8 s by
 * default, so exit 0 is the budget kept), the mosaic's client gets a 503 `{"detail"}` answer, the
 * download is saved (re-queued) with its `.part` bytes on disk; started again on the same DATA_DIR,
 * the engine resumes the download from those bytes and finishes it byte-identical.
 * (The download is re-queued, not paused: a shutdown re-queues every job; docs/jobs.md.)
 * Also the job worker (`jwst-engine worker`) stops cleanly on SIGTERM while it runs a job.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeMast } from '../fake-mast/server.js';
import { jobStoreFromSettings } from '../../src/jobs/store-from-settings.js';
import { loadSettings } from '../../src/config.js';
import { freePort, spawnEngine, spawnHeld, waitForHealth, waitForHold, type SpawnedEngine } from '../helpers/engine-process.js';
import { TestRedis } from '../helpers/redis.js';
import { writeTile } from './sky-files.js';

type Json = Record<string, any>;
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let fake: FakeMast;
before(async () => {
  fake = await FakeMast.start({ imageSize: 256 });
});
after(async () => {
  await fake.close();
});

/**
 * Two overlapping tiles for an exact (flux-conserving) FITS mosaic. The engines stopped mid-render
 * run it held (test/helpers/held-engine.ts): it waits in the middle of its work until the SIGTERM
 * stops it, so it is surely still rendering then, however fast or loaded the machine.
 */
async function writeMosaicTiles(dataDir: string): Promise<void> {
  const scale = 0.031 / 3600;
  const sky = (x: number, y: number) => 10 + Math.sin(x / 37) * Math.cos(y / 23) * 5;
  await writeTile(dataDir, { name: 'tiles/a.fits', ra: 150, dec: 2, width: 2400, height: 2400, scale, value: sky });
  await writeTile(dataDir, { name: 'tiles/b.fits', ra: 150 + (1200 * scale) / Math.cos((2 * Math.PI) / 180), dec: 2, width: 2400, height: 2400, scale, value: sky });
}

const MOSAIC = { files: [{ file_path: 'tiles/a.fits' }, { file_path: 'tiles/b.fits' }], output_format: 'fits', interpolation: 'exact' };

function client(port: number) {
  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, {
      method,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text.startsWith('{') ? (JSON.parse(text) as Json) : { raw: text.slice(0, 200) } };
  };
  const until = async (path: string, done: (b: Json) => boolean, timeoutMs = 300_000): Promise<Json> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await call('GET', path);
      if (r.status === 200 && done(r.body)) return r.body;
      if (Date.now() > deadline) throw new Error(`timed out on ${path}: ${JSON.stringify(r.body)}`);
      await sleep(100);
    }
  };
  return { call, until };
}

describe('SIGTERM with a mosaic and a download in flight', () => {
  it('answers 503, re-queues the download with its bytes, exits 0; the next start finishes the download byte-identical', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'shutdown-inflight-'));
    const port = await freePort();
    const env = {
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      WORKER_THREADS: '2',
      MAST_BASE_URL: fake.url,
      CHUNK_SIZE: '65536',
      RETRY_BASE_DELAY: '0.01',
      LIBRARY_SCAN_ON_START: 'false',
    };
    const { call, until } = client(port);
    let engine: SpawnedEngine | undefined;
    let held: { release: () => void } | undefined;
    try {
      await writeMosaicTiles(dataDir);
      fake.reset();
      // Both files stop after their first 64 KiB chunk until the engine is stopped (the stop cuts
      // the held requests): still downloading when SIGTERM comes, however fast or loaded the machine.
      held = fake.holdDownloads(65_536);
      engine = spawnHeld('engine', 'reproject.mosaic-fits', env);
      await waitForHealth(port, engine);

      const obsId = 'jw09992-o003_t001_miri_f770w';
      const start = await call('POST', '/mast/download/start-chunked', { obs_id: obsId });
      assert.equal(start.status, 200, JSON.stringify(start.body));
      const id = start.body.job_id as string;
      const mosaic = fetch(`http://127.0.0.1:${port}/mosaic/generate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(MOSAIC) })
        .then(async (r) => ({ status: r.status, type: r.headers.get('content-type') ?? '', text: await r.text() }));
      await until('/health/ready', (b) => b.render_gate.active >= 1);
      await until(`/mast/download/progress-chunked/${id}`, (p) => p.downloaded_bytes > 30_000);
      await waitForHold(engine, 'reproject.mosaic-fits'); // the mosaic renders (on a pool thread) and cannot finish
      const running = (await call('GET', `/mast/download/progress-chunked/${id}`)).body;
      assert.equal(running.is_complete, false, 'the download is still running when the engine is stopped');

      engine.child.kill('SIGTERM');
      const code = await engine.exited;
      assert.equal(code, 0, engine.stderr());

      const answer = await mosaic;
      assert.equal(answer.status, 503, answer.text.slice(0, 200));
      assert.match(answer.type, /application\/json/);
      assert.equal(typeof (JSON.parse(answer.text) as Json).detail, 'string');

      // The shutdown put the download back in the queue (a job-core record in DATA_DIR/engine.db,
      // its checkpoint the saved form) and kept its partial bytes.
      const store = await jobStoreFromSettings(loadSettings({ DATA_DIR: dataDir }));
      const record = (await store.get(id))!;
      await store.close();
      assert.equal(record.kind, 'download');
      assert.equal(record.state, 'queued', JSON.stringify(record));
      const state = record.checkpoint as Json;
      let partialBytes = 0;
      for (const f of state.files as Json[]) {
        if (f.status === 'complete') continue;
        const size = await stat(`${f.local_path}.part`).then((s) => s.size, () => 0);
        assert.ok(size >= f.downloaded_bytes, 'never less on disk than recorded');
        partialBytes += size;
      }
      assert.ok(partialBytes > 0, 'partial bytes are kept on disk');

      // Started again on the same DATA_DIR: the download resumes by itself and completes.
      fake.setDownloadSwitches({ '*': {} });
      engine = spawnEngine(env);
      await waitForHealth(port, engine);
      const done = await until(`/mast/download/progress-chunked/${id}`, (p) => p.is_complete);
      assert.equal(done.stage, 'complete', JSON.stringify(done));
      for (const f of done.file_progress as Json[]) {
        const expected = fake.dataset.files.get(`mast:jwst/product/${f.filename}`.toLowerCase())!.bytes();
        assert.equal(sha(await readFile(f.local_path)), sha(expected), `${f.filename} is byte-identical`);
      }
      engine.child.kill('SIGTERM');
      assert.equal(await engine.exited, 0, engine.stderr());
    } finally {
      engine?.child.kill('SIGKILL');
      held?.release();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('jwst-engine worker and SIGTERM', () => {
  it('stops its running job (queued again for another worker) and exits 0', async () => {
    const redis = await TestRedis.start();
    const dataDir = await mkdtemp(join(tmpdir(), 'shutdown-worker-'));
    const apiPort = await freePort();
    const workerPort = await freePort();
    const env = { HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'info', WORKER_THREADS: '1', MAST_BASE_URL: fake.url, REDIS_URL: redis.url, LIBRARY_SCAN_ON_START: 'false' };
    let api: SpawnedEngine | undefined;
    let worker: ReturnType<typeof spawnHeld> | undefined;
    try {
      await writeMosaicTiles(dataDir);
      api = spawnEngine({ ...env, PORT: String(apiPort), RUN_LOCAL_WORKERS: 'false' });
      worker = spawnHeld('worker', 'reproject.mosaic-fits', { ...env, PORT: String(workerPort) });
      await waitForHealth(apiPort, api);
      await waitForHealth(workerPort, worker);
      const { call, until } = client(apiPort);
      const started = await call('POST', '/mosaic/generate?async=true', MOSAIC);
      assert.equal(started.status, 202, JSON.stringify(started.body));
      const id = started.body.job_id as string;
      await until(`/api/jobs/${id}`, (j) => j.state === 'running');
      await waitForHold(worker, 'reproject.mosaic-fits'); // its mosaic renders and cannot finish

      worker.child.kill('SIGTERM');
      assert.equal(await worker.exited, 0, worker.stderr());
      const job = (await call('GET', `/api/jobs/${id}`)).body;
      assert.equal(job.state, "queued", `the stopped run goes back to the queue: ${JSON.stringify(job)}\n${worker.stdout()}`);
      await call('POST', `/api/jobs/${id}/cancel`);
      api.child.kill('SIGTERM');
      assert.equal(await api.exited, 0, api.stderr());
    } finally {
      api?.child.kill('SIGKILL');
      worker?.child.kill('SIGKILL');
      await redis.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
