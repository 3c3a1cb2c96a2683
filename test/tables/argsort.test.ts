/**
 * argsortNumbers (the radix argsort behind sorting a table by a number column) against a stable
 * comparator sort: NaN last in both directions, -0 equal to 0, ties in the order given, on all
 * rows and on a subset (a search's matches), with keys whose digits are constant (skipped passes).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { argsortNumbers } from '../../src/tables/argsort.js';

function reference(keys: Float64Array, descending: boolean, rows?: Uint32Array): number[] {
  const order = rows ? Array.from(rows) : Array.from(keys, (_, i) => i);
  const present = order.filter((r) => !Number.isNaN(keys[r]));
  const missing = order.filter((r) => Number.isNaN(keys[r]));
  const sign = descending ? -1 : 1;
  // Array.prototype.sort is stable; -0 and 0 compare equal here.
  present.sort((a, b) => sign * ((keys[a] as number) < (keys[b] as number) ? -1 : (keys[a] as number) > (keys[b] as number) ? 1 : 0));
  return [...present, ...missing];
}

function random(seed: number): () => number {
  let s = seed;
  return () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
}

const SPECIAL = [0, -0, Infinity, -Infinity, Number.NaN, Number.MIN_VALUE, -Number.MIN_VALUE, Number.MAX_VALUE, -Number.MAX_VALUE, 1, -1, 2 ** 53, -(2 ** 53)];

function keySets(): Array<[string, Float64Array]> {
  const r = random(3);
  return [
    ['wide random floats with specials', Float64Array.from({ length: 20_000 }, (_, i) => (i % 7 === 0 ? (SPECIAL[i % SPECIAL.length] as number) : (r() - 0.5) * 10 ** Math.floor(r() * 40 - 20)))],
    ['few distinct values (ties)', Float64Array.from({ length: 5_000 }, () => Math.floor(r() * 5) - 2)],
    ['small integers (constant high digits)', Float64Array.from({ length: 5_000 }, () => Math.floor(r() * 1000))],
    ['one value', new Float64Array(100).fill(42)],
    ['all missing', new Float64Array(10).fill(Number.NaN)],
    ['empty', new Float64Array(0)],
  ];
}

describe('argsortNumbers', () => {
  for (const [name, keys] of keySets()) {
    for (const descending of [false, true]) {
      it(`${name}, ${descending ? 'descending' : 'ascending'}: all rows and a subset as a stable sort`, () => {
        assert.deepEqual(Array.from(argsortNumbers(keys, descending)), reference(keys, descending));
        const subset = Uint32Array.from({ length: Math.floor(keys.length / 3) }, (_, i) => (i * 7919) % keys.length);
        assert.deepEqual(Array.from(argsortNumbers(keys, descending, subset)), reference(keys, descending, subset));
      });
    }
  }
});
