/**
 * A source catalogue from a segmentation map, with photutils `SourceCatalog` definitions:
 * centroid = first moments of the (background-subtracted) data inside the segment (masked, NaN
 * and negative pixels count as 0, which keeps the variances positive); covariance = second central moments / M00, with SourceExtractor's 1/12
 * added to the diagonal while the determinant is below (1/12)^2; semimajor/semiminor sigma =
 * sqrt of its eigenvalues; orientation = 0.5*atan2(2 cxy, cxx - cyy) in degrees from +x;
 * ellipticity = 1 - b/a; eccentricity = sqrt(1 - b^2/a^2). Positions are 0-based pixel
 * coordinates (x column, y row from the bottom, pixel centres at integers) as photutils.
 */
import type { SegmentationImage } from './segmentation-image.js';
import { labelBoxes } from './label.js';
import { throwIfCancelled } from '../../core/cancellation.js';

export interface SourceRow {
  label: number;
  xcentroid: number;
  ycentroid: number;
  bbox_xmin: number;
  bbox_xmax: number;
  bbox_ymin: number;
  bbox_ymax: number;
  area: number;
  segment_flux: number;
  segment_fluxerr: number | null;
  max_value: number;
  min_value: number;
  semimajor_sigma: number;
  semiminor_sigma: number;
  orientation: number;
  ellipticity: number;
  elongation: number;
  eccentricity: number;
  fwhm: number;
  sky_centroid_ra: number | null;
  sky_centroid_dec: number | null;
}

export interface CatalogOptions {
  /** Background to subtract (scalar or per pixel). */
  readonly background?: number | ArrayLike<number>;
  /** Per-pixel 1-sigma errors: segment_fluxerr = sqrt(sum err^2). */
  readonly error?: ArrayLike<number>;
  /** 0-based pixel -> [ra, dec] degrees, when the image has a celestial WCS. */
  readonly pixelToWorld?: (x: number, y: number) => readonly [number, number];
}

export function sourceCatalog(data: ArrayLike<number>, segm: SegmentationImage, options: CatalogOptions = {}): SourceRow[] {
  const { width, labels, nlabels } = segm;
  const boxes = labelBoxes(labels, width, nlabels);
  const bkg = options.background;
  const value = (i: number): number => {
    const v = data[i]!;
    const b = bkg === undefined ? 0 : typeof bkg === 'number' ? bkg : bkg[i]!;
    return v - b;
  };
  const rows: SourceRow[] = [];
  for (let l = 1; l <= nlabels; l++) {
    if ((l & 255) === 0) throwIfCancelled();
    const x0 = boxes[l * 4]!;
    const x1 = boxes[l * 4 + 1]!;
    const y0 = boxes[l * 4 + 2]!;
    const y1 = boxes[l * 4 + 3]!;
    let m00 = 0;
    let m10 = 0;
    let m01 = 0;
    let area = 0;
    let flux = 0;
    let err2 = 0;
    let max = -Infinity;
    let min = Infinity;
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const i = y * width + x;
        if (labels[i] !== l) continue;
        area++;
        const v = value(i);
        if (!Number.isFinite(v)) continue;
        flux += v;
        if (v > max) max = v;
        if (v < min) min = v;
        if (options.error) err2 += options.error[i]! ** 2;
        if (v < 0) continue;
        // moments relative to the cutout origin, as photutils
        m00 += v;
        m10 += v * (x - x0);
        m01 += v * (y - y0);
      }
    }
    const cx = m10 / m00;
    const cy = m01 / m00;
    let mu20 = 0;
    let mu02 = 0;
    let mu11 = 0;
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const i = y * width + x;
        if (labels[i] !== l) continue;
        const v = value(i);
        if (!Number.isFinite(v) || v < 0) continue;
        const dx = x - x0 - cx;
        const dy = y - y0 - cy;
        mu20 += v * dx * dx;
        mu02 += v * dy * dy;
        mu11 += v * dx * dy;
      }
    }
    let cxx = mu20 / m00;
    let cyy = mu02 / m00;
    const cxy = mu11 / m00;
    const delta = 1 / 12;
    if (Number.isFinite(cxx) && Number.isFinite(cyy) && Number.isFinite(cxy)) {
      while (cxx * cyy - cxy * cxy < delta * delta) {
        cxx += delta;
        cyy += delta;
      }
    }
    // eigenvalues of [[cxx, cxy], [cxy, cyy]]
    const tr = (cxx + cyy) / 2;
    const disc = Math.sqrt(((cxx - cyy) / 2) ** 2 + cxy * cxy);
    const a = Math.sqrt(tr + disc);
    const b = Math.sqrt(Math.max(0, tr - disc));
    const xc = x0 + cx;
    const yc = y0 + cy;
    let ra: number | null = null;
    let dec: number | null = null;
    if (options.pixelToWorld && Number.isFinite(xc) && Number.isFinite(yc)) {
      const [r, d] = options.pixelToWorld(xc, yc);
      ra = r;
      dec = d;
    }
    rows.push({
      label: l,
      xcentroid: xc,
      ycentroid: yc,
      bbox_xmin: x0,
      bbox_xmax: x1,
      bbox_ymin: y0,
      bbox_ymax: y1,
      area,
      segment_flux: flux,
      segment_fluxerr: options.error ? Math.sqrt(err2) : null,
      max_value: max,
      min_value: min,
      semimajor_sigma: a,
      semiminor_sigma: b,
      orientation: (0.5 * Math.atan2(2 * cxy, cxx - cyy) * 180) / Math.PI,
      ellipticity: 1 - b / a,
      elongation: a / b,
      eccentricity: Math.sqrt(1 - (b * b) / (a * a)),
      fwhm: 2 * Math.sqrt(2 * Math.log(2)) * Math.sqrt((a * a + b * b) / 2),
      sky_centroid_ra: ra,
      sky_centroid_dec: dec,
    });
  }
  return rows;
}
