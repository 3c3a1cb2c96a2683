/** reprojectInterp against reproject 0.10's reproject_interp on the same inputs (fixtures). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { reprojectInterp, type Interpolation } from '../../src/reproject/index.js';
import { compareCovered, decode, formulaPlane, interpCases, wcsOf } from './fixture.js';

const ORDERS: Record<string, Interpolation> = { bilinear: 'bilinear', 'nearest-neighbor': 'nearest', bicubic: 'bicubic' };

describe('reprojectInterp vs reproject 0.10 reproject_interp', () => {
  for (const c of interpCases()) {
    it(`${c.name} (${c.order})`, () => {
      const out = c.output_header;
      const result = reprojectInterp(
        { plane: formulaPlane(c.input), wcs: wcsOf(c.input.header) },
        { wcs: wcsOf(out), width: out.NAXIS1 as number, height: out.NAXIS2 as number },
        { order: ORDERS[c.order]! },
      );
      const want = decode(c.data);
      const wantFp = decode(c.footprint);
      compareCovered(result.data, want, 1e-5, c.name, result.footprint, wantFp);
      assert.ok(wantFp.some((v) => v > 0), 'reference covers something');
      for (let i = 0; i < wantFp.length; i++) assert.equal(result.footprint[i], wantFp[i], `footprint at ${i}`);
    });
  }
});
