/**
 * Sorting a FITS table by a string column streams the column's bytes and radix-sorts them
 * (argsortFixedStrings): the same order as sorting the strings as they read (code points, cut at
 * NUL, trailing spaces removed), stable, both directions, on a search subset too.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeBinTable } from '../../src/fits/table/index.js';
import { writeFits } from '../../src/fits/writer.js';
import { openTables } from '../../src/tables/index.js';
import { argsortFixedStrings } from '../../src/tables/argsort.js';

function names(n: number): string[] {
  let seed = 11;
  const rand = (k: number): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) % k);
  const out: string[] = [];
  const alphabet = 'aAbB0 -_zZ~';
  for (let i = 0; i < n; i++) {
    // shared long prefixes (longer than one 6-byte pass), duplicates, empty strings, spaces inside
    const prefix = ['jw02731-o001_t017_', 'jw02731-o001_t01', 'NGC ', ''][rand(4)]!;
    let tail = '';
    for (let k = rand(6); k > 0; k--) tail += alphabet[rand(alphabet.length)];
    out.push((prefix + tail).trimEnd());
  }
  return out;
}

function expectedOrder(values: string[], descending: boolean, subset?: number[]): number[] {
  const rows = subset ?? values.map((_, i) => i);
  const sign = descending ? -1 : 1;
  return [...rows].sort((a, b) => {
    const x = values[a]!;
    const y = values[b]!;
    return (x < y ? -sign : x > y ? sign : 0) || rows.indexOf(a) - rows.indexOf(b);
  });
}

describe('string sort in bounded memory', () => {
  let dir: string;
  const values = names(3000);
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'string-sort-'));
    const table = encodeBinTable([
      { name: 'ID', values: Int32Array.from(values, (_, i) => i) },
      { name: 'NAME', values, format: '24A' },
    ]);
    await writeFits(join(dir, 't.fits'), [{ axes: [] }, { type: 'table', ...table }]);
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  for (const descending of [false, true]) {
    it(`sorts a 24A column ${descending ? 'descending' : 'ascending'} like the strings, stably`, async () => {
      const opened = await openTables(join(dir, 't.fits'), { maxFileBytes: 1e9 });
      try {
        const t = opened.table(1);
        assert.deepEqual(Array.from(await t.argsort(1, descending)), expectedOrder(values, descending));
        const subset = Uint32Array.from({ length: 500 }, (_, i) => (i * 7) % values.length);
        assert.deepEqual(Array.from(await t.argsort(1, descending, subset)), expectedOrder(values, descending, Array.from(subset)));
      } finally {
        await opened.close();
      }
    });
  }

  it('cuts at NUL and ignores trailing spaces, as the strings read', () => {
    const enc = new TextEncoder();
    const cells = ['b\0zz', 'b  ', 'a\t', 'a', '', 'a b'];
    const bytes = new Uint8Array(cells.length * 4);
    cells.forEach((c, i) => bytes.set(enc.encode(c.padEnd(4, ' ')).subarray(0, 4), i * 4));
    // read: 'b', 'b', 'a\t', 'a', '', 'a b' -> '', 'a', 'a\t', 'a b', 'b', 'b'
    assert.deepEqual(Array.from(argsortFixedStrings(bytes, 4, false)), [4, 3, 2, 5, 0, 1]);
  });
});
