/**
 * Region statistics of a FITS image (contract §1.2): the plane of the chosen HDU (first image HDU
 * by default; a cube's middle slice unless slice_index), statistics over a rectangle, ellipse or
 * polygon with an explicit y origin.
 */
import { FitsFile, readPlane } from '../fits/index.js';
import { choosePlane, pickImageHdu, planeOptions } from './image-file.js';
import { regionStatistics, type Region, type RegionStats, type YOrigin } from './stats/region.js';

export interface RegionFileRequest {
  readonly filePath: string;
  readonly region: Region;
  readonly yOrigin: YOrigin;
  readonly hduIndex?: number;
  readonly sliceIndex?: number | null;
  readonly maxElements?: number;
  readonly maxFileBytes?: number;
  /** Largest expansion of a compressed input over its size (0 or unset: none). */
  readonly maxExpansionRatio?: number;
}

export async function regionStatisticsOfFile(req: RegionFileRequest): Promise<RegionStats & { width: number; height: number; hdu: number }> {
  const file = await FitsFile.open(req.filePath, { ...(req.maxFileBytes ? { maxFileBytes: req.maxFileBytes } : {}), maxExpansionRatio: req.maxExpansionRatio ?? 0 });
  try {
    const hdu = pickImageHdu(file, req.hduIndex);
    const { plane } = choosePlane(hdu, req.sliceIndex);
    const image = await readPlane(file, hdu, planeOptions(hdu, plane, req.maxElements));
    return { ...regionStatistics(image, req.region, req.yOrigin), width: image.width, height: image.height, hdu: hdu.index };
  } finally {
    await file.close();
  }
}
