/** Flux-conserving reprojection against reproject 0.10's reproject_exact. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ExactReprojector } from '../../src/reproject/index.js';
import { Wcs } from '../../src/wcs/index.js';
import { caseNamed, decode, formulaPlane, wcsOf, type FixtureInput } from './fixture.js';

interface ExactCase {
  input: FixtureInput;
  output_header: Record<string, number | string>;
  data: Array<number | null>;
  footprint: Array<number | null>;
}

describe('exact (area-overlap) reprojection vs reproject_exact', () => {
  it('tan-exact: same values on fully covered pixels, same partial coverage', () => {
    const c = caseNamed<ExactCase>('tan-exact');
    const out = c.output_header;
    const w = out.NAXIS1 as number;
    const h = out.NAXIS2 as number;
    const data = new Float64Array(w * h);
    const fp = new Float32Array(w * h);
    new ExactReprojector({ plane: formulaPlane(c.input), wcs: wcsOf(c.input.header) }, new Wcs(wcsOf(out))).run({ x0: 0, y0: 0, x1: w, y1: h }, data, fp);
    const want = decode(c.data);
    const wantFp = decode(c.footprint);
    let worst = 0;
    let worstFp = 0;
    for (let i = 0; i < want.length; i++) {
      worstFp = Math.max(worstFp, Math.abs(fp[i]! - (wantFp[i] ?? 0)));
      if (wantFp[i]! > 0.999) worst = Math.max(worst, Math.abs(data[i]! - want[i]!) / Math.abs(want[i]!));
    }
    // Straight edges in the input pixel plane are exact for TAN; reproject clips on the sphere.
    assert.ok(worst < 1e-5, `worst relative error ${worst}`);
    assert.ok(worstFp < 1e-3, `worst footprint difference ${worstFp}`);
  });
});
