/**
 * Fuzz: hostile table headers and data. Whatever the header says (NAXIS2 of 2^40, descriptors
 * past the heap, garbage TFORM/TDIM/THEAP, zero-width rows), the table code answers or throws a
 * FitsError, quickly and without a large allocation.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { CardValue } from '../../src/fits/card.js';
import { FitsError } from '../../src/fits/errors.js';
import { FitsFile } from '../../src/fits/file.js';
import {
  columnStats,
  describeTable,
  readColumn,
  readTableRows,
  rowsToJson,
  type TableHduLike,
  type TableSource,
} from '../../src/fits/table/index.js';
import { FIXTURES_DIR } from '../helpers/paths.js';

const CORPUS = join(FIXTURES_DIR, 'fits-corpus');
/**
 * Any single run taking longer than this counts as a hang (a promise that never settles: a
 * synchronous loop would block the timer anyway). Generous, as a run takes milliseconds on a quiet
 * machine and can wait seconds for a core at load 16 on 2 cores (5 s was within reach there).
 */
const RUN_TIMEOUT_MS = 120_000;

/** In-memory source with FitsFile's contract: exact reads or FITS_TRUNCATED; reads are bounded. */
function memorySource(data: Uint8Array, hdus: TableHduLike[]): TableSource {
  return {
    hdus,
    async readBytes(offset: number, length: number) {
      assert.ok(length <= 256 * 1024 * 1024, `read of ${length} bytes requested`);
      if (offset + length > data.length) throw new FitsError('FITS_TRUNCATED', 'short');
      return data.subarray(offset, offset + length);
    },
  };
}

class MapHeader {
  constructor(private readonly cards: Map<string, CardValue>) {}
  get(keyword: string): CardValue | undefined {
    return this.cards.get(keyword.toUpperCase());
  }
}

async function exercise(file: TableSource, hdu: TableHduLike): Promise<void> {
  const run = async () => {
    const d = describeTable(hdu);
    rowsToJson(await readTableRows(file, hdu, { limit: 20 }));
    rowsToJson(await readTableRows(file, hdu, { offset: Math.floor(d.nRows / 2), limit: 5, nulls: 'raw' }));
    await columnStats(file, hdu);
    if (d.columns.length > 0) await readColumn(file, hdu, 0, { limit: 1000 });
  };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('table code took too long (hang?)')), RUN_TIMEOUT_MS);
  });
  try {
    await Promise.race([run(), timeout]);
  } catch (err) {
    if (!(err instanceof FitsError)) throw err;
  } finally {
    clearTimeout(timer);
  }
}

const tformArb = fc.oneof(
  fc.tuple(fc.constantFrom('', '0', '1', '2', '3', '7', '16', '100000', '99999999999'), fc.constantFrom(...'LXBIJKAEDCM'.split(''))).map(([r, c]) => r + c),
  fc.tuple(fc.constantFrom('', '0', '1', '2'), fc.constantFrom('P', 'Q'), fc.constantFrom(...'LXBIJKAEDCM'.split('')), fc.constantFrom('', '(3)', '(0)', '(99999999999)')).map((p) => p.join('')),
  fc.constantFrom('I5', 'F8.3', 'E12.4', 'D25.17', 'A10', 'I20', 'Z', '', '1P', 'PJ(', '-1J', '3A5'),
  fc.string({ maxLength: 8 }),
);

const numberish = fc.oneof(
  fc.integer({ min: -5, max: 300 }),
  fc.constantFrom(0, 1, 2 ** 31, 2 ** 40, 2 ** 53, Number.MAX_SAFE_INTEGER),
  fc.constantFrom<CardValue>(null, 'x', true, 1.5, 9n ** 30n),
);

const headerArb = fc.record({
  xtension: fc.constantFrom<CardValue>('BINTABLE', 'BINTABLE', 'BINTABLE', 'TABLE', 'TABLE', 'IMAGE', 'A3DTABLE', 7),
  naxis: fc.constantFrom<CardValue>(2, 2, 2, 2, 2, 2, 1, null),
  naxis1: numberish,
  naxis2: numberish,
  pcount: numberish,
  theap: fc.option(numberish, { nil: undefined }),
  columns: fc.array(
    fc.record({
      tform: tformArb,
      ttype: fc.option(fc.string({ maxLength: 6 }), { nil: undefined }),
      tdim: fc.option(fc.constantFrom('(2,2)', '(1,1)', '(3)', '(0)', '(10,3)', '()', '(a)', '(99999999,99999999)'), { nil: undefined }),
      tscal: fc.option(fc.constantFrom<CardValue>(0, 1, 2.5, -1, 'x'), { nil: undefined }),
      tzero: fc.option(fc.constantFrom<CardValue>(0, 32768, 2147483648, 9223372036854775808, -128, 0.5), { nil: undefined }),
      tnull: fc.option(fc.constantFrom<CardValue>(0, 77, -1, '*', 2n ** 70n, 1.5), { nil: undefined }),
      tbcol: fc.option(numberish, { nil: undefined }),
    }),
    { maxLength: 6 },
  ),
  tfieldsDelta: fc.constantFrom(0, 0, 0, 1, -1, 5000),
  data: fc.uint8Array({ maxLength: 4096 }),
});

describe('table fuzz', () => {
  it('synthetic hostile headers and data give only FitsError', async () => {
    await fc.assert(
      fc.asyncProperty(headerArb, async (h) => {
        const cards = new Map<string, CardValue>();
        cards.set('XTENSION', h.xtension);
        if (h.naxis !== null) cards.set('NAXIS', h.naxis);
        cards.set('NAXIS1', h.naxis1);
        cards.set('NAXIS2', h.naxis2);
        cards.set('PCOUNT', h.pcount);
        if (h.theap !== undefined) cards.set('THEAP', h.theap);
        cards.set('TFIELDS', h.columns.length + h.tfieldsDelta);
        h.columns.forEach((c, i) => {
          const n = i + 1;
          cards.set(`TFORM${n}`, c.tform);
          if (c.ttype !== undefined) cards.set(`TTYPE${n}`, c.ttype);
          if (c.tdim !== undefined) cards.set(`TDIM${n}`, c.tdim);
          if (c.tscal !== undefined) cards.set(`TSCAL${n}`, c.tscal);
          if (c.tzero !== undefined) cards.set(`TZERO${n}`, c.tzero);
          if (c.tnull !== undefined) cards.set(`TNULL${n}`, c.tnull);
          if (c.tbcol !== undefined) cards.set(`TBCOL${n}`, c.tbcol);
        });
        const hdu: TableHduLike = { header: new MapHeader(cards), dataOffset: 0, index: 1 };
        await exercise(memorySource(h.data, [hdu]), hdu);
      }),
      { numRuns: 1000, seed: 20261128 },
    );
  });

  it('well-formed synthetic tables with random data bytes give only FitsError', async () => {
    // Consistent layouts (so decoding really runs), random bytes (so descriptors are garbage).
    const layout = fc
      .array(fc.tuple(fc.integer({ min: 0, max: 4 }), fc.constantFrom(...'LXBIJKAEDCM'.split('')), fc.boolean()), { minLength: 1, maxLength: 5 })
      .chain((cols) =>
        fc.record({
          cols: fc.constant(cols),
          nRows: fc.integer({ min: 0, max: 40 }),
          pcount: fc.integer({ min: 0, max: 300 }),
          data: fc.uint8Array({ minLength: 0, maxLength: 64 }),
        }),
      );
    await fc.assert(
      fc.asyncProperty(layout, async ({ cols, nRows, pcount, data }) => {
        const cards = new Map<string, CardValue>([['XTENSION', 'BINTABLE'], ['NAXIS', 2], ['PCOUNT', pcount]]);
        let width = 0;
        cols.forEach(([repeat, code, vla], i) => {
          const tform = vla ? `1P${code}` : `${repeat}${code}`;
          cards.set(`TFORM${i + 1}`, tform);
          width += vla ? 8 : code === 'X' ? Math.ceil(repeat / 8) : repeat * ({ L: 1, X: 1, B: 1, I: 2, J: 4, K: 8, A: 1, E: 4, D: 8, C: 8, M: 16 } as Record<string, number>)[code]!;
        });
        cards.set('NAXIS1', width);
        cards.set('NAXIS2', nRows);
        cards.set('TFIELDS', cols.length);
        // Exactly the bytes the header promises (random content), so decoding really happens.
        const size = width * nRows + pcount;
        const bytes = new Uint8Array(size);
        for (let i = 0; i < size; i++) bytes[i] = data.length > 0 ? (data[i % data.length] as number) ^ (i >> 8) : 0;
        const hdu: TableHduLike = { header: new MapHeader(cards), dataOffset: 0 };
        await exercise(memorySource(bytes, [hdu]), hdu);
      }),
      { numRuns: 1000, seed: 42 },
    );
  });

  it('mutated corpus table files give only FitsError', async () => {
    const names = [
      'astropy-tb.fits', 'astropy-ascii.fits', 'astropy-variable_length_table.fits', 'astropy-theap-gap.fits',
      'cfitsio-testprog.std.fits', 'astropy-zerowidth.fits', 'nomtam-bt12.fits', 'astropy-chandra_time.fits',
      'astropy-ascii_i4-i20.fits', 'astropy-P190mm-PAFBE-FEBEPAR.fits', 'astropy-vla_logical_null.fits',
    ];
    // For each file: its bytes, the value fields of table keywords, and the table data ranges.
    const targets = await Promise.all(
      names.map(async (n) => {
        const bytes = readFileSync(join(CORPUS, n));
        const fits = await FitsFile.fromBuffer(Buffer.from(bytes));
        const valueFields: number[] = [];
        const dataRanges: [number, number][] = [];
        for (const hdu of fits.hdus) {
          if (hdu.kind !== 'bintable' && hdu.kind !== 'ascii-table') continue;
          dataRanges.push([hdu.dataOffset, hdu.dataBytes]);
          for (let p = hdu.headerOffset; p < hdu.dataOffset; p += 80) {
            const key = bytes.toString('latin1', p, p + 8);
            if (/^(NAXIS[12]|PCOUNT|THEAP|TFIELDS|T(FORM|DIM|NULL|SCAL|ZERO|BCOL)\d+)\s*$/.test(key)) valueFields.push(p + 10);
          }
        }
        await fits.close();
        return { bytes, valueFields, dataRanges };
      }),
    );
    const token = fc.constantFrom(
      '0', '1', '2', '-1', '7', '99999999', '2147483648', '9007199254740993', '1.5', 'T', "'1PJ(3)'", "'PJ'", "'1QB'",
      "'0D'", "'100000X'", "'9999A'", "'(2,2)'", "'(1,99999)'", "'I20'", "'F8.3'", "'E12.4'", "'*'", "''", "'2K'", "'3M'",
    );
    const mutation = fc.record({
      file: fc.integer({ min: 0, max: targets.length - 1 }),
      cards: fc.array(fc.tuple(fc.nat(), token), { maxLength: 3 }),
      data: fc.array(fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 20 }),
    });
    let opened = 0;
    await fc.assert(
      fc.asyncProperty(mutation, async ({ file, cards, data }) => {
        const t = targets[file]!;
        const buf = Buffer.from(t.bytes);
        for (const [which, value] of cards) {
          if (t.valueFields.length === 0) break;
          const at = t.valueFields[which % t.valueFields.length]!;
          buf.write(value.padStart(20, ' ').padEnd(70, ' '), at, 'latin1');
        }
        for (const [range, offset, byte] of data) {
          const [start, length] = t.dataRanges[range % t.dataRanges.length]!;
          if (length > 0) buf[start + (offset % length)] = byte;
        }
        let fits: FitsFile;
        try {
          fits = await FitsFile.fromBuffer(buf);
        } catch {
          return; // the core's own fuzz test covers opening
        }
        opened++;
        for (const hdu of fits.hdus) {
          if (hdu.kind !== 'bintable' && hdu.kind !== 'ascii-table') continue;
          await exercise(fits, hdu);
        }
      }),
      { numRuns: 600, seed: 7 },
    );
    assert.ok(opened > 100, `only ${opened} mutated files could be opened`);
  });
});
