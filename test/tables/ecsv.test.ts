/**
 * The ECSV reader against astropy 5.2.1: test/fixtures/ecsv/*.ecsv were written by astropy and
 * *.expected.json hold what astropy reads back (make_fixtures.py). Every value, unit, format,
 * description and the table meta must be equal.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { cellToJson } from '../../src/fits/table/index.js';
import { parseEcsv } from '../../src/tables/ecsv/parse.js';
import { numpyDtype } from '../../src/tables/ecsv/dtype.js';
import { parsePyJson } from '../../src/tables/ecsv/json-values.js';
import type { EcsvColumn, LogicalColumn } from '../../src/tables/ecsv/types.js';

const DIR = fileURLToPath(new URL('../fixtures/ecsv/', import.meta.url));

interface ExpectedColumn {
  name: string;
  dtype?: string;
  class?: string;
  unit?: string | null;
  format?: string | null;
  description?: string | null;
  shape?: number[];
  frame?: string;
  scale?: string;
}
interface Expected {
  n_rows: number;
  columns: ExpectedColumn[];
  values: Record<string, unknown>;
  meta: Record<string, unknown>;
}

function load(name: string) {
  const table = parseEcsv(readFileSync(`${DIR}${name}.ecsv`, 'utf8'));
  const expected = JSON.parse(readFileSync(`${DIR}${name}.expected.json`, 'utf8')) as Expected;
  return { table, expected };
}

function values(c: EcsvColumn): unknown[] {
  return c.cells.map((cell) => (c.elementType === 'json' && typeof cell === 'string' ? JSON.parse(JSON.stringify(parsePyJson(cell), (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))) : cellToJson(cell, { nan: 'string' })));
}

function dtypeOf(c: EcsvColumn): string {
  const d = numpyDtype(c);
  return d.startsWith('<U') ? 'str' : d;
}

function checkTable(name: string): void {
  const { table, expected } = load(name);
  assert.equal(table.nRows, expected.n_rows);
  assert.deepEqual(table.logical.map((c) => c.name), expected.columns.map((c) => c.name));
  assert.deepEqual(table.meta, expected.meta);
  expected.columns.forEach((e, k) => {
    const got = table.logical[k] as LogicalColumn;
    const want = expected.values[e.name];
    if (e.class === 'SkyCoord') {
      assert.equal(got.kind, 'skycoord', e.name);
      if (got.kind !== 'skycoord') return;
      assert.equal(got.frame, e.frame);
      const w = want as { lon: number[]; lat: number[] };
      assert.deepEqual(got.components[0]?.column.cells, w.lon, `${e.name} lon`);
      assert.deepEqual(got.components[1]?.column.cells, w.lat, `${e.name} lat`);
      return;
    }
    if (e.class === 'Time') {
      assert.equal(got.kind, 'time', e.name);
      if (got.kind !== 'time') return;
      assert.equal(got.format, e.format);
      assert.equal(got.scale, e.scale);
      assert.deepEqual(got.value?.cells, (want as { value: unknown[] }).value);
      return;
    }
    assert.equal(got.kind, 'plain', e.name);
    if (got.kind !== 'plain') return;
    const c = got.column;
    assert.equal(dtypeOf(c), e.dtype, `${e.name} dtype`);
    assert.equal(c.unit, e.unit ?? null, `${e.name} unit`);
    assert.equal(c.format, e.format ?? null, `${e.name} format`);
    assert.equal(c.description, e.description ?? null, `${e.name} description`);
    if (c.shape.every((d) => d !== null)) assert.deepEqual(c.shape, e.shape, `${e.name} shape`);
    assert.deepEqual(values(c), want, `${e.name} values`);
  });
}

describe('ECSV reader (astropy 5.2.1 fixtures)', () => {
  it('reads every ECSV datatype, masked values, subtypes and meta as astropy does', () => checkTable('all-types'));
  it('reads the comma-delimited form the same', () => checkTable('all-types-comma'));
  it('rebuilds SkyCoord, Time and Quantity mixin columns', () => checkTable('mixins'));
  it('reads a JWST _cat.ecsv layout (sky_centroid, units, formats, descriptions, meta)', () => checkTable('jwst_cat'));

  it('rejects what is not ECSV with a clear message', () => {
    assert.throws(() => parseEcsv('a b\n1 2\n'), /not a readable ECSV table/);
    assert.throws(() => parseEcsv('# %ECSV 1.0\n# ---\n# datatype:\n# - {name: a, datatype: complex99}\na\n1\n'), /not an ECSV datatype/);
    assert.throws(() => parseEcsv('# %ECSV 1.0\n# ---\n# datatype:\n# - {name: a, datatype: int8}\na\n300\n'), /out of range for int8/);
    assert.throws(() => parseEcsv('# %ECSV 1.0\n# ---\n# datatype:\n# - {name: a, datatype: int8}\nb\n3\n'), /do not match/);
    assert.throws(() => parseEcsv('# %ECSV 1.0\n# ---\n# datatype:\n# - {name: a, datatype: int8}\na\n1 2\n'), /2 fields/);
  });
});
