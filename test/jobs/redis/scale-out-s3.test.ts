/**
 * Scale-out without a shared disk: one API process (no local workers) and two `jwst-engine worker`
 * processes, each with its own empty DATA_DIR, sharing only Redis (queues, events), PostgreSQL (job
 * records, library) and an S3 bucket (data and outputs). The flow download -> analysis -> composite
 * runs through the API: the downloads land in the bucket, the workers read them as objects and
 * write their outputs there, and the API serves every result from the bucket. At the end no process
 * has a FITS, ECSV or PNG file on its disk.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { FakeMast } from '../../fake-mast/server.js';
import { freePort, spawnEngine, spawnWorker, waitForHealth, type SpawnedEngine } from '../../helpers/engine-process.js';
import { TestPostgres } from '../../helpers/postgres.js';
import { TestRedis } from '../../helpers/redis.js';
import { startTestS3, type TestS3 } from '../../helpers/s3.js';
import { S3Storage } from '../../../src/storage/index.js';
import { tempDir } from './cluster.js';

type Json = Record<string, any>;
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const BUCKET = 'cluster';
/** Longest wait for one job to settle: every job here ends in a minute or two even at load 25. */
const WAIT_MS = 300_000;
/** Longest start of one process (tsx compiles the engine as it loads: minutes at load 20-35). */
const START_MS = 300_000;
const OBSERVATIONS = ['jw02733-o001_t001_nircam_clear-f090w', 'jw02733-o001_t001_nircam_clear-f187n', 'jw02733-o001_t001_nircam_clear-f356w'];

describe('scale-out on S3: API + two workers, no shared disk', () => {
  let redis: TestRedis;
  let postgres: TestPostgres;
  let s3: TestS3;
  let store: S3Storage;
  let fake: FakeMast;
  const dirs: Array<{ dir: string; cleanup: () => Promise<void> }> = [];
  let api: SpawnedEngine & { stdout(): string };
  let apiPort: number;
  const workers: Array<ReturnType<typeof spawnWorker>> = [];

  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: Json; bytes: Buffer }> => {
    const res = await fetch(`http://127.0.0.1:${apiPort}${path}`, {
      method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined,
    });
    const bytes = Buffer.from(await res.arrayBuffer());
    const text = bytes.toString('utf8');
    const parsed: Json = text.startsWith('{') ? (JSON.parse(text) as Json) : {};
    // A 5xx carries the API process's last error log lines, so a failure says its cause.
    if (res.status >= 500) {
      const lines = api.stdout().split('\n').filter((l) => /"level":(50|60)/.test(l)).slice(-5);
      return { status: res.status, body: parsed, bytes: Buffer.concat([bytes, Buffer.from(`\napi_errors: ${lines.join('\n')}`)]) };
    }
    return { status: res.status, body: parsed, bytes };
  };
  /**
   * Polls a status route until `done` accepts the body. Bounded (WAIT_MS): a job that never
   * settles fails the test with the cluster's account of it instead of hanging the run.
   */
  const until = async (path: string, done: (b: Json) => boolean, id?: string): Promise<Json> => {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const r = await call('GET', path).catch(() => undefined);
      if (r?.status === 200 && done(r.body)) return r.body;
      if (Date.now() > deadline) assert.fail(`${path}: not settled after ${WAIT_MS / 1000} s (last answer ${JSON.stringify(r?.body)}): ${diagnose(id)}`);
      await sleep(100);
    }
  };
  /** Every line of each process's log that names job `id`, with their warnings and errors. */
  const diagnose = (id: string | undefined): string => {
    const lines = (p: { stdout(): string }) => p.stdout().split('\n')
      .filter((l) => (id !== undefined && l.includes(id)) || /"level":(40|50|60)/.test(l)).slice(-15);
    return JSON.stringify({ workers: workers.map((w) => ({ pid: w.child.pid, exit: w.child.exitCode ?? w.child.signalCode, log: lines(w) })), api: lines(api) }, null, 1);
  };
  const taken = (w: ReturnType<typeof spawnWorker>): string[] =>
    w.stdout().split('\n').filter((l) => l.includes('job taken by this worker')).map((l) => (JSON.parse(l) as Json).jobId as string);

  before(async () => {
    [redis, postgres, s3, fake] = await Promise.all([
      TestRedis.start(), TestPostgres.start(), startTestS3('fauxqs', [BUCKET]), FakeMast.start({ imageSize: 128 }),
    ]);
    store = new S3Storage(s3.settings(BUCKET));
    for (let i = 0; i < 3; i++) dirs.push(await tempDir(`scale-out-s3-${i}-`));
    const env = {
      ...s3.env(BUCKET), HOST: '127.0.0.1', REDIS_URL: redis.url, JOB_QUEUE_PREFIX: 'scale-out-s3', DATABASE_URL: await postgres.createDatabase('engine'),
      LOG_LEVEL: 'warn', WORKER_THREADS: '1', MAST_BASE_URL: fake.url, CHUNK_SIZE: '65536', RETRY_BASE_DELAY: '0.01',
      JOB_LOCK_DURATION: '5', JOB_STALLED_INTERVAL: '1', WORKER_CONCURRENCY_COMPUTE: '1', LIBRARY_SCAN_ON_START: 'false',
    };
    apiPort = await freePort();
    api = spawnEngine({ ...env, DATA_DIR: dirs[0]!.dir, PORT: String(apiPort), RUN_LOCAL_WORKERS: 'false' }, { keepStdout: true });
    await waitForHealth(apiPort, api, START_MS);
    for (const dir of [dirs[1]!.dir, dirs[2]!.dir]) {
      const port = await freePort();
      const w = spawnWorker({ ...env, DATA_DIR: dir, PORT: String(port), LOG_LEVEL: 'info' });
      workers.push(w);
      await waitForHealth(port, w, START_MS);
    }
  });

  after(async () => {
    for (const p of [api, ...workers]) p?.child.kill('SIGKILL');
    await Promise.all([api, ...workers].map((p) => p?.exited));
    await store?.close();
    await Promise.all([redis?.stop(), postgres?.stop(), s3?.stop(), fake?.close()]);
    for (const d of dirs) await d.cleanup();
  });

  it('downloads, analyses and a composite complete with every byte in the bucket', async (t) => {
    // 1. The data: MAST downloads, run by the workers, streamed into the bucket.
    const keys: string[] = [];
    const ids: string[] = [];
    for (const obs of OBSERVATIONS) {
      const r = await call('POST', '/mast/download/start-chunked', { obs_id: obs, product_filenames: [`${obs}_i2d.fits`] });
      assert.equal(r.status, 200, r.bytes.toString().slice(0, 3000));
      ids.push(r.body.job_id as string);
    }
    for (const id of ids) {
      const done = await until(`/mast/download/progress-chunked/${id}`, (b) => b.is_complete === true || b.status === 'failed', id);
      assert.equal(done.stage, 'complete', JSON.stringify(done));
      for (const f of done.file_progress as Json[]) {
        const key = f.relative_path as string;
        const product = fake.dataset.files.get(`mast:jwst/product/${f.filename}`.toLowerCase())!;
        await product.load();
        const expected = product.bytes();
        const object = await store.readRange(key, 0, expected.length + 1);
        assert.equal(sha(object), sha(expected), `${key} is in the bucket, byte-identical`);
        keys.push(key);
      }
    }
    assert.equal(keys.length, OBSERVATIONS.length);

    // 2. Analyses on the workers, reading the objects; catalogues written to the bucket.
    const analyses: string[] = [];
    for (const key of keys) {
      for (const [algorithm, parameters, extra] of [
        ['statistics', {}, {}],
        ['find_stars', { fwhm: 3, nsigma: 3 }, { table_format: 'ecsv' }],
        ['background_2d', { box_size: 32, filter_size: 3 }, {}],
      ] as const) {
        const r = await call('POST', '/process/jobs', { data_id: `${algorithm}`, algorithm, parameters, file_path: key, ...extra });
        assert.equal(r.status, 202, r.bytes.toString().slice(0, 3000));
        analyses.push(r.body.job_id as string);
      }
    }
    // 3. A composite of the three filters, as a job.
    const channel = (key: string) => ({ file_paths: [key], stretch: 'asinh' });
    const composite = await call('POST', '/composite/generate?async=true', {
      red: channel(keys[2]!), green: channel(keys[1]!), blue: channel(keys[0]!), width: 200, height: 200, embed_avm: false,
    });
    assert.equal(composite.status, 202, composite.bytes.toString().slice(0, 3000));

    for (const id of analyses) {
      const b = await until(`/process/jobs/${id}`, (j) => j.status === 'completed' || j.status === 'failed', id);
      assert.equal(b.status, 'completed', JSON.stringify(b));
      for (const out of b.result.output_files as string[]) {
        assert.ok(await store.stat(out), `${out} is an object`);
        if (out.endsWith('.ecsv')) {
          const page = await call('GET', `/analysis/table-data?file_path=${encodeURIComponent(out)}&hdu_index=0`);
          assert.equal(page.status, 200, page.bytes.toString().slice(0, 3000));
        }
      }
    }
    const c = await until(`/composite/jobs/${composite.body.job_id}`, (b) => b.status === 'done' || b.status === 'failed', composite.body.job_id as string);
    assert.equal(c.status, 'done', JSON.stringify(c));
    assert.ok(await store.stat(`processed/${composite.body.job_id}/composite.png`), 'the composite is an object');
    const png = await call('GET', `/composite/jobs/${composite.body.job_id}/result`);
    assert.equal(png.status, 200);
    assert.deepEqual([...png.bytes.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);

    // The library records were made on the workers (shared database) from the objects' headers:
    // the downloads' files (MAST's, public) and the analyses' catalogues (with their lineage).
    const records = JSON.parse((await call('GET', '/api/jwstdata?limit=1000')).bytes.toString('utf8')) as Json[];
    for (const obs of OBSERVATIONS) {
      const r = records.find((x) => x.fileName === `${obs}_i2d.fits`);
      assert.ok(r, `record of ${obs}_i2d.fits: ${workers.flatMap((w) => w.stdout().split('\n')).filter((l) => /hook failed|"level":[45]0/.test(l)).join('\n').slice(0, 2000)}`);
      assert.equal(r.metadata.source, 'download');
      assert.equal(r.imageInfo.width, 128);
    }
    assert.equal(records.filter((x) => /_find_stars_stars\.ecsv$/.test(x.fileName as string) && x.metadata.jobId).length, OBSERVATIONS.length);

    // The API lists the bucket's files with their records.
    const lib = await call('GET', '/library');
    const listed = (lib.body.groups as Json[]).flatMap((g) => (g.files as Json[]).map((f) => f.file_path as string));
    for (const key of keys) assert.ok(listed.includes(key), `${key} in GET /library`);

    // The jobs ran on the workers, both of them; none on the API node.
    const ran = workers.map(taken);
    t.diagnostic(`jobs taken: ${ran.map((r) => r.length).join(' + ')}`);
    assert.ok(ran.every((r) => r.length > 0), `both workers ran jobs: ${ran.map((r) => r.length).join(', ')}`);
    for (const id of [...ids, ...analyses, composite.body.job_id as string]) assert.ok(ran.some((r) => r.includes(id)), `${id} ran on a worker`);

    // No process has data on its disk.
    for (const d of dirs) {
      const local = await readdir(d.dir, { recursive: true }).catch(() => []);
      assert.deepEqual(local.filter((f) => /\.(fits|ecsv|png|jpg)(\.part)?$/i.test(f)), [], `${d.dir} has ${local.join(', ')}`);
    }
  });
});
