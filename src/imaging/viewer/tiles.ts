/**
 * Float tiles of any image plane at power-of-two resolution levels, for a client that colour-maps
 * on the GPU (the CARTA model). Level L has pixels of 2^L x 2^L native pixels, each the mean of
 * the finite native pixels it covers (NaN when none): the NaN-aware area average of previews at an
 * integer ratio, so a block at the image's edge averages only the pixels that exist. Level 0 is the
 * data itself. Tiles are TILE_SIZE square (smaller at the right and top edges), tile (0, 0) holds
 * FITS pixel (1, 1), and rows run upward (row 0 = the lowest FITS row of the tile).
 */
import { BadRequestError } from '../../errors.js';
import { hduScaling } from '../../fits/index.js';
import { planeRows, type OpenedImage, type ViewerLimits } from './source.js';
import { bunitOf, withImageHdu, type HduRef } from './image-hdu.js';

export const TILE_SIZE = 512;

export interface LevelGeometry {
  readonly level: number;
  /** Native pixels per level pixel along each axis (2^level). */
  readonly factor: number;
  readonly width: number;
  readonly height: number;
  readonly columns: number;
  readonly rows: number;
}

/** Levels 0..n-1: the last is the first at which the whole image fits in one tile. */
export function levelCount(width: number, height: number, tileSize = TILE_SIZE): number {
  let n = 1;
  while (Math.ceil(Math.max(width, height) / 2 ** (n - 1)) > tileSize) n++;
  return n;
}

export function levelGeometry(width: number, height: number, level: number, tileSize = TILE_SIZE): LevelGeometry {
  const factor = 2 ** level;
  const w = Math.ceil(width / factor);
  const h = Math.ceil(height / factor);
  return { level, factor, width: w, height: h, columns: Math.ceil(w / tileSize), rows: Math.ceil(h / tileSize) };
}

export interface TileRequest {
  readonly path: string;
  readonly hdu?: HduRef;
  readonly sliceIndex: number;
  readonly level: number;
  /** Tile column and row (0-based, row 0 at the bottom). */
  readonly tx: number;
  readonly ty: number;
  readonly limits: ViewerLimits;
}

export interface TileResult {
  /** width x height float32 little-endian values, row-major, row 0 at the bottom. */
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly level: number;
  readonly levels: number;
  readonly factor: number;
  /** 0-based native pixel of the tile's first value. */
  readonly x0: number;
  readonly y0: number;
  readonly imageWidth: number;
  readonly imageHeight: number;
  readonly hdu: number;
  readonly nSlices: number;
  readonly currentSlice: number;
  readonly bunit: string;
  /** True when float32 holds the physical values exactly (level 0 then gives the true values). */
  readonly exact: boolean;
}

/** Whether float32 represents the decoded pixels exactly (BITPIX 8/16/-32, with their usual scalings). */
export function float32Exact(img: OpenedImage): boolean {
  return hduScaling(img.hdu).output === 'float32';
}

export async function tileFile(req: TileRequest): Promise<TileResult> {
  return withImageHdu(req.path, req.hdu, req.sliceIndex, req.limits, (img) => readTile(img, req));
}

export async function readTile(img: OpenedImage, req: Pick<TileRequest, 'level' | 'tx' | 'ty' | 'limits'>): Promise<TileResult> {
  const { width: W, height: H } = img;
  const levels = levelCount(W, H);
  if (req.level < 0 || req.level >= levels) throw new BadRequestError(`Level must be between 0 and ${levels - 1} for this ${W}x${H} image`, 'BAD_TILE');
  const g = levelGeometry(W, H, req.level);
  if (req.tx < 0 || req.tx >= g.columns || req.ty < 0 || req.ty >= g.rows) {
    throw new BadRequestError(`Tile (${req.tx}, ${req.ty}) is outside level ${req.level}, which has ${g.columns}x${g.rows} tiles`, 'BAD_TILE');
  }
  const f = g.factor;
  const ox = req.tx * TILE_SIZE;
  const oy = req.ty * TILE_SIZE;
  const ow = Math.min(TILE_SIZE, g.width - ox);
  const oh = Math.min(TILE_SIZE, g.height - oy);
  const nx0 = ox * f;
  const nx1 = Math.min(W, (ox + ow) * f);
  const ny0 = oy * f;
  const ny1 = Math.min(H, (oy + oh) * f);
  const out = new Float32Array(ow * oh);
  if (f === 1) {
    for await (const { y0, data } of planeRows(img, req.limits, ny0, ny1)) {
      const rows = data.length / W;
      for (let r = 0; r < rows; r++) {
        const src = (r * W) + nx0;
        const dst = (y0 + r - ny0) * ow;
        for (let i = 0; i < ow; i++) out[dst + i] = data[src + i]!;
      }
    }
  } else {
    const sum = new Float64Array(ow * oh);
    const count = new Uint32Array(ow * oh);
    for await (const { y0, data } of planeRows(img, req.limits, ny0, ny1)) {
      const rows = data.length / W;
      for (let r = 0; r < rows; r++) {
        const base = ((((y0 + r - ny0) / f) | 0)) * ow;
        const src = r * W;
        for (let bx = 0; bx < ow; bx++) {
          const xs = nx0 + bx * f;
          const xe = Math.min(nx1, xs + f);
          let s = 0;
          let c = 0;
          for (let x = xs; x < xe; x++) {
            const v = data[src + x]!;
            if (v === v && v !== Infinity && v !== -Infinity) {
              s += v;
              c++;
            }
          }
          sum[base + bx] += s;
          count[base + bx] += c;
        }
      }
    }
    for (let k = 0; k < out.length; k++) out[k] = count[k] ? sum[k]! / count[k]! : NaN;
  }
  return {
    data: new Uint8Array(out.buffer),
    width: ow,
    height: oh,
    level: req.level,
    levels,
    factor: f,
    x0: nx0,
    y0: ny0,
    imageWidth: W,
    imageHeight: H,
    hdu: img.hdu.index,
    nSlices: img.slice.nSlices,
    currentSlice: img.slice.current,
    bunit: bunitOf(img.hdu),
    exact: float32Exact(img),
  };
}
