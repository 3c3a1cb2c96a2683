/**
 * Signed zeros in column statistics and decoded values (session 13): a column whose values are
 * -0.0 (stored floats, or integers times a negative TSCAL with TZERO 0) reported min/max +0, where
 * astropy/numpy report -0.0. The expected values come from astropy 5.2.1 / numpy 1.24 reading the
 * same file (test/fixtures/fits-table/make-signed-zeros.py). Where a column holds zeros of both
 * signs numpy's answer depends on the order (and its SIMD lanes): there -0 is the min and +0 the
 * max (Math.min/max), one of the answers numpy gives over rotations of the column.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FitsFile } from '../../src/fits/file.js';
import { columnStats, readNumericColumn, readTableRows } from '../../src/fits/table/index.js';
import { FIXTURES_DIR } from '../helpers/paths.js';

interface RefNumber { value: number; negative_zero: boolean }
interface RefColumn {
  min: RefNumber;
  max: RefNumber;
  mean: RefNumber;
  numpy_order_dependent: boolean;
  numpy_zero_signs_over_rotations: [number | null, number | null][];
}
const DIR = join(FIXTURES_DIR, 'fits-table');
const REF = JSON.parse(readFileSync(join(DIR, 'signed-zeros.json'), 'utf8')) as { columns: Record<string, RefColumn> };

const spell = (v: number | null) => (v !== null && Object.is(v, -0) ? '-0' : String(v));
const signOf = (v: number) => (Object.is(v, -0) ? -1 : 1);

async function withFile(body: (file: FitsFile) => Promise<void>): Promise<void> {
  const file = await FitsFile.open(join(DIR, 'signed-zeros.fits'));
  try {
    await body(file);
  } finally {
    await file.close();
  }
}

describe('signed zeros (session 13)', () => {
  it('min, max and mean keep the sign of zero as astropy/numpy give it, for every null mode and block size', () => withFile(async (file) => {
    assert.ok(Object.keys(REF.columns).length >= 10);
    // 1000-byte blocks put the zeros of one column in several blocks; 8 rows of 50 bytes, a block per 20 rows, and so on.
    for (const chunkBytes of [undefined, 1000, 100, 60]) {
      for (const nulls of ['mask', 'raw'] as const) {
        const stats = await columnStats(file, 1, { nulls, chunkBytes });
        for (const [name, ref] of Object.entries(REF.columns)) {
          const s = stats[name];
          assert.ok(s, name);
          const at = `${name} (${nulls}, ${chunkBytes ?? 'default'} bytes)`;
          assert.equal(spell(s.mean), spell(ref.mean.value), `${at} mean`);
          if (!ref.numpy_order_dependent) {
            assert.equal(spell(s.min), spell(ref.min.value), `${at} min`);
            assert.equal(spell(s.max), spell(ref.max.value), `${at} max`);
            continue;
          }
          // Both signs: -0 is the lower, +0 the higher; numpy gave that answer for some order of the same values.
          const got: [number | null, number | null] = [s.min === 0 ? signOf(s.min as number) : null, s.max === 0 ? signOf(s.max as number) : null];
          assert.equal(got[0] === null || got[0] === -1, true, `${at} min of zeros of both signs is -0`);
          assert.equal(got[1] === null || got[1] === 1, true, `${at} max of zeros of both signs is +0`);
          const seen = ref.numpy_zero_signs_over_rotations;
          assert.ok(seen.some(([lo]) => lo === got[0]) && seen.some(([, hi]) => hi === got[1]), `${at}: numpy gave ${JSON.stringify(seen)}`);
        }
      }
    }
  }));

  it('a stored 0 times a negative TSCAL (TZERO 0) reads as -0, a stored -0.0 stays -0, as in astropy', () => withFile(async (file) => {
    for (const nulls of ['mask', 'raw'] as const) {
      assert.equal(spell((await readNumericColumn(file, 1, 'I_NEG_SCALE', { nulls })).values[0] as number), '-0');
      assert.equal(spell((await readNumericColumn(file, 1, 'J_NEG_SCALE', { nulls })).values[0] as number), '-0');
      assert.equal(spell((await readNumericColumn(file, 1, 'D_ALL_NEGZERO', { nulls })).values[0] as number), '-0');
      assert.equal(spell((await readNumericColumn(file, 1, 'I_POS_SCALE', { nulls })).values[0] as number), '0');
    }
  }));
});

/** astropy's reading of ascii-signed-zeros.fits (make-ascii-signed-zeros.py): every value, zeros with their sign. */
interface AsciiRef { rows: string[][]; columns: Record<string, { dtype: string; values: RefNumber[] }> }
const ASCII_REF = JSON.parse(readFileSync(join(DIR, 'ascii-signed-zeros.json'), 'utf8')) as AsciiRef;

describe('signed zeros in ASCII tables (session 14)', () => {
  // An integer field has no sign of zero: astropy parses '-0' as 0, then scales it, so '-0' under
  // TSCAL -1 (TZERO 0) is -0.0. Before, '-0' was parsed as -0 and came out +0 (-0 × -1 + -0).
  it('every field reads as astropy reads it: values, the rows\' cells, and min/max', async () => {
    const file = await FitsFile.open(join(DIR, 'ascii-signed-zeros.fits'));
    try {
      assert.ok(ASCII_REF.rows.some((r) => r[0]?.trim() === '-0'), 'the fixture spells a -0 integer field');
      for (const nulls of ['mask', 'raw'] as const) {
        const rows = await readTableRows(file, 1, { nulls });
        const stats = await columnStats(file, 1, { nulls });
        for (const [name, ref] of Object.entries(ASCII_REF.columns)) {
          const want = ref.values.map((v) => spell(v.negative_zero ? -0 : v.value));
          const values = [...(await readNumericColumn(file, 1, name, { nulls })).values];
          assert.deepEqual(values.map(spell), want, `${name} (${nulls}) readNumericColumn`);
          const j = rows.columns.findIndex((c) => c.name === name);
          assert.deepEqual(rows.rows.map((r) => spell(Number(r[j]))), want, `${name} (${nulls}) readTableRows`);
          const finite = ref.values.map((v) => (v.negative_zero ? -0 : v.value));
          const lo = finite.reduce((a, b) => Math.min(a, b));
          const hi = finite.reduce((a, b) => Math.max(a, b));
          assert.equal(spell(stats[name]?.min as number), spell(lo), `${name} (${nulls}) min`);
          assert.equal(spell(stats[name]?.max as number), spell(hi), `${name} (${nulls}) max`);
        }
      }
    } finally {
      await file.close();
    }
  });
});
