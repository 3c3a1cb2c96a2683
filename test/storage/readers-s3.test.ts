/**
 * Every reader family on an engine with STORAGE_PROVIDER=s3 and nothing on its disk: viewer
 * (preview, tiles, thumbnail), analysis (/process and its ECSV/FITS catalogues, saved and served
 * from the bucket), composite (sync and as a job), mosaic (job result), observation mosaic, tables
 * (ECSV objects), the library (GET /library, scan, records and thumbnails). The engine reaches the
 * store through a counting proxy, so the test sees every request: headers and sections are ranged
 * GETs, never the whole object.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Storage } from '../../src/storage/index.js';
import { freePort, spawnEngine, waitForHealth, type SpawnedEngine } from '../helpers/engine-process.js';
import { startTestS3, type TestS3 } from '../helpers/s3.js';
import { writeTile } from '../api/sky-files.js';

type Json = Record<string, any>;
const BUCKET = 'readers';

interface Seen {
  readonly method: string;
  readonly key: string;
  readonly range: string | undefined;
  bytes: number;
}

/** An HTTP proxy in front of the S3 server that notes each request (method, key, Range, bytes answered). */
async function countingProxy(target: string): Promise<{ url: string; seen: Seen[]; close: () => Promise<void> }> {
  const seen: Seen[] = [];
  const to = new URL(target);
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '').split('?')[0] ?? '');
    const entry: Seen = { method: req.method ?? '', key: path.replace(`/${BUCKET}/`, ''), range: req.headers.range, bytes: 0 };
    seen.push(entry);
    const up = httpRequest({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.on('data', (d: Buffer) => (entry.bytes += d.length));
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${port}`, seen, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** A star field: a sloped background with Gaussian stars on a grid. */
const stars = (x: number, y: number) => {
  let v = 1 + 0.001 * x + 0.05 * (((x * 7 + y * 13) % 11) / 11);
  for (let sx = 12; sx < 200; sx += 24) for (let sy = 12; sy < 200; sy += 24) v += 50 * Math.exp(-((x - sx) ** 2 + (y - sy) ** 2) / 4.5);
  return v;
};

describe('reader families on S3 (engine process, nothing on its disk)', () => {
  let server: TestS3;
  let proxy: Awaited<ReturnType<typeof countingProxy>>;
  let store: S3Storage;
  let dir: string;
  let engine: SpawnedEngine | undefined;
  let base: string;
  const bigSize = { w: 2048, h: 1024 };

  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: Json; bytes: Buffer; type: string }> => {
    const res = await fetch(`${base}${path}`, {
      method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined,
    });
    const bytes = Buffer.from(await res.arrayBuffer());
    const type = res.headers.get('content-type') ?? '';
    return { status: res.status, body: type.includes('json') ? (JSON.parse(bytes.toString('utf8')) as Json) : {}, bytes, type };
  };
  /** Polls `path` until `done` holds; fails after `timeoutMs` (generous: seconds on a quiet machine, far more at load 16) with the last answer. */
  const until = async (path: string, done: (b: Json) => boolean, timeoutMs = 300_000): Promise<Json> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await call('GET', path);
      if (r.status === 200 && done(r.body)) return r.body;
      if (Date.now() > deadline) throw new Error(`waited ${timeoutMs / 1000} s for ${path} to settle; last answer ${r.status}: ${r.bytes.toString().slice(0, 300)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  /** What the engine asked of the store for `key` while `work` ran. */
  const traffic = async (key: string, work: () => Promise<void>): Promise<Seen[]> => {
    const from = proxy.seen.length;
    await work();
    return proxy.seen.slice(from).filter((s) => s.key === key);
  };

  before(async () => {
    server = await startTestS3('fauxqs', [BUCKET]);
    proxy = await countingProxy(server.endpoint);
    store = new S3Storage(server.settings(BUCKET));
    dir = await mkdtemp(join(tmpdir(), 'readers-s3-'));
    // Inputs are made locally, put into the bucket, and the local copies removed.
    const files = join(dir, 'make');
    const tile = (name: string, ra: number, size: number, value: (x: number, y: number) => number, filter = 'F200W') =>
      writeTile(files, { name, ra, dec: 20, width: size, height: size, scale: 1e-4, value, filter });
    await tile('obs/a.fits', 150, 200, stars, 'F150W');
    await tile('obs/b.fits', 150.01, 200, stars, 'F200W');
    await tile('obs/c.fits', 150.005, 200, (x, y) => 1 + Math.sin(x / 9) * Math.cos(y / 7), 'F444W');
    await writeTile(files, { name: 'big/wide.fits', ra: 150, dec: 20, width: bigSize.w, height: bigSize.h, scale: 1e-4, value: (x, y) => x + y / 1000 });
    for (const name of ['obs/a.fits', 'obs/b.fits', 'obs/c.fits', 'big/wide.fits']) await store.write(`mast/${name}`, await readFile(join(files, name)));
    await store.write('tables/cat.ecsv', Buffer.from([
      '# %ECSV 1.0', '# ---', '# datatype:', '# - {name: id, datatype: int64}', '# - {name: flux, unit: Jy, datatype: float64}',
      '# meta: !!omap', '# - {TARGNAME: M16}', 'id flux', '1 1.5', '2 2.5', '3 3.5', '',
    ].join('\n')));
    await rm(files, { recursive: true, force: true });

    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    engine = spawnEngine({
      ...server.env(BUCKET), S3_ENDPOINT: proxy.url, HOST: '127.0.0.1', PORT: String(port), DATA_DIR: join(dir, 'data'), LOG_LEVEL: 'warn',
      LIBRARY_SCAN_ON_START: 'false', WORKER_THREADS: '1', STORAGE_READ_CACHE_MB: '8',
    });
    await waitForHealth(port, engine);
  });

  after(async () => {
    engine?.child.kill('SIGKILL');
    await engine?.exited;
    await store?.close();
    await proxy?.close();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('viewer: the layout and a tile of a large object are ranged GETs of part of it, never the whole', async () => {
    const key = 'mast/big/wide.fits';
    const size = (await store.stat(key))!.size;
    const seen = await traffic(key, async () => {
      const info = await call('GET', `/viewer/image?file_path=${key}`);
      assert.equal(info.status, 200, info.bytes.toString().slice(0, 300));
      const t = await call('GET', `/viewer/tile?file_path=${key}&level=0&x=1&y=0`);
      assert.equal(t.status, 200, t.bytes.toString().slice(0, 300));
      const px = new Float32Array(t.bytes.buffer, t.bytes.byteOffset, 4);
      assert.ok(px[0]! >= 256 && px[0]! < 1024, `the tile starts right of x=256: ${px[0]}`);
    });
    assert.ok(seen.length > 0);
    for (const s of seen) {
      assert.ok(s.method === 'HEAD' || (s.method === 'GET' && s.range), `${s.method} ${s.range ?? 'whole'}`);
      assert.ok(s.bytes < size / 2, `one request moved ${s.bytes} of ${size} bytes`);
    }
    const moved = seen.reduce((n, s) => n + s.bytes, 0);
    // A level-0 tile reads its 256 rows at full width (the tile reader reads row bands): 2 MiB of this 8 MiB object.
    assert.ok(moved < size * 0.6, `${moved} of ${size} bytes moved: ${seen.map((s) => `${s.method} ${s.range ?? ''} ${s.bytes}`).join('; ')}`);

    const preview = await call('GET', `/preview/x?file_path=mast/obs/a.fits&width=100&height=100&format=png`);
    assert.equal(preview.status, 200, preview.bytes.toString().slice(0, 300));
    assert.deepEqual([...preview.bytes.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
  });

  it('tables: an ECSV object is read (info and rows)', async () => {
    const info = await call('GET', '/analysis/table-info?file_path=tables/cat.ecsv');
    assert.equal(info.status, 200, info.bytes.toString().slice(0, 300));
    const data = await call('GET', '/analysis/table-data?file_path=tables/cat.ecsv&hdu_index=0');
    assert.equal(data.status, 200, data.bytes.toString().slice(0, 300));
    assert.equal(data.body.total_rows, 3);
    assert.deepEqual((data.body.rows as Json[]).map((r) => r.flux), [1.5, 2.5, 3.5]);
  });

  it('analysis: /process reads an object; its catalogues are objects the table routes read back', async () => {
    const res = await call('POST', '/process', { data_id: 's', file_path: 'mast/obs/a.fits', algorithm: 'find_stars', parameters: { fwhm: 3, nsigma: 5 }, table_format: 'both' });
    assert.equal(res.status, 200, res.bytes.toString().slice(0, 500));
    const rows = res.body.results.stars as Json[];
    assert.ok(rows.length >= 20, `${rows.length} stars`);
    const files = res.body.output_files as string[];
    const ecsv = files.find((f) => f.endsWith('_stars.ecsv'))!;
    const fits = files.find((f) => f.endsWith('_stars.fits'))!;
    assert.ok(ecsv && fits, files.join(', '));
    assert.ok(await store.stat(ecsv), `${ecsv} is an object`);
    assert.ok(await store.stat(fits), `${fits} is an object`);
    for (const [file, hdu] of [[ecsv, 0], [fits, 1]] as const) {
      const page = await call('GET', `/analysis/table-data?file_path=${encodeURIComponent(file)}&hdu_index=${hdu}&page_size=500`);
      assert.equal(page.status, 200, page.bytes.toString().slice(0, 300));
      assert.equal(page.body.total_rows, rows.length, file);
    }
    // The job's outputs are served from the bucket, and a saved copy is an object too.
    const jobId = ecsv.split('/')[1]!;
    const job = (await call('GET', `/api/jobs/${jobId}`)).body;
    const index = (job.result.outputs as Json[]).findIndex((o) => o.storageKey === ecsv);
    assert.ok(index >= 0, JSON.stringify(job.result));
    const dl = await call('GET', `/api/jobs/${jobId}/outputs/${index}/download`);
    assert.equal(dl.status, 200);
    assert.match(dl.bytes.toString('utf8'), /^# %ECSV/);
    const saved = await call('POST', `/api/jobs/${jobId}/outputs/${index}/save`);
    assert.equal(saved.status, 201, saved.bytes.toString().slice(0, 300));
    assert.ok(await store.stat(saved.body.filePath as string), 'the saved copy is an object');
    // Removing the job removes its objects.
    assert.equal((await call('DELETE', `/api/jobs/${jobId}`)).status, 200);
    assert.equal(await store.stat(ecsv), undefined);
  });

  it('composite: synchronous and as a job (the result an object of the job)', async () => {
    const channel = (f: string) => ({ file_paths: [`mast/obs/${f}`], stretch: 'linear' });
    const payload = { red: channel('a.fits'), green: channel('c.fits'), blue: channel('b.fits'), width: 120, height: 120, embed_avm: false };
    const sync = await call('POST', '/composite/generate', payload);
    assert.equal(sync.status, 200, sync.bytes.toString().slice(0, 300));
    assert.deepEqual([...sync.bytes.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
    const started = await call('POST', '/composite/generate?async=true', payload);
    assert.equal(started.status, 202, started.bytes.toString().slice(0, 300));
    const id = started.body.job_id as string;
    const done = await until(`/composite/jobs/${id}`, (b) => b.status !== 'running');
    assert.equal(done.status, 'done', JSON.stringify(done));
    assert.ok(await store.stat(`processed/${id}/composite.png`), 'the composite is an object');
    const png = await call('GET', `/composite/jobs/${id}/result`);
    assert.equal(png.status, 200);
    assert.ok(png.bytes.equals(sync.bytes), 'the job renders what the request did');
    const nchannel = await call('POST', '/composite/generate-nchannel', {
      channels: [{ file_paths: ['mast/obs/a.fits'], color: { hue: 0 } }, { file_paths: ['mast/obs/c.fits'], color: { hue: 200 } }], width: 100, height: 100,
    });
    assert.equal(nchannel.status, 200, nchannel.bytes.toString().slice(0, 300));
  });

  it('mosaic and observation mosaic: jobs whose results are objects', async () => {
    const m = await call('POST', '/mosaic/generate?async=true', { files: [{ file_path: 'mast/obs/a.fits' }, { file_path: 'mast/obs/b.fits' }], width: 200 });
    assert.equal(m.status, 202, m.bytes.toString().slice(0, 300));
    const done = await until(`/mosaic/jobs/${m.body.job_id}`, (b) => b.status !== 'running');
    assert.equal(done.status, 'done', JSON.stringify(done));
    const png = await call('GET', `/mosaic/jobs/${m.body.job_id}/result`);
    assert.deepEqual([...png.bytes.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
    const obs = await call('POST', '/mosaic/generate-observation?async=true', { file_paths: ['mast/obs/a.fits', 'mast/obs/b.fits'] });
    assert.equal(obs.status, 202, obs.bytes.toString().slice(0, 300));
    const job = await until(`/api/jobs/${obs.body.job_id}`, (b) => !['queued', 'running'].includes(b.state ?? b.status));
    assert.equal(job.state ?? job.status, job.state ? 'completed' : 'succeeded', JSON.stringify(job));
    const key = `processed/${obs.body.job_id}/observation-mosaic.fits`;
    assert.ok(await store.stat(key), 'the mosaic FITS is an object');
    const header = await call('GET', `/fits/header?file_path=${key}`);
    assert.equal(header.status, 200, header.bytes.toString().slice(0, 300));
  });

  it('library: GET /library and a scan list the objects; records resolve and have thumbnails', async () => {
    const lib = await call('GET', '/library');
    assert.equal(lib.status, 200, lib.bytes.toString().slice(0, 300));
    const paths = (lib.body.groups as Json[]).flatMap((g) => (g.files as Json[]).map((f) => f.file_path as string));
    for (const p of ['mast/obs/a.fits', 'mast/obs/b.fits', 'mast/big/wide.fits']) assert.ok(paths.includes(p), `${p} in ${paths.join(', ')}`);
    const obs = (lib.body.groups as Json[]).find((g) => g.key === 'obs' && g.kind === 'observation');
    assert.ok(obs, 'mast/obs/ is an observation group');
    const scan = await call('POST', '/api/jwstdata/scan');
    assert.equal(scan.status, 200, scan.bytes.toString().slice(0, 300));
    assert.ok((scan.body.files as number) >= 5, JSON.stringify(scan.body));
    const a = (lib.body.groups as Json[]).flatMap((g) => g.files as Json[]).find((f) => f.file_path === 'mast/obs/a.fits')!;
    const record = await call('GET', `/api/jwstdata/${a.data_id}`);
    assert.equal(record.status, 200, record.bytes.toString().slice(0, 300));
    assert.equal(record.body.filter ?? record.body.metadata?.filter ?? 'F150W', 'F150W');
    const thumb = await call('GET', `/api/jwstdata/${a.data_id}/thumbnail`);
    assert.equal(thumb.status, 200);
    assert.deepEqual([...thumb.bytes.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
  });

  it('nothing of the data landed on the local disk', async () => {
    const local = await readdir(join(dir, 'data'), { recursive: true }).catch(() => []);
    assert.deepEqual(local.filter((f) => /\.(fits|ecsv|png|jpg)$/i.test(f)), [], `local DATA_DIR has ${local.join(', ')}`);
  });
});
