/**
 * Region statistics of a FITS image (contract §1.2): the plane of the chosen HDU (first image HDU
 * by default; a cube's middle slice unless slice_index), statistics over a rectangle, ellipse or
 * polygon with an explicit y origin.
 */
import { BadRequestError } from '../errors.js';
import { FitsFile, firstImageHdu, readPlane } from '../fits/index.js';
import { regionStatistics, type Region, type RegionStats, type YOrigin } from './stats/region.js';

export interface RegionFileRequest {
  readonly filePath: string;
  readonly region: Region;
  readonly yOrigin: YOrigin;
  readonly hduIndex?: number;
  readonly sliceIndex?: number | null;
  readonly maxElements?: number;
  readonly maxFileBytes?: number;
}

export async function regionStatisticsOfFile(req: RegionFileRequest): Promise<RegionStats & { width: number; height: number; hdu: number }> {
  const file = await FitsFile.open(req.filePath, req.maxFileBytes ? { maxFileBytes: req.maxFileBytes } : {});
  try {
    const idx = req.hduIndex ?? -1;
    let hdu;
    if (idx < 0) hdu = firstImageHdu(file);
    else if (idx >= file.hdus.length) throw new BadRequestError(`HDU index ${idx} out of range (file has ${file.hdus.length} HDUs)`);
    else hdu = file.hdus[idx];
    if (!hdu || hdu.axes.length < 2 || (hdu.kind !== 'image' && hdu.kind !== 'compressed-image')) throw new BadRequestError('No image data found in FITS file');
    const extra = hdu.axes.slice(2);
    let plane: number[] | undefined;
    if (extra.length) {
      const s = req.sliceIndex === undefined || req.sliceIndex === null || req.sliceIndex < 0 ? Math.floor(extra[0]! / 2) : req.sliceIndex;
      if (s >= extra[0]!) throw new BadRequestError(`slice_index ${s} out of range (cube has ${extra[0]} slices)`);
      plane = [s, ...extra.slice(1).map((n) => Math.floor(n / 2))];
    }
    const image = await readPlane(file, hdu, { ...(plane ? { plane } : {}), ...(req.maxElements ? { maxElements: req.maxElements } : {}) });
    return { ...regionStatistics(image, req.region, req.yOrigin), width: image.width, height: image.height, hdu: hdu.index };
  } finally {
    await file.close();
  }
}
