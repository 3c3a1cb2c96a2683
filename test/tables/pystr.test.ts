/**
 * pyFloat / pyFloat32: the text a search matches is numpy's str() of the cell. Expected strings
 * are numpy 1.24's (str(np.float64(v)), str(np.float32(v))), at the positional/scientific
 * boundaries (1e-4 and 1e16 compared with the value itself) and around them.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pyFloat, pyFloat32 } from '../../src/tables/pystr.js';

const F64: Array<[number, string]> = [
  [1e-5, '1e-05'], [-1.5e-5, '-1.5e-05'], [2.184982888561323e-05, '2.184982888561323e-05'],
  [9.999999999999999e-05, '9.999999999999999e-05'], [1e-4, '0.0001'], [0.000123, '0.000123'], [0.1, '0.1'],
  [1 / 3, '0.3333333333333333'], [5, '5.0'], [-0.5, '-0.5'], [123456.789, '123456.789'], [1e15, '1000000000000000.0'],
  [9999999999999998, '9999999999999998.0'], [1e16, '1e+16'], [2 ** 53, '9007199254740992.0'], [1e21, '1e+21'],
  [1e-7, '1e-07'], [5e-324, '5e-324'], [-0, '-0.0'], [0, '0.0'], [Number.NaN, 'nan'], [-Infinity, '-inf'],
];
const F32: Array<[number, string]> = [
  [9.999999747378752e-06, '1e-05'], [9.999999747378752e-05, '1e-04'], [0.0001230000052601099, '0.000123'],
  [0.10000000149011612, '0.1'], [999999986991104, '1000000000000000.0'], [1.0000000272564224e16, '1e+16'],
  [123456.7890625, '123456.79'],
];

describe('numbers as numpy prints them', () => {
  it('float64', () => {
    for (const [v, s] of F64) assert.equal(pyFloat(v), s, String(v));
  });
  it('float32', () => {
    for (const [v, s] of F32) assert.equal(pyFloat32(v), s, String(v));
  });
});
