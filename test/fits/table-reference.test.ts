/**
 * Every table HDU of the shared corpus against REFERENCE.json (astropy 5.2.1): columns and their
 * keywords, raw row bytes, the first rows and the per-column statistics.
 *
 * Where SOURCES.md lists an astropy 5.2.1 bug for a table, the expected block comes from
 * crosscheck/REFERENCE-astropy-8.0.1.json instead (see KNOWN_5_2_1_BUGS).
 * Rows and statistics are read with `nulls: 'raw'` because astropy's FITS_rec does not mask TNULL.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FitsFile } from '../../src/fits/file.js';
import {
  columnStats,
  describeTable,
  isArrayCell,
  readTableRows,
  type TableCell,
  type TableColumn,
} from '../../src/fits/table/index.js';
import { FIXTURES_DIR } from '../helpers/paths.js';

const CORPUS = join(FIXTURES_DIR, 'fits-corpus');

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
interface RefColumn {
  name: string | null;
  astropy_name?: string;
  format: string;
  unit?: string;
  null?: number | string;
  bscale?: number;
  bzero?: number;
  disp?: string;
  dim?: string;
  start?: number;
}
interface RefTable {
  n_rows: number;
  row_bytes: number;
  columns: RefColumn[];
  raw_rows_hex?: string[];
  first_rows?: Record<string, Json>[];
  column_stats?: Record<string, { min: number | null; max: number | null; mean: number | null; nan_count: number }>;
}
interface RefHdu {
  index: number;
  table?: RefTable;
}
interface RefFile {
  file: string;
  hdus?: RefHdu[];
}

function load(path: string): Map<string, RefFile> {
  const json = JSON.parse(readFileSync(path, 'utf8')) as { files: RefFile[] };
  return new Map(json.files.map((f) => [f.file, f]));
}

const REF = load(join(CORPUS, 'REFERENCE.json'));
const REF8 = load(join(CORPUS, 'crosscheck', 'REFERENCE-astropy-8.0.1.json'));

/**
 * Tables where astropy 5.2.1 is wrong (SOURCES.md, "known astropy 5.2.1 problems"); these are
 * checked against astropy 8.0.1:
 * - 'PL' variable-length logicals returned as raw int8 (84/70/0) instead of booleans;
 * - ASCII-table blank/TNULL real fields read as 0.0 instead of NaN (astropy PR #19025);
 * - the zero-width '0D' column cannot be indexed (8.0.1 returns empty arrays).
 */
const KNOWN_5_2_1_BUGS = new Set([
  'astropy-vla_logical_null.fits:1',
  'cfitsio-testprog.std.fits:5',
  'cfitsio-testprog.std.fits:3',
  'cfitsio-testprog.std.fits:7',
  'astropy-ascii.fits:1',
  'astropy-zerowidth.fits:2',
]);

function close(actual: number, expected: number, rel: number, what: string): void {
  if (Object.is(actual, expected) || actual === expected) return;
  const tol = rel * Math.max(Math.abs(expected), Number.MIN_VALUE);
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} != ${expected}`);
}

/** A scalar of ours against astropy's JSON scalar ("NaN"/"Infinity" strings, [re, im] complex). */
function matchScalar(actual: unknown, expected: Json, col: TableColumn, what: string): void {
  if (expected === 'NaN') return assert.ok(typeof actual === 'number' && Number.isNaN(actual), `${what}: expected NaN, got ${String(actual)}`);
  if (expected === 'Infinity' || expected === '-Infinity') return assert.equal(actual, Number(expected), what);
  if (typeof expected === 'number') {
    // Large 64-bit integers lose precision in JSON.parse; compare as doubles.
    const a = typeof actual === 'bigint' ? Number(actual) : actual;
    assert.equal(typeof a, 'number', `${what}: got ${String(actual)}`);
    return close(a as number, expected, 1e-15, what);
  }
  if (typeof expected === 'boolean') {
    // Logical nulls (0x00) are null for us; astropy reads them as False.
    if (actual === null && expected === false && col.code === 'L') return;
    return assert.equal(actual, expected, what);
  }
  if (typeof expected === 'string') {
    // astropy keeps trailing spaces inside multi-dimensional string arrays; we trim every string.
    return assert.equal(actual, expected.trimEnd(), what);
  }
  if (Array.isArray(expected) && expected.length === 2 && typeof actual === 'object' && actual !== null && 're' in actual) {
    const c = actual as { re: number; im: number };
    matchScalar(c.re, expected[0] as Json, col, `${what}.re`);
    return matchScalar(c.im, expected[1] as Json, col, `${what}.im`);
  }
  assert.fail(`${what}: cannot compare ${JSON.stringify(expected)} with ${String(actual)}`);
}

function matchCell(cell: TableCell, expected: Json, col: TableColumn, what: string): void {
  if (typeof expected === 'string' && expected.startsWith('ERROR:')) return; // astropy could not read it
  if (expected !== null && typeof expected === 'object' && !Array.isArray(expected) && 'shape' in expected) {
    const exp = expected as { shape: number[]; dtype: string; values: Json[] };
    if (typeof cell === 'string') {
      // 'PA' cells: astropy gives an array of single characters, we give the string.
      assert.equal(cell, (exp.values as string[]).join('').trimEnd(), what);
      return;
    }
    assert.ok(isArrayCell(cell), `${what}: expected an array cell, got ${String(cell)}`);
    assert.deepEqual([...cell.shape], exp.shape, `${what} shape`);
    const values = cell.values as ArrayLike<unknown>;
    exp.values.forEach((v, i) => matchScalar(values[i], v, col, `${what}[${i}]`));
    return;
  }
  matchScalar(cell, expected, col, what);
}

function checkColumns(cols: readonly TableColumn[], ref: RefColumn[], where: string): void {
  assert.equal(cols.length, ref.length, `${where}: column count`);
  ref.forEach((rc, j) => {
    const c = cols[j] as TableColumn;
    const what = `${where} column ${j + 1}`;
    if (rc.name === null) {
      assert.equal(c.ttype, null, `${what}: no TTYPE`);
      assert.equal(c.name, rc.astropy_name, `${what}: fallback name`);
    } else assert.equal(c.name, rc.name, `${what} name`);
    assert.equal(c.tform, rc.format, `${what} format`);
    assert.equal(c.unit, rc.unit ?? null, `${what} unit`);
    assert.equal(c.disp, rc.disp ?? null, `${what} disp`);
    assert.equal(c.tscal, rc.bscale ?? 1, `${what} TSCAL`);
    assert.equal(c.tzero, rc.bzero ?? 0, `${what} TZERO`);
    if (rc.null === undefined) assert.equal(c.tnull, null, `${what} TNULL`);
    else assert.equal(typeof c.tnull === 'bigint' ? Number(c.tnull) : c.tnull, rc.null, `${what} TNULL`);
    assert.equal(c.dim === null ? undefined : `(${c.dim.join(',')})`, rc.dim, `${what} TDIM`);
    assert.equal(c.start, rc.start, `${what} TBCOL`);
  });
}

const cases: { file: string; hdu: number; ref: RefTable; source: string }[] = [];
for (const [name, f] of REF) {
  for (const h of f.hdus ?? []) {
    if (!h.table) continue;
    const key = `${name}:${h.index}`;
    const ref8 = REF8.get(name)?.hdus?.find((x) => x.index === h.index)?.table;
    const useNew = KNOWN_5_2_1_BUGS.has(key) && ref8 !== undefined;
    cases.push({ file: name, hdu: h.index, ref: useNew ? (ref8 as RefTable) : h.table, source: useNew ? 'astropy 8.0.1' : 'astropy 5.2.1' });
  }
}

describe('tables of the corpus match REFERENCE.json', () => {
  it('covers every table HDU of the corpus', () => {
    assert.ok(cases.length >= 35, `only ${cases.length} table HDUs found`);
  });

  for (const c of cases) {
    it(`${c.file} HDU ${c.hdu} (${c.source})`, async () => {
      const file = await FitsFile.open(join(CORPUS, c.file));
      try {
        const hdu = file.hdus[c.hdu];
        assert.ok(hdu, 'HDU exists');
        const d = describeTable(hdu);
        assert.equal(d.nRows, c.ref.n_rows, 'n_rows');
        assert.equal(d.rowBytes, c.ref.row_bytes, 'row_bytes');
        checkColumns(d.columns, c.ref.columns, c.file);

        for (const [i, hex] of (c.ref.raw_rows_hex ?? []).entries()) {
          const raw = await file.readBytes(hdu.dataOffset + i * d.rowBytes, hex.length / 2);
          assert.equal(Buffer.from(raw).toString('hex'), hex, `raw row ${i}`);
        }

        const expectedRows = c.ref.first_rows ?? [];
        const got = await readTableRows(file, hdu, { limit: expectedRows.length, nulls: 'raw' });
        assert.equal(got.rows.length, expectedRows.length, 'rows read');
        expectedRows.forEach((row, i) => {
          const keys = Object.keys(row);
          assert.equal(keys.length, d.columns.length, `row ${i} keys`);
          keys.forEach((key, j) => {
            const col = d.columns[j] as TableColumn;
            matchCell((got.rows[i] as TableCell[])[j] as TableCell, row[key] as Json, col, `row ${i} ${key}`);
          });
        });

        const stats = await columnStats(file, hdu, { nulls: 'raw' });
        const refStats = c.ref.column_stats ?? {};
        assert.deepEqual(Object.keys(stats).sort(), Object.keys(refStats).sort(), 'columns with statistics');
        for (const [key, exp] of Object.entries(refStats)) {
          const s = stats[key];
          assert.ok(s);
          assert.equal(s.nan_count, exp.nan_count, `${key} nan_count`);
          for (const k of ['min', 'max', 'mean'] as const) {
            const e = exp[k];
            if (e === null) assert.equal(s[k], null, `${key} ${k}`);
            else close(s[k] as number, e, k === 'mean' ? 1e-12 : 1e-15, `${key} ${k}`);
          }
        }
      } finally {
        await file.close();
      }
    });
  }
});
