/**
 * The engine with STORAGE_PROVIDER=s3 (a real engine process, its worker threads configured from the
 * environment): FITS inputs named by `file_path` are objects of the bucket, read by the viewer and
 * analysis routes with ranged GETs; nothing of them is on the engine's disk.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeFits } from '../../src/fits/writer.js';
import { encodeBinTable } from '../../src/fits/table/index.js';
import { S3Storage } from '../../src/storage/index.js';
import { freePort, spawnEngine, waitForHealth, type SpawnedEngine } from '../helpers/engine-process.js';
import { startTestS3, type TestS3 } from '../helpers/s3.js';

const W = 256;
const H = 128;

describe('engine on S3 storage', () => {
  let server: TestS3;
  let store: S3Storage;
  let dir: string;
  let engine: SpawnedEngine | undefined;
  let base: string;

  before(async () => {
    server = await startTestS3('fauxqs', ['engine-data']);
    store = new S3Storage(server.settings('engine-data'));
    const data = new Float32Array(W * H);
    for (let i = 0; i < data.length; i++) data[i] = (i % W) + 1000 * Math.floor(i / W);
    await store.write('mast/jw02733/jw02733_i2d.fits', await encodeFits([
      { axes: [], cards: [{ keyword: 'TELESCOP', value: 'JWST' }, { keyword: 'INSTRUME', value: 'NIRCAM' }] },
      { axes: [W, H], data, extname: 'SCI', cards: [{ keyword: 'BUNIT', value: 'MJy/sr' }] },
    ]));
    await store.write('mast/jw02733/jw02733_cat.fits', await encodeFits([
      { axes: [] },
      { type: 'table', ...encodeBinTable([{ name: 'flux', values: new Float64Array([1.5, 2.5, 3.5]) }]) },
    ]));
    dir = await mkdtemp(join(tmpdir(), 'engine-s3-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    engine = spawnEngine({
      ...server.env('engine-data'), HOST: '127.0.0.1', PORT: String(port), DATA_DIR: join(dir, 'data'), LOG_LEVEL: 'warn',
      LIBRARY_SCAN_ON_START: 'false', WORKER_THREADS: '1',
    });
    await waitForHealth(port, engine);
  });

  after(async () => {
    engine?.child.kill('SIGKILL');
    await engine?.exited;
    await store.close();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('reads headers of an object through /fits/header and /fits/info', async () => {
    const res = await fetch(`${base}/fits/header?file_path=mast/jw02733/jw02733_i2d.fits`);
    assert.equal(res.status, 200, await res.clone().text());
    const body = await res.json() as { header: { keyword: string; value: unknown }[] };
    assert.ok(body.header.some((c) => c.keyword === 'INSTRUME' && c.value === 'NIRCAM'));
    const info = await (await fetch(`${base}/fits/info?file_path=mast/jw02733/jw02733_i2d.fits`)).json() as { hdus: unknown[] };
    assert.equal(info.hdus.length, 2);
  });

  it('reads pixels of an object (viewer values, region statistics)', async () => {
    const res = await fetch(`${base}/viewer/values?file_path=mast/jw02733/jw02733_i2d.fits&points=3,2;10,100`);
    assert.equal(res.status, 200, await res.clone().text());
    const text = await res.text();
    assert.match(text, /2003/);
    assert.match(text, /100010/);
    const stats = await fetch(`${base}/analysis/region-statistics`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ file_path: 'mast/jw02733/jw02733_i2d.fits', region_type: 'rectangle', rectangle: { x: 0, y: 0, width: 2, height: 2 } }),
    });
    assert.equal(stats.status, 200, await stats.clone().text());
    const s = await stats.json() as { mean: number; pixel_count: number };
    assert.equal(s.pixel_count, 4);
    assert.equal(s.mean, (0 + 1 + 1000 + 1001) / 4);
  });

  it('reads FITS tables of an object (/analysis/table-info, /analysis/table-data)', async () => {
    const info = await fetch(`${base}/analysis/table-info?file_path=mast/jw02733/jw02733_cat.fits`);
    assert.equal(info.status, 200, await info.clone().text());
    const data = await fetch(`${base}/analysis/table-data?file_path=mast/jw02733/jw02733_cat.fits&hdu_index=1`);
    assert.equal(data.status, 200, await data.clone().text());
    assert.match(await data.text(), /"flux"/);
  });

  it('answers 404 for a missing object and 403 for a key outside the rules; nothing lands on local disk', async () => {
    assert.equal((await fetch(`${base}/fits/header?file_path=mast/jw02733/none.fits`)).status, 404);
    assert.equal((await fetch(`${base}/fits/header?file_path=${encodeURIComponent('../x.fits')}`)).status, 403);
    const local = await readdir(join(dir, 'data'), { recursive: true }).catch(() => []);
    assert.deepEqual(local.filter((f) => /\.fits/.test(f)), [], `local DATA_DIR has ${local.join(', ')}`);
  });
});
