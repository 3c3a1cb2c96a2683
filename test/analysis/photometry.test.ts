import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { aperturePhotometry } from '../../src/analysis/photometry/aperture-photometry.js';
import { circlePixelOverlap, ellipsePixelOverlap } from '../../src/analysis/photometry/exact-overlap.js';
import { exactWeights } from '../../src/analysis/photometry/apertures.js';
import { IMAGE_KEYS, referencePlane, references, relClose } from './fixtures.js';

describe('aperture photometry against photutils 1.6 (exact overlap, 1e-6 relative)', () => {
  for (const key of IMAGE_KEYS) {
    it(`circular and elliptical sums, errors, overlap areas and annulus medians on ${key}`, async () => {
      const { plane, err } = await referencePlane(key);
      const ref = references().images[key]!.results.aperture_photometry;
      const positions = ref.positions as Array<[number, number]>;
      const error = err ? err.data : new Float64Array(plane.data.length).fill(0.5);
      // photutils was given mask = non-finite data or error; do the same
      const mask = new Uint8Array(plane.data.length);
      for (let i = 0; i < mask.length; i++) if (!Number.isFinite(error[i]!)) mask[i] = 1;
      const circ = aperturePhotometry(plane, { positions, aperture: { kind: 'circle', r: ref.r }, error, mask });
      const annulus = aperturePhotometry(plane, { positions, aperture: { kind: 'circle', r: ref.r }, annulus: { kind: 'circular-annulus', rIn: ref.r_in, rOut: ref.r_out } });
      const ell = aperturePhotometry(plane, { positions, aperture: { kind: 'ellipse', a: ref.r * 1.3, b: ref.r * 0.7, theta: 0.7 } });
      positions.forEach((_, i) => {
        const check = (name: string, got: number | null, want: number | null, rel: number): void => {
          if (want === null) {
            assert.ok(got === null || !Number.isFinite(got) || got === 0, `${name}[${i}] expected null got ${got}`);
            return;
          }
          assert.ok(got !== null && relClose(got, want, rel, 1e-9), `${name}[${i}]: ${got} vs ${want}`);
        };
        check('circular_sum', circ[i]!.aperture_sum, ref.circular_sum[i], 1e-6);
        check('circular_sum_err', circ[i]!.aperture_sum_err, ref.circular_sum_err[i], 1e-6);
        check('area_overlap', annulus[i]!.area_overlap, ref.area_overlap[i], 1e-9);
        check('annulus_median', annulus[i]!.annulus_median, ref.annulus_median[i], 1e-9);
        check('elliptical_sum', ell[i]!.aperture_sum, ref.elliptical_sum[i], 1e-6);
      });
    });
  }

  it('exact overlap weights sum to the geometric area and handle tangent and tiny apertures', () => {
    for (const [x, y, r] of [[10.3, 7.81, 3.7], [0, 0, 0.3], [5.5, 5.5, 2], [3.2, 9.9, 12.25]] as const) {
      const w = exactWeights({ kind: 'circle', r }, x, y);
      const sum = w.weights.reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sum - Math.PI * r * r) < 1e-10, `circle r=${r}: ${sum}`);
    }
    const e = exactWeights({ kind: 'ellipse', a: 6.5, b: 2.25, theta: 1.1 }, 20.4, 11.7);
    assert.ok(Math.abs(e.weights.reduce((a, b) => a + b, 0) - Math.PI * 6.5 * 2.25) < 1e-10);
    assert.equal(circlePixelOverlap(-0.5, -0.5, 10), 1);
    assert.equal(circlePixelOverlap(20, 20, 3), 0);
    // a circle of radius 0.5 centred in a pixel lies entirely inside it
    assert.ok(Math.abs(circlePixelOverlap(-0.5, -0.5, 0.5) - Math.PI / 4) < 1e-14);
    // an ellipse with a = b is a circle
    assert.ok(Math.abs(ellipsePixelOverlap(0.3, -0.2, 1.7, 1.7, 0.4) - circlePixelOverlap(0.3, -0.2, 1.7)) < 1e-14);
  });
});
