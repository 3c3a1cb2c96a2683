/**
 * Malformed input: the corpus's bad files give a typed FitsError or the documented lenient result,
 * and synthetic damage (truncation, absurd sizes, missing END, bad BITPIX, bad gzip) is refused
 * with a FitsError naming the problem.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { FitsError, FitsFile, readPlane } from '../../src/fits/index.js';
import { corpusPath } from './corpus.js';

function isFitsError(code: string) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof FitsError, `expected FitsError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return true;
  };
}

function header(cards: string[]): Buffer {
  const text = [...cards.map((c) => c.padEnd(80)), 'END'.padEnd(80)].join('');
  return Buffer.from(text.padEnd(Math.ceil(text.length / 2880) * 2880), 'latin1');
}

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fits-malformed-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function tmpFile(name: string, bytes: Uint8Array): Promise<string> {
  const p = join(dir, name);
  await writeFile(p, bytes);
  return p;
}

describe('corpus malformed files', () => {
  it('zero-byte file -> FITS_NOT_FITS', async () => {
    await assert.rejects(FitsFile.open(corpusPath('bad-empty_O5HKAX030_FLT.FITS')), isFitsError('FITS_NOT_FITS'));
  });

  it('NAXIS before BITPIX opens leniently (astropy does too)', async () => {
    const f = await FitsFile.open(corpusPath('bad-verify.fits'));
    assert.equal(f.hdus.length, 1);
    assert.equal(f.hdus[0]!.bitpix, 8);
    await f.close();
  });

  it('GROUPS = T with NAXIS = 0 is an empty random-groups HDU', async () => {
    const f = await FitsFile.open(corpusPath('bad-group_invalid.fits'));
    assert.equal(f.hdus[0]!.kind, 'random-groups');
    assert.equal(f.hdus[0]!.dataBytes, 0);
    await f.close();
  });

  it('SIMPLE = F opens as a non-standard header-only HDU', async () => {
    const f = await FitsFile.open(corpusPath('bad-header_with_time.fits'));
    assert.equal(f.hdus[0]!.standard, false);
    assert.equal(f.hdus[0]!.name, '');
    await assert.rejects(readPlane(f, 0), isFitsError('FITS_BAD_ARGUMENT'));
    await f.close();
  });

  for (const name of ['hips-Npix8.fits', 'bad-hips-Npix691539.fits']) {
    it(`${name}: unpadded last block reads, with a warning`, async () => {
      const f = await FitsFile.open(corpusPath(name));
      assert.match(f.warnings.join('\n'), /not padded/);
      const plane = await readPlane(f, 0);
      assert.equal(plane.data.length, 512 * 512);
      await f.close();
    });
  }

  it('corrupted UIT sample: one HDU, trailing garbage reported as a warning', async () => {
    const f = await FitsFile.open(corpusPath('bad-nasa-Astro_UIT.fits'));
    assert.equal(f.hdus.length, 1);
    assert.match(f.warnings.join('\n'), /ignored/);
    await f.close();
  });
});

describe('synthetic damage', () => {
  it('truncated inside the data unit -> FITS_TRUNCATED', async () => {
    const bytes = await readFile(corpusPath('snoww3d-jwst_miri_small.fits'));
    const p = await tmpFile('trunc-data.fits', bytes.subarray(0, 5760 + 1000));
    await assert.rejects(FitsFile.open(p), isFitsError('FITS_TRUNCATED'));
  });

  it('truncated inside a header -> FITS_TRUNCATED', async () => {
    const bytes = await readFile(corpusPath('jwst-test1_cal.fits'));
    const p = await tmpFile('trunc-header.fits', bytes.subarray(0, 2880 * 2));
    await assert.rejects(FitsFile.open(p), isFitsError('FITS_TRUNCATED'));
  });

  it('no END card within the header limit -> FITS_TOO_LARGE', async () => {
    const cards = ['SIMPLE  =                    T', 'BITPIX  =                    8', 'NAXIS   =                    0'];
    const body = Buffer.from(cards.map((c) => c.padEnd(80)).join('').padEnd(2880 * 4, ' '), 'latin1');
    const p = await tmpFile('no-end.fits', body);
    await assert.rejects(FitsFile.open(p, { maxHeaderBytes: 2880 * 2 }), isFitsError('FITS_TOO_LARGE'));
    await assert.rejects(FitsFile.open(p), isFitsError('FITS_TRUNCATED'));
  });

  it('NAXIS product needing terabytes -> typed error, no allocation', async () => {
    const p = await tmpFile('huge.fits', header(['SIMPLE  =                    T', 'BITPIX  =                  -64', 'NAXIS   =                    3', 'NAXIS1  =               100000', 'NAXIS2  =               100000', 'NAXIS3  =               100000']));
    await assert.rejects(FitsFile.open(p), (e: unknown) => e instanceof FitsError && ['FITS_TRUNCATED', 'FITS_TOO_LARGE'].includes(e.code));
    const p2 = await tmpFile('huger.fits', header(['SIMPLE  =                    T', 'BITPIX  =                  -64', 'NAXIS   =                    2', 'NAXIS1  = 99999999999999999999', 'NAXIS2  =                    5']));
    await assert.rejects(FitsFile.open(p2), isFitsError('FITS_TOO_LARGE'));
  });

  it('bad BITPIX / negative NAXISn / missing NAXIS -> FITS_BAD_HEADER', async () => {
    for (const [i, cards] of [
      ['SIMPLE  =                    T', 'BITPIX  =                    7', 'NAXIS   =                    0'],
      ['SIMPLE  =                    T', 'BITPIX  =                    8', 'NAXIS   =                    1', 'NAXIS1  =                   -5'],
      ['SIMPLE  =                    T', 'BITPIX  =                    8'],
      ['SIMPLE  =                    T', 'BITPIX  =                    8', "NAXIS   = 'two'"],
    ].entries()) {
      const p = await tmpFile(`bad-header-${i}.fits`, header(cards));
      await assert.rejects(FitsFile.open(p), isFitsError('FITS_BAD_HEADER'));
    }
  });

  it('not FITS at all -> FITS_NOT_FITS', async () => {
    const p = await tmpFile('text.fits', Buffer.from('hello world\n'.repeat(400)));
    await assert.rejects(FitsFile.open(p), isFitsError('FITS_NOT_FITS'));
  });

  it('corrupt gzip -> FITS_BAD_DATA; gzip inflating past the limit -> FITS_TOO_LARGE', async () => {
    const gz = await readFile(corpusPath('sunpy-gzip_test.fits.gz'));
    const broken = Buffer.from(gz);
    broken.fill(0x55, 20, 120);
    await assert.rejects(FitsFile.open(await tmpFile('broken.fits.gz', broken)), isFitsError('FITS_BAD_DATA'));
    const bomb = gzipSync(Buffer.alloc(20 * 1024 * 1024, 0x20));
    await assert.rejects(FitsFile.open(await tmpFile('bomb.gz', bomb), { maxFileBytes: 1024 * 1024 }), isFitsError('FITS_TOO_LARGE'));
  });

  it('.Z (LZW) files open through the compression module and respect the size limit', async () => {
    const f = await FitsFile.open(corpusPath('astropy-lzw.fits.Z'));
    assert.equal(f.wrapper, 'compress');
    await f.close();
    await assert.rejects(FitsFile.open(corpusPath('astropy-lzw.fits.Z'), { maxFileBytes: 10000 }), isFitsError('FITS_TOO_LARGE'));
    // A .Z small enough on disk that inflates past the limit: refused by the decoder as a size limit.
    await assert.rejects(FitsFile.open(corpusPath('astropy-lzw.fits.Z'), { maxFileBytes: 14000 }), isFitsError('FITS_TOO_LARGE'));
  });

  it('big gzip streams go to a temporary file and still read', async () => {
    const gz = gzipSync(await readFile(corpusPath('astropy-m13.fits')));
    const f = await FitsFile.open(await tmpFile('m13.fits.gz', gz), { inMemoryBytes: 10000 });
    const plane = await readPlane(f, 0);
    assert.equal(plane.width, 300);
    await f.close();
  });

  it('maxElements guards reads -> FITS_TOO_LARGE (413)', async () => {
    const f = await FitsFile.open(corpusPath('astropy-m13.fits'));
    await assert.rejects(readPlane(f, 0, { maxElements: 1000 }), (e: unknown) => e instanceof FitsError && e.code === 'FITS_TOO_LARGE' && e.httpStatus === 413);
    await f.close();
  });
});
