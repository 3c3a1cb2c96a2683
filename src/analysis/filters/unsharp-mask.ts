/**
 * Unsharp masking as the original `unsharp_mask(sigma=2, amount=1)`: x + amount * (x - blur(x)),
 * the blur being astropy `convolve` with a Gaussian2DKernel(sigma) (NaN interpolated), so no-data
 * pixels stay NaN and do not darken their neighbours.
 */
import type { ImagePlane } from '../../core/image-plane.js';
import { astropyConvolveSeparable, gaussianKernel1d } from './astropy-convolve.js';

export function unsharpMask(plane: ImagePlane, sigma = 2.0, amount = 1.0): Float64Array {
  const k = gaussianKernel1d(sigma);
  const blur = astropyConvolveSeparable(plane, k, k, { nanTreatment: 'interpolate', boundary: 'fill', fillValue: 0 });
  const out = new Float64Array(plane.data.length);
  for (let i = 0; i < out.length; i++) {
    const x = plane.data[i]!;
    out[i] = x + amount * (x - blur[i]!);
  }
  return out;
}
