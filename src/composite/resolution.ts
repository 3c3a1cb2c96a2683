/**
 * Resolution matching between instruments (upstream-latest §1.3 step 3d). When channels of more
 * than one instrument are combined (NIRCam at 0.031"/0.063", MIRI at 0.11"), a coarse channel
 * interpolated onto a finer grid shows its pixels; a Gaussian of sigma = its native pixel size
 * smooths them into a PSF-like blur, as the upstream does. Unlike the upstream (defect 8), the
 * native scale is measured from each channel's own WCS (no instrument table, no guess of the
 * NIRCam channel from a wavelength) and sigma is expressed in pixels of the grid actually
 * rendered, so a preview on a coarse grid is not blurred as much as the full-resolution picture.
 * No-coverage pixels (NaN) stay NaN and never leak into the blur (normalised convolution).
 */
import { gaussianFilter } from '../analysis/filters/ndimage.js';

/** Channels whose native scale exceeds the finest by more than this are blurred. */
export const BLUR_RATIO = 1.5;
/** Below this sigma (grid pixels) the blur would not show: skipped. */
const MIN_SIGMA = 0.5;

export interface ChannelResolution {
  /** INSTRUME of the channel's first file, or undefined. */
  readonly instrument: string | undefined;
  /** Finest native pixel size of the channel's files (any unit, the same as `gridScale`). */
  readonly nativeScale: number;
}

/** Blur sigma (grid pixels) per channel; all 0 unless at least two instruments are known. */
export function resolutionSigmas(channels: readonly ChannelResolution[], gridScale: number): number[] {
  const known = new Set(channels.map((c) => c.instrument).filter((v): v is string => !!v));
  if (known.size < 2) return channels.map(() => 0);
  const finest = Math.min(...channels.map((c) => c.nativeScale));
  return channels.map((c) => {
    if (!(c.nativeScale / finest > BLUR_RATIO)) return 0;
    const sigma = c.nativeScale / gridScale;
    return sigma >= MIN_SIGMA ? sigma : 0;
  });
}

/** Gaussian blur of the covered pixels in place (NaN-aware filter: NaN stays NaN and is left out). */
export function blurCovered(data: Float32Array, width: number, height: number, sigma: number): void {
  data.set(gaussianFilter({ width, height, data }, { sigma, mode: 'nearest' }));
}
