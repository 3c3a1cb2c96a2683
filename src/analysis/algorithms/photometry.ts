/** aperture_photometry: circular or elliptical apertures, exact overlap, optional annulus background and ERR errors. */
import { Type } from 'typebox';
import { ValidationError } from '../../errors.js';
import { aperturePhotometry } from '../photometry/aperture-photometry.js';
import type { ApertureShape } from '../photometry/apertures.js';
import { defineAlgorithm } from '../registry.js';
import { AnyResult, NullableNumber, jsonRow, num } from './common.js';

/** Schema ceiling of `positions` (the HTTP engine's MAX_PHOTOMETRY_POSITIONS is at most this). */
export const MAX_APERTURE_POSITIONS = 100_000;

export const aperturePhotometryAlgorithm = defineAlgorithm({
  name: 'aperture_photometry',
  description:
    'photutils aperture_photometry with method "exact": circular (r) or elliptical (a, b, theta) apertures at 0-based pixel positions; optional local background from an annulus (r_in, r_out; sigma-clipped median of the pixels centred in it); errors from the ERR extension when present. No-data pixels are masked.',
  inputs: ['image', 'error'],
  outputs: [],
  parameters: Type.Object(
    {
      positions: Type.Array(Type.Tuple([Type.Number({ minimum: -1e9, maximum: 1e9 }), Type.Number({ minimum: -1e9, maximum: 1e9 })]), { minItems: 1, maxItems: MAX_APERTURE_POSITIONS, description: '[[x, y], ...] 0-based pixel coordinates, pixel centres at integers, y from the bottom row (at most MAX_PHOTOMETRY_POSITIONS, default 10000, over HTTP)' }),
      shape: Type.Union([Type.Literal('circle'), Type.Literal('ellipse')], { default: 'circle' }),
      r: Type.Number({ default: 3.0, exclusiveMinimum: 0, maximum: 10000 }),
      a: NullableNumber('Ellipse semi-major axis (pixels)', { exclusiveMinimum: 0, maximum: 10000 }),
      b: NullableNumber('Ellipse semi-minor axis (pixels)', { exclusiveMinimum: 0, maximum: 10000 }),
      theta: Type.Number({ default: 0, description: 'Ellipse rotation, radians counter-clockwise from +x' }),
      r_in: NullableNumber('Annulus inner radius (pixels); null = no background subtraction', { minimum: 0, maximum: 10000 }),
      r_out: NullableNumber('Annulus outer radius (pixels)', { exclusiveMinimum: 0, maximum: 10000 }),
      sigma: Type.Union([Type.Number({ exclusiveMinimum: 0 }), Type.Null()], { default: 3.0, description: 'Sigma clipping of the annulus pixels (null = none)' }),
      use_error: Type.Boolean({ default: true, description: 'Use the ERR extension for aperture_sum_err when the file has one' }),
    },
    { additionalProperties: false },
  ),
  result: AnyResult,
  run(input, p) {
    let aperture: ApertureShape;
    let annulus: ApertureShape | undefined;
    if (p.shape === 'circle') aperture = { kind: 'circle', r: p.r };
    else {
      if (p.a === null || p.b === null) throw new ValidationError("shape 'ellipse' needs parameters 'a' and 'b'");
      aperture = { kind: 'ellipse', a: p.a, b: p.b, theta: p.theta };
    }
    if (p.r_in !== null || p.r_out !== null) {
      if (p.r_in === null || p.r_out === null || !(p.r_out > p.r_in)) throw new ValidationError("an annulus needs both 'r_in' and 'r_out' with r_out > r_in");
      if (p.shape === 'circle') annulus = { kind: 'circular-annulus', rIn: p.r_in, rOut: p.r_out };
      else {
        // elliptical annulus scaled like photutils' EllipticalAnnulus(a_in = r_in, a_out = r_out, b_out = r_out * b/a)
        const q = p.b! / p.a!;
        annulus = { kind: 'elliptical-annulus', aIn: p.r_in, aOut: p.r_out, bIn: p.r_in * q, bOut: p.r_out * q, theta: p.theta };
      }
    }
    const error = p.use_error && input.error ? input.error.data : undefined;
    const rows = aperturePhotometry(input.plane, {
      positions: p.positions,
      aperture,
      annulus,
      error,
      mask: input.mask,
      annulusSigma: p.sigma,
    });
    const out = rows.map((r) => {
      const row = jsonRow(r);
      if (input.pixelToWorld) {
        const [ra, dec] = input.pixelToWorld(r.xcenter, r.ycenter);
        row.ra = num(ra);
        row.dec = num(dec);
      }
      return row;
    });
    return { results: { n_apertures: rows.length, error_source: error ? 'ERR extension' : null, photometry: out } };
  },
});
