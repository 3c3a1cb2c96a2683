/** Which plane an analysis reads: cube slice choice and plane options per HDU. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { choosePlane, planeOptions } from '../../src/analysis/image-file.js';
import type { Hdu } from '../../src/fits/index.js';

const hduWithAxes = (axes: number[]) => ({ axes }) as unknown as Hdu;

describe('choosePlane / planeOptions', () => {
  it('a 2-D image has no plane and no slice', () => {
    assert.deepEqual(choosePlane(hduWithAxes([10, 20]), 3), { plane: undefined, slice: null, nSlices: 1 });
  });

  it('a cube reads the middle slice (and the middle of further axes) unless told', () => {
    const cube = hduWithAxes([10, 20, 5, 4]);
    assert.deepEqual(choosePlane(cube, null), { plane: [2, 2], slice: 2, nSlices: 5 });
    assert.deepEqual(choosePlane(cube, -1).slice, 2);
    assert.deepEqual(choosePlane(cube, 4), { plane: [4, 2], slice: 4, nSlices: 5 });
    assert.throws(() => choosePlane(cube, 5), /slice_index 5 out of range \(cube has 5 slices\)/);
  });

  it('plane options follow each HDU\'s own axes (a 2-D ERR beside a cube reads its only plane)', () => {
    assert.deepEqual(planeOptions(hduWithAxes([10, 20, 5, 4]), [4, 2], 100), { plane: [4, 2], maxElements: 100 });
    assert.deepEqual(planeOptions(hduWithAxes([10, 20, 5]), [4, 2]), { plane: [4] });
    assert.deepEqual(planeOptions(hduWithAxes([10, 20]), [4, 2]), {});
  });
});
