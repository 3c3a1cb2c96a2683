/**
 * Table reading beyond the corpus: ASCII-table parsing rules, TNULL masking, lazy and bounded
 * reads (only the requested rows and heap bytes are read), hostile sizes and descriptors.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FitsError } from '../../src/fits/errors.js';
import { openDecompressedTable } from '../../src/fits/compression/index.js';
import { FitsFile } from '../../src/fits/file.js';
import {
  columnStats,
  describeTable,
  encodeBinTable,
  readColumn,
  readNumericColumn,
  readTableRows,
  rowsToJson,
  type TableSource,
} from '../../src/fits/table/index.js';
import { FIXTURES_DIR } from '../helpers/paths.js';
import { asciiTableCards, fitsWithExtension } from './table-helpers.js';

const CORPUS = join(FIXTURES_DIR, 'fits-corpus');

/** A FitsFile wrapper that records every byte range read. */
function spy(file: FitsFile): { source: TableSource; reads: [number, number][] } {
  const reads: [number, number][] = [];
  return {
    reads,
    source: {
      hdus: file.hdus,
      readBytes: (offset: number, length: number) => {
        reads.push([offset, length]);
        return file.readBytes(offset, length);
      },
    },
  };
}

function isFitsError(code?: string) {
  return (err: unknown) => err instanceof FitsError && (code === undefined || err.code === code);
}

describe('ASCII tables', () => {
  // Fields: I3 at 1, F6.2 at 5, D8.1 at 11, E6.3 at 19, I21 at 25, A5 at 47.
  const layout: [number, number][] = [[1, 3], [5, 6], [11, 8], [19, 6], [25, 21], [47, 5]];
  const line = (fields: string[]) => {
    const chars = new Array(52).fill(' ');
    fields.forEach((f, i) => {
      const [start, w] = layout[i]!;
      f.padStart(w, ' ').split('').forEach((ch, k) => (chars[start - 1 + k] = ch));
    });
    return chars.join('');
  };
  const rows = [
    line(['12', '3.5', '1.5D+02', '12345', '9223372036854775807', 'abc  ']),
    line(['*', '-.25', '2.0E-1', '1.5+02', '-9223372036854775808', 'x    ']),
    line(['', '1', '3', '12', '12', '     ']),
  ];
  const width = 52;
  const cards = asciiTableCards(width, rows.length, [
    { name: 'I', form: 'I3', start: 1, extra: [{ keyword: 'TNULL', value: '*' }] },
    { name: 'F', form: 'F6.2', start: 5 },
    { name: 'D', form: 'D8.1', start: 11 },
    { name: 'E', form: 'E6.3', start: 19 },
    { name: 'BIG', form: 'I21', start: 25 },
    { name: 'S', form: 'A5', start: 47 },
  ]);
  const data = Buffer.from(rows.map((r) => r.padEnd(width, ' ').slice(0, width)).join(''), 'latin1');

  it('parses Iw, Fw.d (implied decimals), Dw.d (D exponent), Ew.d (exponent without letter), I21 beyond 2^53, Aw', async () => {
    const file = await FitsFile.fromBuffer(fitsWithExtension(cards, data));
    const d = describeTable(file.hdus[1]!);
    assert.deepEqual(d.columns.map((c) => c.valueType), ['int32', 'float64', 'float64', 'float64', 'int64', 'string']);
    const got = await readTableRows(file, 1);
    assert.deepEqual(got.rows[0], [12, 3.5, 150, 12.345, 9223372036854775807n, 'abc']);
    assert.deepEqual(got.rows[1], [null, -0.25, 0.2, 150, -9223372036854775808n, 'x']);
    // Blank fields are undefined; F6.2 '1' has no decimal point so two decimals are implied.
    assert.deepEqual(got.rows[2], [null, 0.01, 0.3, 0.012, 12n, '']);
    const json = rowsToJson(got);
    assert.deepEqual(json[0], { I: 12, F: 3.5, D: 150, E: 12.345, BIG: '9223372036854775807', S: 'abc' });
    assert.equal(json[2]?.BIG, 12);
  });

  it("reads TNULL/blank integers as 0 with nulls: 'raw' (astropy)", async () => {
    const file = await FitsFile.fromBuffer(fitsWithExtension(cards, data));
    const got = await readTableRows(file, 1, { nulls: 'raw', columns: ['i'] });
    assert.deepEqual(got.rows.map((r) => r[0]), [12, 0, 0]);
    const stats = await columnStats(file, 1, { columns: ['I', 'F'] });
    assert.deepEqual(stats.I, { min: 12, max: 12, mean: 12, nan_count: 0, null_count: 2, count: 1 });
  });

  it('refuses a field that is not a number with a FitsError naming row and column', async () => {
    const bad = Buffer.from(data);
    bad.write('x1', 0, 'latin1');
    const file = await FitsFile.fromBuffer(fitsWithExtension(cards, bad));
    await assert.rejects(readTableRows(file, 1), (err: unknown) => isFitsError('FITS_BAD_DATA')(err) && /row 1, column 'I'/.test((err as Error).message));
  });

  it('refuses a column that does not fit in NAXIS1', async () => {
    const bad = asciiTableCards(10, 1, [{ name: 'A', form: 'A8', start: 5 }]);
    const file = await FitsFile.fromBuffer(fitsWithExtension(bad, Buffer.alloc(10, 0x20)));
    assert.throws(() => describeTable(file.hdus[1]!), isFitsError('FITS_BAD_HEADER'));
  });
});

describe('binary tables: TNULL, scaling and nulls', () => {
  it("masks TNULL by default and keeps stored values with nulls: 'raw'", async () => {
    const file = await FitsFile.open(join(CORPUS, 'cfitsio-testprog.std.fits'));
    try {
      // HDU 1: Bvalue 1B TNULL=77 TSCAL=1000; Ivalue 1I TNULL=77 TZERO=32768.
      const masked = await readColumn(file, 1, 'Ivalue');
      const raw = await readColumn(file, 1, 'Ivalue', { nulls: 'raw' });
      const i = raw.cells.findIndex((c) => c === 77 + 32768);
      assert.ok(i >= 0, 'a TNULL cell exists');
      assert.equal(masked.cells[i], null);
      const b = await readColumn(file, 1, 'Bvalue');
      assert.ok(b.cells.some((c) => typeof c === 'number' && Number.isNaN(c)), 'scaled TNULL becomes NaN');
      // VLA TNULL (HDU 5, TNULL=88) is masked per element.
      const rows = rowsToJson(await readTableRows(file, 5, { limit: 2, columns: ['Jvalue', 'Lvalue'] }));
      assert.deepEqual(rows[1], { Jvalue: [null, 2], Lvalue: [null, true] });
    } finally {
      await file.close();
    }
  });

  it('turns NaN into null in JSON, or "NaN" on request; Infinity stays a string', async () => {
    const t = encodeBinTable([{ name: 'E', values: new Float32Array([Number.NaN, Infinity]) }]);
    const file = await FitsFile.fromBuffer(fitsWithExtension(t.cards, t.data));
    const rows = await readTableRows(file, 1);
    assert.deepEqual(rowsToJson(rows), [{ E: null }, { E: 'Infinity' }]);
    assert.deepEqual(rowsToJson(rows, { nan: 'string' }), [{ E: 'NaN' }, { E: 'Infinity' }]);
  });
});

describe('binary tables: shapes', () => {
  it('splits A columns by TDIM (w, n) even when w * n < repeat, and gives zero-width columns as empty arrays', async () => {
    const t = encodeBinTable([
      { name: 'S', format: '30A', dim: [10, 2], values: ['abcdefghij0123456789xxxxxxxxxx'] },
      { name: 'Z', format: '0D', values: [[]] },
      { name: 'V', format: '6I', dim: [3, 2], values: [new Int16Array([1, 2, 3, 4, 5, 6])] },
    ]);
    const file = await FitsFile.fromBuffer(fitsWithExtension(t.cards, t.data));
    const d = describeTable(file.hdus[1]!);
    assert.deepEqual(d.columns.map((c) => c.shape), [[2], [0], [2, 3]]);
    assert.deepEqual(rowsToJson(await readTableRows(file, 1)), [{ S: ['abcdefghij', '0123456789'], Z: [], V: [[1, 2, 3], [4, 5, 6]] }]);
  });

  it('names columns without TTYPEn COL<n>', async () => {
    const t = encodeBinTable([{ name: 'A', format: 'J', values: [5] }]);
    const cards = t.cards.filter((c) => c.keyword !== 'TTYPE1');
    const file = await FitsFile.fromBuffer(fitsWithExtension(cards, t.data));
    const d = describeTable(file.hdus[1]!);
    assert.equal(d.columns[0]?.name, 'COL1');
    assert.equal(d.columns[0]?.ttype, null);
    assert.deepEqual(rowsToJson(await readTableRows(file, 1, { columns: ['col1'] })), [{ COL1: 5 }]);
  });
});

describe('lazy and bounded reading', () => {
  it('reads only the requested rows of a 12 MB table', async () => {
    const file = await FitsFile.open(join(CORPUS, 'reproject-bayestar.fits.gz'));
    try {
      const { source, reads } = spy(file);
      const hdu = file.hdus[1]!;
      const got = await readTableRows(source, hdu, { offset: 1000, limit: 3 });
      assert.equal(got.rows.length, 3);
      assert.deepEqual(reads, [[hdu.dataOffset + 1000 * 4096, 3 * 4096]]);
    } finally {
      await file.close();
    }
  });

  it('reads only the heap bytes of the requested rows (THEAP with a gap)', async () => {
    const file = await FitsFile.open(join(CORPUS, 'astropy-theap-gap.fits'));
    try {
      const { source, reads } = spy(file);
      const hdu = file.hdus[1]!;
      const d = describeTable(hdu);
      assert.ok(d.heapOffset > d.nRows * d.rowBytes, 'THEAP leaves a gap');
      const got = await readTableRows(source, hdu, { offset: 490, limit: 2, columns: ['arr'] });
      assert.equal(reads.length, 2);
      const heapRead = reads[1]!;
      assert.ok(heapRead[0] >= hdu.dataOffset + d.heapOffset && heapRead[1] <= 2 * 5 * 4, `heap read ${heapRead}`);
      assert.equal(got.rows.length, 2);
    } finally {
      await file.close();
    }
  });

  it('refuses reads beyond maxBytes with FITS_TOO_LARGE (413)', async () => {
    const file = await FitsFile.open(join(CORPUS, 'reproject-bayestar.fits.gz'));
    try {
      await assert.rejects(readTableRows(file, 1, { limit: 3000, maxBytes: 1 << 20 }), (err: unknown) => isFitsError('FITS_TOO_LARGE')(err) && (err as FitsError).httpStatus === 413);
    } finally {
      await file.close();
    }
  });

  it('does not allocate for a hostile NAXIS2: reads of missing rows are FITS_TRUNCATED', async () => {
    const t = encodeBinTable([{ name: 'J', format: 'J', values: [1, 2] }]);
    const cards = t.cards.map((c) => (c.keyword === 'NAXIS2' ? { ...c, value: 2 ** 40 } : c));
    const file = await FitsFile.fromBuffer(fitsWithExtension(cards, t.data)).catch(() => undefined);
    const hdu = file?.hdus[1];
    if (!file || !hdu) return; // the core may refuse the header already; that is fine too
    assert.equal(describeTable(hdu).nRows, 2 ** 40);
    const first = await readTableRows(file, hdu, { limit: 2 });
    assert.deepEqual(first.rows, [[1], [2]]);
    await assert.rejects(readTableRows(file, hdu, { offset: 2 ** 39, limit: 10 }), isFitsError('FITS_TRUNCATED'));
    await assert.rejects(columnStats(file, hdu), isFitsError());
  });

  it('refuses variable-length descriptors that point outside the heap', async () => {
    const t = encodeBinTable([{ name: 'V', format: 'PJ', values: [[1, 2, 3]] }]);
    const data = Buffer.from(t.data);
    data.writeUInt32BE(1_000_000, 0); // element count far beyond PCOUNT
    const file = await FitsFile.fromBuffer(fitsWithExtension(t.cards, data));
    await assert.rejects(readTableRows(file, 1), (err: unknown) => isFitsError('FITS_BAD_DATA')(err) && /beyond the heap/.test((err as Error).message));
  });

  it('rejects bad arguments: unknown column, offset past the end, negative limit', async () => {
    const file = await FitsFile.open(join(CORPUS, 'astropy-tb.fits'));
    try {
      await assert.rejects(readTableRows(file, 1, { columns: ['nope'] }), isFitsError('FITS_BAD_ARGUMENT'));
      await assert.rejects(readTableRows(file, 1, { offset: 3 }), isFitsError('FITS_BAD_ARGUMENT'));
      await assert.rejects(readTableRows(file, 1, { limit: -1 }), isFitsError('FITS_BAD_ARGUMENT'));
      await assert.rejects(readTableRows(file, 0), isFitsError('FITS_BAD_ARGUMENT'));
      assert.deepEqual((await readTableRows(file, 1, { offset: 2 })).rows, []);
    } finally {
      await file.close();
    }
  });
});

describe('readNumericColumn', () => {
  it('returns fixed-width vectors flat, equal to the decoded cells', async () => {
    const file = await FitsFile.open(join(CORPUS, 'reproject-bayestar.fits.gz'));
    try {
      const col = await readNumericColumn(file, 1, 'PROB', { offset: 10, limit: 2 });
      assert.equal(col.elementsPerRow, 1024);
      assert.equal(col.values.length, 2048);
      const cells = await readTableRows(file, 1, { offset: 10, limit: 2 });
      const first = cells.rows[1]![0] as { values: Float32Array };
      assert.deepEqual(Array.from(col.values.subarray(1024)), Array.from(first.values));
      await assert.rejects(readNumericColumn(file, 1, 'PROB', { maxElements: 1000 }), isFitsError('FITS_TOO_LARGE'));
    } finally {
      await file.close();
    }
  });

  it('concatenates variable-length rows with offsets and masks TNULL as NaN', async () => {
    const file = await FitsFile.open(join(CORPUS, 'cfitsio-testprog.std.fits'));
    try {
      const col = await readNumericColumn(file, 5, 'Jvalue', { limit: 3 });
      assert.equal(col.elementsPerRow, null);
      assert.deepEqual(Array.from(col.rowOffsets!), [0, 1, 3, 6]);
      assert.ok(Number.isNaN(col.values[1]!), 'TNULL 88 is NaN');
      assert.equal(col.values[2], 2);
      const raw = await readNumericColumn(file, 5, 'Jvalue', { limit: 3, nulls: 'raw' });
      assert.equal(raw.values[1], 88);
      await assert.rejects(readNumericColumn(file, 5, 'Avalue'), isFitsError('FITS_BAD_ARGUMENT'));
    } finally {
      await file.close();
    }
  });

  it('reads ASCII columns with blank fields as NaN', async () => {
    const file = await FitsFile.open(join(CORPUS, 'astropy-ascii.fits'));
    try {
      const a = await readNumericColumn(file, 1, 'a');
      assert.equal(a.values.length, 5);
      assert.equal(a.values[0], 10.123);
      assert.equal(a.values.filter(Number.isNaN).length, 1);
    } finally {
      await file.close();
    }
  });
});

describe('tile-compressed tables', () => {
  it('reads a ZTABLE through openDecompressedTable exactly like the uncompressed original', async () => {
    const fz = await FitsFile.open(join(CORPUS, 'nomtam-bt12.fits.fz'));
    const plain = await FitsFile.open(join(CORPUS, 'nomtam-bt12.fits'));
    try {
      const table = await openDecompressedTable(fz, fz.hdus[1]!);
      const a = rowsToJson(await readTableRows(table, 1, { limit: 50 }));
      const b = rowsToJson(await readTableRows(plain, 1, { limit: 50 }));
      assert.equal(a.length, 50);
      assert.deepEqual(a, b);
      assert.deepEqual(await columnStats(table, 1), await columnStats(plain, 1));
    } finally {
      await fz.close();
      await plain.close();
    }
  });
});
