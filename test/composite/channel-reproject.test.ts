/**
 * Each composite channel's reprojection against reproject 0.10's reproject_interp (bilinear) on
 * the fixture cases of test/reproject (made by test/fixtures/reproject's script): the channel data
 * equals the reference to 1e-5 on covered pixels, NaN where the reference has no coverage.
 */
import { describe, it } from 'node:test';
import { channelOnGrid } from '../../src/composite/channel-data.js';
import { Header } from '../../src/fits/index.js';
import { compareCovered, decode, formulaPlane, interpCases, wcsOf } from '../reproject/fixture.js';

describe('composite channel reprojection vs reproject_interp', () => {
  for (const c of interpCases().filter((k) => k.order === 'bilinear')) {
    it(c.name, async () => {
      const out = c.output_header;
      const grid = { wcs: wcsOf(out), width: out.NAXIS1 as number, height: out.NAXIS2 as number };
      const image = { path: c.name, name: c.name, plane: formulaPlane(c.input), wcs: wcsOf(c.input.header), header: new Header([]) };
      const data = await channelOnGrid([image], grid, false);
      compareCovered(data, decode(c.data), 1e-5, c.name, undefined, decode(c.footprint));
    });
  }
});
