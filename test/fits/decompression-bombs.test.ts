/**
 * Decompression bombs (issue #14): a gzip, bzip2 or .Z file is held to the decompressed-size limit
 * and to the expansion ratio while it decompresses, not after (nothing spilled is left behind), and
 * a tile-compressed image may not declare more decompressed bytes than the limit.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FitsFile, isFitsError, openSource, readPlane } from '../../src/fits/index.js';
import { CORPUS_PATH, FIXTURES_DIR } from '../helpers/paths.js';
import { dataBytes, writeBzip2Bomb, writeGzipBomb } from '../helpers/bombs.js';

const MIB = 1024 * 1024;

describe('decompression bombs', () => {
  let dir: string;
  let spill: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bombs-'));
    spill = join(dir, 'spill');
    await import('node:fs/promises').then((fs) => fs.mkdir(spill));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  const refused = (pattern: RegExp) => (err: unknown) => isFitsError(err) && err.code === 'FITS_TOO_LARGE' && err.httpStatus === 413 && pattern.test(err.message);

  it('stops a gzip bomb at the expansion ratio while inflating, leaving no spill file', async () => {
    const path = join(dir, 'bomb.fits.gz');
    const compressed = await writeGzipBomb(path, -32, 4096, 4096); // 64 MiB of zeros
    assert.ok(compressed < 100_000);
    await assert.rejects(openSource(path, { maxExpansionRatio: 200, inMemoryBytes: MIB, tempDir: spill }), refused(/expands more than 200 times its compressed size/));
    assert.deepEqual(await readdir(spill), [], 'the spilled part is removed');
    // Without a ratio, the decompressed-size limit stops it the same way.
    await assert.rejects(openSource(path, { maxFileBytes: 8 * MIB, inMemoryBytes: MIB, tempDir: spill }), refused(/decompressed file is larger than the limit of 8388608 bytes/));
    assert.deepEqual(await readdir(spill), []);
    // Within both limits it opens.
    const source = await openSource(path, { maxExpansionRatio: 2000, inMemoryBytes: MIB, tempDir: spill });
    try {
      assert.equal(source.size, 2880 + dataBytes(-32, 4096, 4096));
    } finally {
      await source.close();
    }
    assert.deepEqual(await readdir(spill), []);
  });

  it('never refuses a small stream for its ratio (headers and tiny images compress a lot)', async () => {
    const path = join(dir, 'small.fits.gz');
    await writeGzipBomb(path, 8, 1000, 1000);
    const source = await openSource(path, { maxExpansionRatio: 2 });
    assert.equal(source.size, 2880 + dataBytes(8, 1000, 1000));
    await source.close();
  });

  it('stops a bzip2 bomb at the expansion ratio', async (t) => {
    const path = join(dir, 'bomb.fits.bz2');
    if (!(await writeBzip2Bomb(path, -32, 1024, 1024))) return t.skip('bzip2 tool not installed');
    assert.ok((await stat(path)).size < 1000);
    await assert.rejects(openSource(path, { maxExpansionRatio: 200, expansionFreeBytes: 256 * 1024, inMemoryBytes: 64 * 1024, tempDir: spill }), refused(/expands more than 200 times/));
    await assert.rejects(openSource(path, { maxFileBytes: MIB }), refused(/larger than the limit/));
    assert.deepEqual(await readdir(spill), []);
    const bz2 = join(FIXTURES_DIR, 'bzip2', 'astropy-m13.fits.bz2');
    await assert.rejects(openSource(bz2, { maxExpansionRatio: 1.01, expansionFreeBytes: 0 }), refused(/expands more than 1.01 times/));
  });

  it('stops a .Z (LZW) stream at the expansion ratio', async () => {
    const path = join(CORPUS_PATH, 'astropy-lzw.fits.Z');
    await assert.rejects(openSource(path, { maxExpansionRatio: 1.01, expansionFreeBytes: 0 }), refused(/expands more than 1.01 times/));
    await assert.rejects(openSource(path, { maxFileBytes: 14_000 }), refused(/limit/));
    const source = await openSource(path, { maxExpansionRatio: 200, expansionFreeBytes: 0 });
    assert.ok(source.size > 14_000);
    await source.close();
  });

  it('refuses a tile-compressed image that declares more decompressed bytes than the limit', async () => {
    const path = join(CORPUS_PATH, 'astropy-m13_rice.fits'); // 69 kB holding a 300 x 300 16-bit image (180 kB)
    const file = await FitsFile.open(path, { maxFileBytes: 100_000 });
    try {
      const hdu = file.hdus.find((h) => h.kind === 'compressed-image')!;
      await assert.rejects(readPlane(file, hdu), refused(/tile-compressed image of HDU 1 decompresses to 180000 bytes, more than the limit of 100000/));
    } finally {
      await file.close();
    }
    const roomy = await FitsFile.open(path, { maxFileBytes: 200_000 });
    try {
      const plane = await readPlane(roomy, roomy.hdus.find((h) => h.kind === 'compressed-image')!);
      assert.equal(plane.width, 300);
    } finally {
      await roomy.close();
    }
  });
});
