/**
 * Tile-compressed images of the corpus and of test/fixtures/fits-compression decode to what
 * astropy returns: pixel for pixel against the uncompressed original where there is one, and
 * against REFERENCE.json statistics and samples for every compressed HDU.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FitsFile } from '../../src/fits/file.js';
import { readPlane, readPlaneRows } from '../../src/fits/image.js';
import { FitsError } from '../../src/fits/errors.js';
import { TiledImageReader, decompressLzw, decompressTable, describeCompressedImage, openDecompressedTable, readCompressedPlane } from '../../src/fits/compression/index.js';
import { CORPUS_DIR, close, corpusPath, refNumber, referenceFiles, statistics, type RefStats } from './corpus.js';
import { REPO_ROOT } from '../helpers/paths.js';

const FIXTURES = join(REPO_ROOT, 'test/fixtures/fits-compression');

/** The int16 pixels of astropy-m13.fits, read straight from the bytes (big-endian, after the header). */
function m13Pixels(): Int16Array {
  const raw = readFileSync(corpusPath('astropy-m13.fits'));
  let off = 0;
  for (let found = false; !found; off += 2880) {
    for (let r = 0; r < 36; r++) if (raw.toString('latin1', off + r * 80, off + r * 80 + 80).startsWith('END ')) found = true;
  }
  const out = new Int16Array(300 * 300);
  for (let i = 0; i < out.length; i++) out[i] = raw.readInt16BE(off + 2 * i);
  return out;
}

async function withFile<T>(path: string, fn: (f: FitsFile) => Promise<T>): Promise<T> {
  const f = await FitsFile.open(path);
  try {
    return await fn(f);
  } finally {
    await f.close();
  }
}

function assertStats(actual: ArrayLike<number>, ref: RefStats, label: string): void {
  const s = statistics(actual);
  assert.equal(s.n_pixels, ref.n_pixels, `${label} n_pixels`);
  assert.equal(s.nan_count, ref.nan_count, `${label} nan_count`);
  for (const k of ['min', 'max', 'mean', 'std', 'median', 'sum'] as const) {
    assert.ok(close(s[k], refNumber(ref[k])), `${label} ${k}: ${s[k]} vs ${ref[k]}`);
  }
}

for (const name of ['astropy-m13_rice.fits', 'astropy-m13_gzip.fits', 'astropy-m13_hcomp.fits', 'astropy-m13_plio.fits']) {
  test(`${name} equals the uncompressed astropy-m13.fits pixel for pixel`, async () => {
    const expected = m13Pixels();
    await withFile(corpusPath(name), async (f) => {
      assert.equal(f.hdus[1]!.kind, 'compressed-image');
      const plane = await readPlane(f, 1);
      assert.equal(plane.width, 300);
      assert.equal(plane.height, 300);
      assert.ok(plane.data instanceof Float32Array);
      for (let i = 0; i < expected.length; i++) {
        if (plane.data[i] !== expected[i]) assert.fail(`pixel ${i}: ${plane.data[i]} vs ${expected[i]}`);
      }
    });
  });
}

// astropy 5.2.1 ignores ZBLANK in compressed_with_nan.fits; the 8.0.1 cross-check has the right answer.
const CROSSCHECK = JSON.parse(readFileSync(join(CORPUS_DIR, 'crosscheck/REFERENCE-astropy-8.0.1.json'), 'utf8')) as {
  files: ReturnType<typeof referenceFiles>;
};

for (const ref of referenceFiles()) {
  for (const hdu of ref.hdus ?? []) {
    if (hdu.type !== 'CompImageHDU' || !hdu.image?.stats) continue;
    const useCrosscheck = ref.file === 'astropy-compressed_with_nan.fits';
    const source = useCrosscheck ? CROSSCHECK.files.find((x) => x.file === ref.file)!.hdus![hdu.index]! : hdu;
    test(`${ref.file} HDU ${hdu.index}: stats and samples match ${useCrosscheck ? 'astropy 8.0.1 (5.2.1 ignores ZBLANK)' : 'REFERENCE.json'}`, async () => {
      await withFile(corpusPath(ref.file), async (f) => {
        const plane = await readPlane(f, hdu.index);
        const shape = source.image!.shape_numpy!;
        assert.equal(plane.width, shape[shape.length - 1]);
        assertStats(plane.data, source.image!.stats!, ref.file);
        const expectFloat32 = ['<f4', '<i2', '>i2', '<u2', '|u1', '<i1', '|i1'].includes(source.image!.astropy_dtype ?? '');
        assert.equal(plane.data instanceof Float32Array, expectFloat32, `array type for ${source.image!.astropy_dtype}`);
        for (const s of source.image!.samples ?? []) {
          const x = s.fits_pixel[0]! - 1;
          const y = (s.fits_pixel[1] ?? 1) - 1;
          const got = plane.data[y * plane.width + x]!;
          assert.ok(close(got, refNumber(s.value), 1e-12), `${ref.file} pixel ${s.fits_pixel}: ${got} vs ${s.value}`);
        }
      });
    });
  }
}

test('astropy-compressed_with_nan.fits: ZBLANK gives NaN at numpy [1,1] and round(data) = arange(144) elsewhere', async () => {
  await withFile(corpusPath('astropy-compressed_with_nan.fits'), async (f) => {
    const info = describeCompressedImage(f.hdus[1]!);
    assert.equal(info.quantize, 'SUBTRACTIVE_DITHER_1');
    assert.equal(info.zblank, -2147483647);
    const plane = await readPlane(f, 1);
    assert.ok(plane.data instanceof Float64Array);
    for (let i = 0; i < 144; i++) {
      if (i === 13) assert.ok(Number.isNaN(plane.data[i]), 'numpy [1,1] is NaN');
      else assert.equal(Math.round(plane.data[i]!), i, `pixel ${i}`);
    }
  });
});

test('astropy-compressed_2d_float.fits: BSCALE and BLANK inside the compressed header', async () => {
  await withFile(corpusPath('astropy-compressed_2d_float.fits'), async (f) => {
    const info = describeCompressedImage(f.hdus[1]!);
    assert.equal(info.bscale, 0.1);
    assert.equal(info.blank, -32768);
    assert.equal(info.bytepix, 2);
    const plane = await readPlane(f, 1);
    assert.equal(Number.isNaN(plane.data[1 * 5 + 2]), true);
    assert.equal(plane.data[0], Math.fround(Math.fround(509 * Math.fround(0.1)) + 0));
  });
});

test('astropy-compressed_float_bzero.fits: unsigned 16-bit through BZERO=32768 in the compressed header', async () => {
  await withFile(corpusPath('astropy-compressed_float_bzero.fits'), async (f) => {
    const plane = await readPlane(f, 1);
    assert.deepEqual(Array.from(plane.data), [1, 2, 3]);
    assert.equal(plane.height, 1);
  });
});

test('row ranges and row bands of a compressed image equal the same rows of the whole plane', async () => {
  const expected = m13Pixels();
  await withFile(corpusPath('astropy-m13_hcomp.fits'), async (f) => {
    // HCOMPRESS here is one 300x300 tile: a band still needs the whole tile, decoded once
    const part = await readPlane(f, 1, { rows: [120, 135] });
    assert.equal(part.height, 15);
    for (let i = 0; i < part.data.length; i++) assert.equal(part.data[i], expected[120 * 300 + i]);
  });
  await withFile(corpusPath('astropy-m13_rice.fits'), async (f) => {
    let rows = 0;
    for await (const band of readPlaneRows(f, 1, { bandRows: 37 })) {
      for (let i = 0; i < band.data.length; i++) assert.equal(band.data[i], expected[band.y0 * 300 + i]);
      rows += band.rows;
    }
    assert.equal(rows, 300);
  });
});

test('concurrent band reads of one compressed image give the right rows', async () => {
  const expected = m13Pixels();
  await withFile(corpusPath('astropy-m13_rice.fits'), async (f) => {
    const bands = await Promise.all(Array.from({ length: 10 }, (_, k) => readPlane(f, 1, { rows: [k * 30, k * 30 + 30] })));
    bands.forEach((band, k) => {
      for (let i = 0; i < band.data.length; i++) assert.equal(band.data[i], expected[k * 30 * 300 + i]);
    });
  });
});

test('only the tiles of the requested rows are read', async () => {
  await withFile(corpusPath('astropy-m13_gzip.fits'), async (f) => {
    const hdu = f.hdus[1]!;
    let bytesRead = 0;
    const original = f.readBytes.bind(f);
    (f as unknown as { readBytes: typeof f.readBytes }).readBytes = async (offset: number, length: number) => {
      bytesRead += length;
      return original(offset, length);
    };
    const reader = await TiledImageReader.open(f, hdu);
    const tableBytes = bytesRead;
    await reader.readPlane({ rows: [10, 12] });
    const heapRead = bytesRead - tableBytes;
    assert.ok(heapRead > 0 && heapRead < 4000, `read ${heapRead} heap bytes for 2 of 300 row tiles`);
  });
});

test('maxElements refuses a read that is too large with FITS_TOO_LARGE', async () => {
  await withFile(corpusPath('astropy-m13_rice.fits'), async (f) => {
    await assert.rejects(readCompressedPlane(f, f.hdus[1]!, { maxElements: 1000 }), (e: unknown) => e instanceof FitsError && e.code === 'FITS_TOO_LARGE' && e.httpStatus === 413);
    await assert.rejects(readCompressedPlane(f, f.hdus[1]!, { rows: [10, 301] }), (e: unknown) => e instanceof FitsError && e.code === 'FITS_BAD_ARGUMENT');
  });
});

test('nomtam-bt12.fits.fz (ZTABLE, GZIP_1/GZIP_2 columns, 1QB descriptors) decompresses to nomtam-bt12.fits byte for byte', async () => {
  await withFile(corpusPath('nomtam-bt12.fits.fz'), async (f) => {
    const hdu = f.hdus[1]!;
    assert.equal(hdu.kind, 'compressed-table');
    assert.throws(() => describeCompressedImage(hdu), (e: unknown) => e instanceof FitsError);
    const table = await decompressTable(f, hdu);
    await withFile(corpusPath('nomtam-bt12.fits'), async (orig) => {
      const o = orig.hdus[1]!;
      assert.deepEqual(table.data, await orig.readBytes(o.dataOffset, o.dataBytes));
      assert.deepEqual(table.header.records(), o.header.records());
    });
    const mem = await openDecompressedTable(f, hdu);
    assert.equal(mem.hdus[1]!.kind, 'bintable');
    assert.deepEqual(mem.hdus[1]!.storedAxes, [134, 50]);
    await assert.rejects(decompressTable(f, hdu, { maxBytes: 1000 }), (e: unknown) => e instanceof FitsError && e.code === 'FITS_TOO_LARGE');
  });
});

test('astropy-lzw.fits.Z: the LZW decoder reproduces the bytes gzip -d gives', () => {
  const out = decompressLzw(readFileSync(corpusPath('astropy-lzw.fits.Z')));
  assert.equal(out.length, 34560);
  assert.equal(createHash('sha256').update(out).digest('hex'), '154e0e69d93f86fb39fae5fe15245892007f3ca479e4b910143e5e8907c6d17b');
});

interface FixtureCase {
  file: string;
  hdu: number;
  compression: string;
  shape_numpy: number[];
  astropy_dtype: string;
  lossless: boolean;
  values_f8_b64: string;
  nan_count: number;
}

const fixtures = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as { cases: FixtureCase[] };

for (const c of fixtures.cases) {
  test(`fixture ${c.file} (${c.compression}${c.lossless ? ', lossless' : ''}) decodes to astropy's pixels`, async () => {
    const buf = Buffer.from(c.values_f8_b64, 'base64');
    const expected = new Float64Array(buf.buffer, buf.byteOffset, buf.byteLength / 8);
    const shape = c.shape_numpy;
    const width = shape[shape.length - 1]!;
    const height = shape.length >= 2 ? shape[shape.length - 2]! : 1;
    const planes = shape.length >= 3 ? shape[0]! : 1;
    await withFile(join(FIXTURES, c.file), async (f) => {
      for (let p = 0; p < planes; p++) {
        const plane = await readPlane(f, c.hdu, shape.length >= 3 ? { plane: [p] } : {});
        assert.equal(plane.width, width);
        assert.equal(plane.height, height);
        const base = p * width * height;
        for (let i = 0; i < width * height; i++) {
          const want = plane.data instanceof Float32Array ? Math.fround(expected[base + i]!) : expected[base + i]!;
          const got = plane.data[i]!;
          if (!(got === want || (Number.isNaN(got) && Number.isNaN(want)))) {
            assert.fail(`${c.file} plane ${p} pixel ${i % width},${Math.floor(i / width)}: ${got} vs ${want}`);
          }
        }
      }
    });
  });
}
