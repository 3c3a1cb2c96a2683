/** The lattice-interpolated pixel mapping equals the exact per-pixel mapping, also at projection edges. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { reprojectInterp } from '../../src/reproject/index.js';
import { parseWcs, recordHeader } from '../../src/wcs/index.js';

function plane(w: number, h: number) {
  const data = new Float64Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = Math.sin(x * 0.05) + Math.cos(y * 0.07) + 3;
  return { width: w, height: h, data };
}

const cases = [
  {
    name: 'all-sky CAR -> AIT (edges of the ellipse, far side)',
    input: { NAXIS: 2, CTYPE1: 'GLON-CAR', CTYPE2: 'GLAT-CAR', CRPIX1: 180.5, CRPIX2: 90.5, CRVAL1: 0, CRVAL2: 0, CDELT1: -1, CDELT2: 1 },
    inSize: [360, 180],
    output: { NAXIS: 2, CTYPE1: 'GLON-AIT', CTYPE2: 'GLAT-AIT', CRPIX1: 200.5, CRPIX2: 100.5, CRVAL1: 30, CRVAL2: 10, CDELT1: -0.9, CDELT2: 0.9 },
    outSize: [400, 200],
  },
  {
    name: 'TAN near the pole -> ZEA all-sky (only a cap is covered)',
    input: { NAXIS: 2, CTYPE1: 'RA---TAN', CTYPE2: 'DEC--TAN', CRPIX1: 100.5, CRPIX2: 100.5, CRVAL1: 45, CRVAL2: 80, CDELT1: -0.1, CDELT2: 0.1 },
    inSize: [200, 200],
    output: { NAXIS: 2, CTYPE1: 'RA---ZEA', CTYPE2: 'DEC--ZEA', CRPIX1: 150.5, CRPIX2: 150.5, CRVAL1: 0, CRVAL2: 90, CDELT1: -0.2, CDELT2: 0.2 },
    outSize: [300, 300],
  },
];

describe('lattice pixel mapping', () => {
  for (const c of cases) {
    it(c.name, () => {
      const input = { plane: plane(c.inSize[0]!, c.inSize[1]!), wcs: parseWcs(recordHeader(c.input)) };
      const grid = { wcs: parseWcs(recordHeader(c.output)), width: c.outSize[0]!, height: c.outSize[1]! };
      const fast = reprojectInterp(input, grid);
      const exact = reprojectInterp(input, grid, { exactPositions: true });
      let covered = 0;
      for (let i = 0; i < exact.data.length; i++) {
        assert.equal(fast.footprint[i], exact.footprint[i], `footprint ${i}`);
        if (exact.footprint[i]) {
          covered++;
          assert.ok(Math.abs(fast.data[i]! - exact.data[i]!) < 1e-8, `value ${i}: ${fast.data[i]} vs ${exact.data[i]}`);
        }
      }
      assert.ok(covered > 1000 && covered < exact.data.length, `covered ${covered}`);
    });
  }
});
