/**
 * FITS readers on objects: FitsFile.open('s3://bucket/key') reads headers and sections with ranged
 * GETs through the read cache (counted: requests and bytes), and gives the same answers as the
 * local file; compressed objects are copied once and read as local files are.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeFits } from '../../src/fits/writer.js';
import { FitsFile } from '../../src/fits/file.js';
import { readPlane } from '../../src/fits/image.js';
import { S3Storage } from '../../src/storage/index.js';
import { BlockCache } from '../../src/storage/read-cache.js';
import { configureStorage, readCache, registerObjectStore, unregisterObjectStore } from '../../src/storage/registry.js';
import { openObjectSource } from '../../src/storage/object-source.js';
import { openSource } from '../../src/fits/byte-source.js';
import { loadStorageSettings } from '../../src/config.js';
import { startTestS3, type TestS3 } from '../helpers/s3.js';

const W = 1024;
const H = 2048;

function image(): Float32Array {
  const a = new Float32Array(W * H);
  for (let i = 0; i < a.length; i++) a[i] = (i % W) * 0.5 + Math.floor(i / W) * 0.25;
  a[5] = Number.NaN;
  return a;
}

describe('FITS on S3', () => {
  let server: TestS3;
  let store: S3Storage;
  let dir: string;
  let bytes: Buffer;

  before(async () => {
    server = await startTestS3('fauxqs', ['engine']);
    store = new S3Storage(server.settings('engine'));
    registerObjectStore(store);
    configureStorage(loadStorageSettings({ STORAGE_READ_CACHE_MB: '16', STORAGE_READ_BLOCK_KB: '64' }));
    bytes = await encodeFits([
      { axes: [], cards: [{ keyword: 'TELESCOP', value: 'JWST' }] },
      { axes: [W, H], data: image(), extname: 'SCI', cards: [{ keyword: 'BUNIT', value: 'MJy/sr' }] },
    ]);
    await store.write('mast/jw1/big_i2d.fits', bytes);
    await store.write('mast/jw1/big_i2d.fits.gz', gzipSync(bytes));
    dir = await mkdtemp(join(tmpdir(), 'fits-s3-'));
    await writeFile(join(dir, 'big.fits'), bytes);
  });

  after(async () => {
    unregisterObjectStore('engine');
    await store.close();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('opens headers with a few small ranged GETs, same HDUs as the local file', async () => {
    readCache().clear();
    const before = { ...store.traffic };
    const remote = await FitsFile.open('s3://engine/mast/jw1/big_i2d.fits');
    const local = await FitsFile.open(join(dir, 'big.fits'));
    try {
      assert.equal(remote.hdus.length, 2);
      assert.deepEqual(remote.hdus.map((h) => [h.name, h.axes, h.dataOffset]), local.hdus.map((h) => [h.name, h.axes, h.dataOffset]));
      assert.equal(remote.hdus[1]!.header.get('BUNIT'), 'MJy/sr');
      const requests = store.traffic.requests - before.requests;
      const moved = store.traffic.bytesRead - before.bytesRead;
      assert.ok(requests <= 4, `${requests} requests`);
      assert.ok(moved <= 3 * 64 * 1024, `${moved} bytes for the headers of a ${bytes.length}-byte file`);
    } finally {
      await remote.close();
      await local.close();
    }
  });

  it('reads a section as its rows only, equal to the local read', async () => {
    const remote = await FitsFile.open('s3://engine/mast/jw1/big_i2d.fits');
    const local = await FitsFile.open(join(dir, 'big.fits'));
    try {
      const before = store.traffic.bytesRead;
      const a = await readPlane(remote, 1, { rows: [1000, 1100] });
      const b = await readPlane(local, 1, { rows: [1000, 1100] });
      assert.deepEqual(a.data, b.data);
      const moved = store.traffic.bytesRead - before;
      assert.ok(moved <= 100 * W * 4 + 2 * 64 * 1024, `${moved} bytes for a 100-row section`);
      const first = await readPlane(remote, 1, { rows: [0, 1] });
      assert.ok(Number.isNaN(first.data[5]), 'NaN stays NaN');
    } finally {
      await remote.close();
      await local.close();
    }
  });

  it('reads a window (cols) with one small ranged GET per row, equal to the crop of whole rows', async () => {
    const remote = await FitsFile.open('s3://engine/mast/jw1/big_i2d.fits');
    try {
      readCache().clear();
      const before = { ...store.traffic };
      const win = await readPlane(remote, 1, { rows: [300, 364], cols: [500, 564] });
      const moved = store.traffic.bytesRead - before.bytesRead;
      assert.equal(store.traffic.requests - before.requests, 64);
      assert.equal(moved, 64 * 64 * 4);
      assert.equal(win.width, 64);
      const rows = await readPlane(remote, 1, { rows: [300, 364] });
      for (let r = 0; r < 64; r++) assert.deepEqual(win.data.subarray(r * 64, (r + 1) * 64), rows.data.subarray(r * W + 500, r * W + 564));
      await assert.rejects(readPlane(remote, 1, { rows: [0, 1], cols: [10, W + 1] }), /column range/);
    } finally {
      await remote.close();
    }
  });

  it('serves repeated small reads from the read cache', async () => {
    readCache().clear();
    const f1 = await FitsFile.open('s3://engine/mast/jw1/big_i2d.fits');
    await f1.close();
    const before = store.traffic.requests;
    const f2 = await FitsFile.open('s3://engine/mast/jw1/big_i2d.fits');
    await f2.close();
    // Only the HEAD (the version check) goes to the store the second time.
    assert.equal(store.traffic.requests - before, 1);
    assert.ok(readCache().stats.hits > 0);
  });

  it('evicts least recently used blocks beyond the budget', async () => {
    const cache = new BlockCache(256 * 1024);
    const source = await openObjectSource(store, 'mast/jw1/big_i2d.fits', { cache, blockBytes: 64 * 1024 }, openSource);
    for (let b = 0; b < 8; b++) await source.read(b * 64 * 1024, 16 * 1024); // not small reads: cached
    assert.ok(cache.stats.bytes <= 256 * 1024);
    assert.equal(cache.stats.blocks, 4);
    assert.ok(cache.stats.evictions >= 4);
    const requests = store.traffic.requests;
    await source.read(7 * 64 * 1024, 10); // most recent: cached (small reads are served from cached blocks)
    assert.equal(store.traffic.requests, requests);
    await source.read(0, 16 * 1024); // evicted: fetched again
    assert.equal(store.traffic.requests, requests + 1);
    await source.close();
  });

  it('opens a gzip object through a local copy', async () => {
    const f = await FitsFile.open('s3://engine/mast/jw1/big_i2d.fits.gz');
    try {
      assert.equal(f.wrapper, 'gzip');
      const p = await readPlane(f, 'SCI', { rows: [10, 12] });
      assert.equal(p.data[3], 3 * 0.5 + 10 * 0.25);
    } finally {
      await f.close();
    }
  });

  it('a missing object is a FITS I/O error', async () => {
    await assert.rejects(FitsFile.open('s3://engine/mast/jw1/none.fits'), (err: unknown) => (err as { code?: string }).code === 'FITS_IO');
  });
});
