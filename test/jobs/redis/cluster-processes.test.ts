/**
 * The scale-out deployment as real processes: a private Redis (AOF), one API process with no local
 * workers and two `jwst-engine worker` processes sharing DATA_DIR. 20 mixed jobs (analyses, a
 * mosaic, a footprint, downloads from the fake MAST); both workers run some; one worker is
 * SIGKILLed while it runs a download (and other jobs) and Redis is restarted once; every job
 * completes with the right outputs, the jobs the dead worker was running are finished by the other
 * one, and the cut download ends byte-identical having re-fetched no more than the chunks that were
 * in flight (the Range requests the fake MAST served per file are counted).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FakeMast } from '../../fake-mast/server.js';
import type { FakeDownloadEndpoint } from '../../fake-mast/download-endpoint.js';
import { freePort, spawnEngine, spawnWorker, waitForHealth, type SpawnedEngine } from '../../helpers/engine-process.js';
import { TestRedis } from '../../helpers/redis.js';
import { writeTile } from '../../api/sky-files.js';
import { tempDir } from './cluster.js';

type Json = Record<string, any>;
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const CHUNK = 65536;
/**
 * Longest wait for one job to settle, or for a download to be caught mid-file. Every job here ends
 * in a minute or two even at load 25; a wait this long means the job is stranded.
 */
const WAIT_MS = 300_000;
/** Longest start of one node (tsx compiles the engine as it loads: minutes at load 20-35). */
const START_MS = 300_000;

describe('scale-out: API node without workers, two worker processes, Redis', () => {
  let redis: TestRedis;
  let fake: FakeMast;
  let dirs: { dir: string; cleanup: () => Promise<void> };
  let api: SpawnedEngine & { stdout(): string };
  let apiPort: number;
  const workers: Array<ReturnType<typeof spawnWorker>> = [];
  let env: Record<string, string>;

  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> => {
    const res = await fetch(`http://127.0.0.1:${apiPort}${path}`, {
      method,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    const parsed = text.startsWith('{') ? (JSON.parse(text) as Json) : { raw: text };
    // a 5xx says only "Internal server error": attach the API node's error log, so a failure shows its cause
    // (a 503 is logged as a warning: "request refused")
    if (res.status >= 500) parsed.api_errors = api.stdout().split('\n').filter((l) => /"level":(50|60)/.test(l) || l.includes('request refused')).slice(-5);
    return { status: res.status, body: parsed };
  };

  /**
   * What the cluster says about job `id` when a wait for it runs out: its record, and every line
   * of each worker's log that names it (taken, reclaimed, failed) with their warnings and errors.
   */
  const diagnose = async (id: string | undefined): Promise<string> => {
    const record = id ? await call('GET', `/api/jobs/${id}`).then((r) => r.body, (err: Error) => ({ unreachable: err.message })) : {};
    const lines = (p: { stdout(): string }) => p.stdout().split('\n')
      .filter((l) => (id !== undefined && l.includes(id)) || /"level":(40|50|60)/.test(l)).slice(-15);
    return JSON.stringify({ record, workers: workers.map((w) => ({ pid: w.child.pid, exit: w.child.exitCode ?? w.child.signalCode, log: lines(w) })), api: lines(api) }, null, 1);
  };

  /**
   * Polls a status route until `done` accepts the body (the API may be briefly cut from Redis).
   * Bounded: a job that never settles fails the test with the cluster's account of it, instead of
   * hanging until the CI step's timeout.
   */
  const until = async (path: string, done: (b: Json) => boolean, id?: string): Promise<Json> => {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const r = await call('GET', path).catch(() => undefined);
      if (r?.status === 200 && done(r.body)) return r.body;
      if (Date.now() > deadline) assert.fail(`${path}: not settled after ${WAIT_MS / 1000} s (last answer ${JSON.stringify(r)}): ${await diagnose(id)}`);
      await sleep(100);
    }
  };

  const startWorker = async (): Promise<ReturnType<typeof spawnWorker>> => {
    const port = await freePort();
    const w = spawnWorker({ ...env, PORT: String(port), LOG_LEVEL: 'info' });
    // One that never came up is killed here (it is not in `workers` yet): else the test hangs on it.
    await waitForHealth(port, w, START_MS).catch(async (err: unknown) => {
      w.child.kill('SIGKILL');
      await w.exited;
      throw err;
    });
    return w;
  };

  /** Job ids each worker took, from its log. */
  const taken = (w: ReturnType<typeof spawnWorker>): string[] =>
    w.stdout().split('\n').filter((l) => l.includes('job taken by this worker')).map((l) => (JSON.parse(l) as Json).jobId as string);

  before(async () => {
    redis = await TestRedis.start({ persistence: 'aof' });
    fake = await FakeMast.start({ imageSize: 256 });
    dirs = await tempDir('cluster-');
    // Inputs: two overlapping tiles for the mosaic, a larger image for slower analyses.
    const tile = (name: string, ra: number, size: number) => writeTile(dirs.dir, {
      name, ra, dec: 20, width: size, height: size, scale: 1e-4, value: (x, y) => Math.sin(x / 7) * Math.cos(y / 5) + ((x * 31 + y * 17) % 13) / 13,
    });
    await tile('m/a.fits', 150, 200);
    await tile('m/b.fits', 150.01, 200);
    await tile('m/big.fits', 150, 1200);
    apiPort = await freePort();
    env = {
      HOST: '127.0.0.1', DATA_DIR: dirs.dir, REDIS_URL: redis.url, JOB_QUEUE_PREFIX: 'cluster-test', LOG_LEVEL: 'warn',
      WORKER_THREADS: '1', MAST_BASE_URL: fake.url, CHUNK_SIZE: String(CHUNK), RETRY_BASE_DELAY: '0.01',
      JOB_LOCK_DURATION: '2', JOB_STALLED_INTERVAL: '0.5', WORKER_CONCURRENCY_COMPUTE: '2', LIBRARY_SCAN_ON_START: 'false',
    };
    api = spawnEngine({ ...env, PORT: String(apiPort), RUN_LOCAL_WORKERS: 'false' }, { keepStdout: true });
    await waitForHealth(apiPort, api, START_MS);
    workers.push(await startWorker(), await startWorker());
  });

  after(async () => {
    for (const p of [api, ...workers]) p?.child.kill('SIGKILL');
    await Promise.all([api, ...workers].map((p) => p?.exited));
    // CLUSTER_LOG_DIR=dir keeps every node's log (to study a run that passed, or a loop of them).
    const logDir = process.env.CLUSTER_LOG_DIR;
    if (logDir) {
      await mkdir(logDir, { recursive: true });
      const stamp = `${Date.now()}-${process.pid}`;
      await Promise.all([api, ...workers].map((p, i) => p && writeFile(join(logDir, `${stamp}-${i === 0 ? 'api' : `worker${i}`}.log`), p.stdout() + p.stderr())));
    }
    await redis?.stop();
    await fake?.close();
    await dirs?.cleanup();
  });

  it('runs 20 mixed jobs on both workers through a worker SIGKILL and a Redis restart', async () => {
    // Every download file stops after its first 64 KiB chunk until the worker is killed: a download
    // is surely mid-file then, however fast or loaded the machine (released right after the kill).
    const gate = fake.holdDownloads(CHUNK);
    const algorithms: Array<[string, string, Json]> = [
      ['m/big.fits', 'background_2d', { box_size: 64, filter_size: 3 }],
      ['m/big.fits', 'segmentation', { nsigma: 2, npixels: 10, background: 'mesh', box_size: 64 }],
      ['m/big.fits', 'gaussian_filter', { sigma: 2 }],
      ['m/big.fits', 'sigma_clipped_statistics', { sigma: 3, maxiters: 5 }],
      ['m/a.fits', 'statistics', {}],
      ['m/a.fits', 'percentiles', { percentiles: [1, 50, 99] }],
      ['m/b.fits', 'biweight', {}],
      ['m/b.fits', 'median_filter', { size: 3 }],
    ];
    // Each analysis twice: the two runs must agree (one of them may have been cut and re-run).
    const analyses: Array<{ id: string; key: string }> = [];
    for (let round = 0; round < 2; round++) {
      for (const [file, algorithm, parameters] of algorithms) {
        const r = await call('POST', '/process/jobs', { data_id: `${algorithm}-${round}`, algorithm, parameters, file_path: file });
        assert.equal(r.status, 202, JSON.stringify(r.body));
        analyses.push({ id: r.body.job_id as string, key: `${file}:${algorithm}` });
      }
    }
    const mosaic = await call('POST', '/mosaic/generate?async=true', { files: [{ file_path: 'm/a.fits' }, { file_path: 'm/b.fits' }], width: 200 });
    assert.equal(mosaic.status, 202, JSON.stringify(mosaic.body));
    const footprint = await call('POST', '/mosaic/footprint?async=true', { file_paths: ['m/a.fits', 'm/b.fits'] });
    assert.equal(footprint.status, 202, JSON.stringify(footprint.body));
    const downloads: string[] = [];
    for (const obs of ['jw09992-o004_t001_miri_f770w', 'jw09992-o003_t001_miri_f770w']) {
      const r = await call('POST', '/mast/download/start-chunked', { obs_id: obs });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      downloads.push(r.body.job_id as string);
    }
    assert.equal(analyses.length + 2 + downloads.length, 20);

    // Kill the worker that runs a download now, mid-file (with whatever else it runs).
    let victim: ReturnType<typeof spawnWorker> | undefined;
    let cut: string[] = [];
    let cutDownload: string | undefined;
    const lookUntil = Date.now() + WAIT_MS;
    while (!victim) {
      if (Date.now() > lookUntil) assert.fail(`no download caught mid-file in ${WAIT_MS / 1000} s: ${await diagnose(downloads[0])} ${await diagnose(downloads[1])}`);
      for (const w of workers) {
        const mine = taken(w);
        const states = await Promise.all(mine.map(async (id) => ({ id, job: (await call('GET', `/api/jobs/${id}`)).body })));
        const running = states.filter((s) => s.job.state === 'running').map((s) => s.id);
        const mid = [];
        for (const id of running.filter((id) => downloads.includes(id))) {
          const p = (await call('GET', `/mast/download/progress-chunked/${id}`)).body;
          if (p.status === 'downloading' && (p.file_progress as Json[]).some((f) => f.downloaded_bytes > 0 && f.status !== 'complete')) mid.push(id);
        }
        if (mid.length > 0) {
          victim = w;
          cut = running;
          cutDownload = mid[0];
          break;
        }
      }
      if (!victim) await sleep(50);
    }
    victim.child.kill('SIGKILL');
    await victim.exited;
    const killedAt = new Date().toISOString();
    gate.release();
    await redis.restart('kill');

    for (const a of analyses) await until(`/process/jobs/${a.id}`, (b) => b.status === 'completed' || b.status === 'failed', a.id);
    const results = new Map<string, Json[]>();
    for (const a of analyses) {
      const b = (await call('GET', `/process/jobs/${a.id}`)).body;
      assert.equal(b.status, 'completed', JSON.stringify(b));
      results.set(a.key, [...(results.get(a.key) ?? []), b.result.results]);
    }
    for (const [key, [first, second]] of results) assert.deepEqual(first, second, `${key}: both runs agree`);

    // The sky job routes keep the contract's words: done / failed.
    const m = await until(`/mosaic/jobs/${mosaic.body.job_id}`, (b) => b.status === 'done' || b.status === 'failed', mosaic.body.job_id as string);
    assert.equal(m.status, 'done', JSON.stringify(m));
    const png = await fetch(`http://127.0.0.1:${apiPort}/mosaic/jobs/${mosaic.body.job_id}/result`);
    assert.equal(png.status, 200);
    assert.deepEqual([...new Uint8Array(await png.arrayBuffer()).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
    const f = await until(`/mosaic/jobs/${footprint.body.job_id}`, (b) => b.status === 'done' || b.status === 'failed', footprint.body.job_id as string);
    assert.equal(f.status, 'done', JSON.stringify(f));
    const fp = (await (await fetch(`http://127.0.0.1:${apiPort}/mosaic/jobs/${footprint.body.job_id}/result`)).json()) as Json;
    assert.equal(fp.n_files, 2);

    fake.setDownloadSwitches({ '*': {} });
    const endpoint = fake.downloadState.get('endpoint') as FakeDownloadEndpoint;
    for (const id of downloads) {
      const done = await until(`/mast/download/progress-chunked/${id}`, (b) => b.is_complete === true, id);
      assert.equal(done.stage, 'complete', JSON.stringify(done));
      // Each run cut short (the SIGKILL; on a loaded machine also a run reclaimed after its lock
      // lapsed while Redis restarted) may leave its pieces in flight to be fetched again.
      const attempts = Number((await call('GET', `/api/jobs/${id}`)).body.attempts ?? 1);
      const cuts = cut.includes(id) ? Math.max(1, attempts - 1) : Math.max(0, attempts - 1);
      for (const file of done.file_progress as Json[]) {
        const expected = fake.dataset.files.get(`mast:jwst/product/${file.filename}`.toLowerCase())!.bytes();
        assert.equal(sha(await readFile(file.local_path)), sha(expected), `${file.filename} identical`);
        // Every Range GET the fake served for this file, both runs: one per chunk, plus at most the
        // pieces in flight when the worker died: one received but still in the write buffer (the
        // writer does not wait for the disk between pieces), one streaming, one asked ahead.
        const gets = endpoint.requests.filter((r) => r.method === 'GET' && r.uri.toLowerCase().endsWith(`/${file.filename}`.toLowerCase()));
        // A retried piece (a keep-alive socket the fake closed under a loaded machine, say) drops
        // the piece asked ahead and asks both again: the workers' logs say how often that happened.
        const retries = workers.flatMap((p) => p.stdout().split('\n'))
          .filter((l) => l.includes('retrying chunk') && l.includes(`"file":"${file.filename}"`)).length;
        const chunks = Math.ceil(expected.length / CHUNK);
        assert.ok(
          gets.length <= chunks + 3 * cuts + 2 * retries,
          `${file.filename}: ${gets.length} GETs for ${chunks} chunks (${attempts} runs, ${retries} retries): ${gets.map((g) => g.range ?? 'whole').join(' ')}`,
        );
      }
    }
    const reclaimed = (await call('GET', `/api/jobs/${cutDownload}`)).body;
    assert.equal(reclaimed.type, 'download');
    assert.ok(reclaimed.attempts >= 2, 'the cut download ran again');

    // Both workers ran some; the jobs the dead worker was running were finished by the other one.
    const survivor = workers.find((w) => w !== victim)!;
    assert.ok(taken(victim).length > 0 && taken(survivor).length > 0);
    for (const id of cut) {
      const job = (await call('GET', `/api/jobs/${id}`)).body;
      const finishedAt = (job.finishedAt ?? job.finished_at) as string;
      if (finishedAt < killedAt && !taken(survivor).includes(id)) continue; // it ended just before the kill
      assert.ok(taken(survivor).includes(id), `${id} reclaimed by the surviving worker`);
    }
  });
});
