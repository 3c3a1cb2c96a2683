/**
 * `.fits.bz2` opens like `.fits.gz`: recognised by its magic bytes, decompressed as it streams
 * (unbzip2-stream), in memory or spilled to a temp file, and held to the same decompressed-size
 * limit while decompressing. The fixture is a real bzip2 file made by the bzip2 tool from the corpus.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FitsFile, isFitsError, openSource, readPlane } from '../../src/fits/index.js';
import { runCli } from '../helpers/cli.js';
import { CORPUS_PATH, FIXTURES_DIR } from '../helpers/paths.js';

const BZ2 = join(FIXTURES_DIR, 'bzip2', 'astropy-m13.fits.bz2');
const PLAIN = join(CORPUS_PATH, 'astropy-m13.fits');

describe('bzip2-wrapped FITS', () => {
  it('decompresses to the original bytes, in memory and spilled to a temp file', async () => {
    const original = await readFile(PLAIN);
    for (const inMemoryBytes of [64 * 1024 ** 2, 4096]) {
      const source = await openSource(BZ2, { inMemoryBytes });
      try {
        assert.equal(source.wrapper, 'bzip2');
        assert.equal(source.size, original.length);
        assert.ok((await source.read(0, original.length)).equals(original));
      } finally {
        await source.close();
      }
    }
  });

  it('reads headers and pixels like the plain file', async () => {
    const [bz, plain] = await Promise.all([FitsFile.open(BZ2), FitsFile.open(PLAIN)]);
    try {
      assert.equal(bz.hdus.length, plain.hdus.length);
      const [a, b] = await Promise.all([readPlane(bz, 0), readPlane(plain, 0)]);
      assert.equal(a.width, 300);
      assert.deepEqual(Array.from(a.data), Array.from(b.data));
    } finally {
      await Promise.all([bz.close(), plain.close()]);
    }
  });

  it('stops at the decompressed size limit (FITS_TOO_LARGE), and a truncated stream is FITS_BAD_DATA', async () => {
    await assert.rejects(openSource(BZ2, { maxFileBytes: 100_000 }), (e: unknown) => isFitsError(e) && e.code === 'FITS_TOO_LARGE');
    const dir = await mkdtemp(join(tmpdir(), 'bz2-'));
    try {
      const whole = await readFile(BZ2);
      const cut = join(dir, 'cut.fits.bz2');
      await writeFile(cut, whole.subarray(0, Math.floor(whole.length / 2)));
      await assert.rejects(openSource(cut), (e: unknown) => isFitsError(e) && e.code === 'FITS_BAD_DATA');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the CLI opens it', async () => {
    const r = await runCli(['info', BZ2]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /PRIMARY\s+1\s+PrimaryHDU\s+\d+\s+\(300, 300\)\s+16/);
  });
});
