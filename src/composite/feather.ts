/**
 * Seam feathering between instruments (upstream-latest §1.3 step 8): inside the coverage of a
 * minority instrument, the picture fades from the majority-only combination at the coverage edge
 * to the full combination `radius` pixels in, along a smoothstep of the distance to the edge.
 * Distances use a two-pass chamfer transform (1, sqrt 2), close to the Euclidean one.
 */

/** Distance (pixels) of every covered pixel to the nearest uncovered one or the grid edge. */
export function edgeDistance(covered: Uint8Array, width: number, height: number): Float32Array {
  const d = new Float32Array(width * height);
  const far = width + height;
  const D = Math.SQRT2;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (!covered[i]) { d[i] = 0; continue; }
      let v = far;
      v = Math.min(v, x > 0 ? d[i - 1]! + 1 : 1);
      v = Math.min(v, y > 0 ? d[i - width]! + 1 : 1);
      v = Math.min(v, x > 0 && y > 0 ? d[i - width - 1]! + D : D);
      v = Math.min(v, x < width - 1 && y > 0 ? d[i - width + 1]! + D : D);
      d[i] = v;
    }
  }
  for (let y = height - 1; y >= 0; y--) {
    for (let x = width - 1; x >= 0; x--) {
      const i = y * width + x;
      if (!covered[i]) continue;
      let v = d[i]!;
      v = Math.min(v, x < width - 1 ? d[i + 1]! + 1 : 1);
      v = Math.min(v, y < height - 1 ? d[i + width]! + 1 : 1);
      v = Math.min(v, x < width - 1 && y < height - 1 ? d[i + width + 1]! + D : D);
      v = Math.min(v, x > 0 && y < height - 1 ? d[i + width - 1]! + D : D);
      d[i] = v;
    }
  }
  return d;
}

/** Feather weight 0..1 per pixel (smoothstep of distance / radius); undefined when no seam. */
export function featherMask(covered: Uint8Array, width: number, height: number, radius: number): Float32Array | undefined {
  let count = 0;
  for (let i = 0; i < covered.length; i++) count += covered[i]!;
  if (count >= 0.95 * covered.length) return undefined;
  const d = edgeDistance(covered, width, height);
  for (let i = 0; i < d.length; i++) {
    const t = Math.min(1, d[i]! / radius);
    d[i] = t * t * (3 - 2 * t);
  }
  return d;
}

/** Automatic feather strength from the instruments' pixel scales (upstream: min(0.3, 0.05 max/min)). */
export function autoFeatherStrength(scales: readonly number[]): number {
  return Math.min(0.3, (0.05 * Math.max(...scales)) / Math.min(...scales));
}

/** Native pixel scale (arcsec) of an instrument (upstream app/instruments.py). */
export function instrumentScale(instrument: string, wavelengthUm?: number): number {
  const name = instrument.toUpperCase().split('/')[0]!.trim();
  switch (name) {
    case 'NIRCAM': return wavelengthUm !== undefined && wavelengthUm >= 2.4 ? 0.063 : 0.031;
    case 'MIRI': return 0.111;
    case 'NIRISS': return 0.065;
    case 'NIRSPEC': return 0.1;
    default: return 0.065;
  }
}
