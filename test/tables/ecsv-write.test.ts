/**
 * The ECSV writer: its output for the sample tables (test/fixtures/ecsv/written/sample.ts) is the
 * committed file astropy 5.2.1 read back (check_astropy.py -> *.astropy.json), and our reader
 * reads it to the same values, units, formats, descriptions and meta.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { cellToJson } from '../../src/fits/table/index.js';
import { parseEcsv } from '../../src/tables/ecsv/parse.js';
import { numpyDtype } from '../../src/tables/ecsv/dtype.js';
import { sampleCatalog, sampleTable } from '../fixtures/ecsv/written/sample.js';

const DIR = fileURLToPath(new URL('../fixtures/ecsv/written/', import.meta.url));

interface AstropyRead {
  columns: { name: string; dtype: string; unit: string | null; format: string | null; description: string | null }[];
  values: Record<string, unknown[]>;
  meta: Record<string, unknown>;
}

function check(name: string, text: string): void {
  assert.equal(text, readFileSync(`${DIR}${name}.ecsv`, 'utf8'), 'the writer still writes the file astropy was checked on');
  const astropy = JSON.parse(readFileSync(`${DIR}${name}.astropy.json`, 'utf8')) as AstropyRead;
  const t = parseEcsv(text);
  assert.deepEqual(t.meta, astropy.meta);
  assert.deepEqual(t.columns.map((c) => c.name), astropy.columns.map((c) => c.name));
  t.columns.forEach((c, k) => {
    const a = astropy.columns[k]!;
    const dtype = numpyDtype(c);
    assert.equal(dtype.startsWith('<U') ? 'str' : dtype, a.dtype, c.name);
    assert.deepEqual([c.unit, c.format, c.description], [a.unit, a.format, a.description], c.name);
    assert.deepEqual(c.cells.map((v) => cellToJson(v, { nan: 'string' })), astropy.values[c.name], c.name);
  });
}

describe('ECSV writer (read back by astropy 5.2.1)', () => {
  it('writes every scalar datatype, masked values, units, formats, descriptions and meta', () => check('catalog', sampleTable()));
  it('writes engine catalogues (find_stars rows) as ECSV', () => check('find_stars', sampleCatalog()));
});
