/**
 * GET /fits/cutout: a rectangle of one image plane as a new FITS file. The pixels are the physical
 * values (float32, or float64 when the source needs it), BSCALE/BZERO/BLANK dropped, and every
 * CRPIXi (and alternates CRPIXia, IRAF LTVi) shifted by the cutout's origin so the WCS keeps
 * pointing at the same sky. The region is clipped to the image; an empty overlap is a 400.
 */
import { BadRequestError } from '../../errors.js';
import { encodeFits, readPlane } from '../../fits/index.js';
import { pickImageHdu } from './image-hdu.js';
import { chooseSlice } from '../cube-info.js';
import { imageTooLarge, openFits, type ViewerLimits } from './source.js';

export interface CutoutRequest {
  readonly path: string;
  readonly hdu?: string | number;
  /** 0-based column and row of the cutout's first pixel (FITS pixel x+1, y+1). */
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly sliceIndex: number;
  readonly limits: ViewerLimits;
}

export interface CutoutResult {
  readonly fits: Uint8Array;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly hdu: number;
}

export async function cutoutFile(req: CutoutRequest): Promise<CutoutResult> {
  const file = await openFits(req.path, req.limits);
  try {
    const hdu = pickImageHdu(file.hdus, req.hdu);
    const W = hdu.axes[0]!;
    const H = hdu.axes[1]!;
    const x0 = Math.max(0, req.x);
    const y0 = Math.max(0, req.y);
    const x1 = Math.min(W, req.x + req.width);
    const y1 = Math.min(H, req.y + req.height);
    if (x1 <= x0 || y1 <= y0) {
      throw new BadRequestError(`Cutout [${req.x}, ${req.x + req.width}) x [${req.y}, ${req.y + req.height}) does not overlap the ${W}x${H} image`, 'EMPTY_CUTOUT');
    }
    const w = x1 - x0;
    const h = y1 - y0;
    if (w * h > req.limits.maxElements) throw imageTooLarge(w * h, req.limits.maxElements);
    // Rows are read whole (FITS stores rows contiguously); the row band must fit the decode limit.
    if (W * h > req.limits.maxElements) throw imageTooLarge(W * h, req.limits.maxElements);
    const slice = chooseSlice(hdu.axes, req.sliceIndex);
    // Only the cutout's columns are read (one read per row): on object storage, ranged GETs of its own bytes.
    const cols: [number, number] | undefined = hdu.kind === 'image' ? [x0, x1] : undefined;
    const band = await readPlane(file, hdu, { plane: slice.plane, rows: [y0, y1], maxElements: req.limits.maxElements, ...(cols ? { cols } : {}) });
    const rowWidth = cols ? w : W;
    const left = cols ? 0 : x0;
    const data = band.data instanceof Float32Array ? new Float32Array(w * h) : new Float64Array(w * h);
    for (let r = 0; r < h; r++) data.set(band.data.subarray(r * rowWidth + left, r * rowWidth + left + w), r * w);

    const header = hdu.header.clone();
    for (const card of hdu.header.cards) {
      const m = /^(CRPIX|LTV)([12])([A-Z]?)$/.exec(card.keyword);
      if (!m || typeof card.value !== 'number') continue;
      const shift = m[2] === '1' ? x0 : y0;
      // CRPIX and IRAF's LTV both move by minus the origin of the cutout.
      header.set(card.keyword, card.value - shift, card.comment, { float: true });
    }
    header.add({ keyword: 'HISTORY', value: `cutout x=${x0}:${x1} y=${y0}:${y1} of HDU ${hdu.index}${slice.plane.length ? ` plane ${slice.plane.join(',')}` : ''}` });
    const fits = await encodeFits([{ axes: [w, h], data, header }]);
    return { fits: new Uint8Array(fits.buffer, fits.byteOffset, fits.byteLength), x: x0, y: y0, width: w, height: h, hdu: hdu.index };
  } finally {
    await file.close();
  }
}
