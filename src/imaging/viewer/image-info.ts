/**
 * What a tiled viewer needs to lay an image out: the file's image HDUs (SCI, ERR, DQ, WHT, ...),
 * the chosen one's size, slices, units and tile levels, and its sky orientation (centre, pixel
 * scale, North/East directions) for the compass and scale bar; plus the sky grid lines over a
 * region. Header work only: no pixels are decoded.
 */
import { chooseSlice } from '../cube-info.js';
import { skyGrid, type PixelRect, type SkyGrid } from '../../wcs/sky-grid.js';
import { bunitOf, isImageHdu, openImageHdu, type HduRef } from './image-hdu.js';
import { imageSky, orientationAt, type Orientation } from './sky.js';
import { float32Exact, levelCount, TILE_SIZE } from './tiles.js';
import type { ViewerLimits } from './source.js';

export interface ImageHduSummary {
  readonly index: number;
  readonly name: string;
  readonly ver: number;
  readonly width: number;
  readonly height: number;
  readonly n_slices: number;
  readonly bitpix: number;
  readonly bunit: string;
}

export interface SpectralAxis {
  readonly ctype: string;
  readonly cunit: string;
  /** World value of each slice (CRVAL3 + (k + 1 - CRPIX3) * CDELT3), linear axes only. */
  readonly values: number[] | null;
}

export interface ImageInfo {
  readonly hdus: ImageHduSummary[];
  readonly hdu: ImageHduSummary & {
    readonly current_slice: number;
    /** Level-0 tiles hold the true values (float32 represents them exactly). */
    readonly exact_tiles: boolean;
    /** Integer data named DQ (or with bit flags): shown as flags. */
    readonly bit_flags: boolean;
  };
  readonly tile_size: number;
  readonly levels: number;
  readonly frame: string | null;
  readonly orientation: Orientation | null;
  readonly spectral: SpectralAxis | null;
}

export interface ImageInfoRequest {
  readonly path: string;
  readonly hdu?: HduRef;
  readonly sliceIndex: number;
  readonly limits: ViewerLimits;
}

export async function imageInfoFile(req: ImageInfoRequest): Promise<ImageInfo> {
  const img = await openImageHdu(req.path, req.hdu, req.sliceIndex, req.limits);
  try {
    const summary = (h: typeof img.hdu): ImageHduSummary => ({
      index: h.index,
      name: h.name,
      ver: h.ver,
      width: h.axes[0]!,
      height: h.axes[1]!,
      n_slices: chooseSlice(h.axes, -1).nSlices,
      bitpix: h.bitpix,
      bunit: bunitOf(h),
    });
    const sky = imageSky(img.hdu.header);
    const h = img.hdu.header;
    let spectral: SpectralAxis | null = null;
    if (img.hdu.axes.length >= 3) {
      const k = img.hdu.axes.length;
      const ctype = String(h.get(`CTYPE${k}`) ?? '').trim();
      const crval = h.getNumber(`CRVAL${k}`);
      const crpix = h.getNumber(`CRPIX${k}`) ?? 1;
      const cdelt = h.getNumber(`CD${k}_${k}`) ?? (h.getNumber(`CDELT${k}`) ?? 1) * (h.getNumber(`PC${k}_${k}`) ?? 1);
      const linear = crval !== undefined && !/-(TAB|LOG|F2W|V2W|W2F|W2V|GRI|GRA)$/.test(ctype);
      spectral = {
        ctype,
        cunit: String(h.get(`CUNIT${k}`) ?? '').trim(),
        values: linear ? Array.from({ length: img.slice.nSlices }, (_, i) => crval + (i + 1 - crpix) * cdelt) : null,
      };
    }
    return {
      hdus: img.file.hdus.filter(isImageHdu).map(summary),
      hdu: {
        ...summary(img.hdu),
        current_slice: img.slice.current,
        exact_tiles: float32Exact(img),
        bit_flags: img.hdu.bitpix > 0 && (/^DQ$/i.test(img.hdu.name) || /DQ|FLAG|MASK/i.test(String(h.get('EXTNAME') ?? ''))),
      },
      tile_size: TILE_SIZE,
      levels: levelCount(img.width, img.height),
      frame: sky?.frame ?? null,
      orientation: sky ? orientationAt(sky, (img.width - 1) / 2, (img.height - 1) / 2) : null,
      spectral,
    };
  } finally {
    await img.file.close();
  }
}

export interface SkyGridRequest {
  readonly path: string;
  readonly hdu?: HduRef;
  /** 0-based pixel bounds; default the whole image. */
  readonly rect?: PixelRect;
  readonly lines?: number;
  readonly limits: ViewerLimits;
}

export type SkyGridResult = (SkyGrid & { readonly frame: string }) | { readonly frame: null; readonly lines: [] };

export async function skyGridFile(req: SkyGridRequest): Promise<SkyGridResult> {
  const img = await openImageHdu(req.path, req.hdu, -1, req.limits);
  try {
    const sky = imageSky(img.hdu.header);
    if (!sky) return { frame: null, lines: [] };
    const rect = req.rect ?? { x0: -0.5, y0: -0.5, x1: img.width - 0.5, y1: img.height - 0.5 };
    return { frame: sky.frame, ...skyGrid(sky.wcs, rect, { lines: req.lines, hours: sky.hours }) };
  } finally {
    await img.file.close();
  }
}
