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
import { planeRowBands, type OpenedImage, type ViewerLimits } from './source.js';
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

/**
 * Grids of at most this many pixels are built whole in one pass over the plane, together with
 * every coarser level (each level pixel's sum and count are the sums of its four children's).
 * 2 M pixels of float64 sums and uint32 counts are 24 MB in the worker; the levels below and at
 * fit (1024² of a 4096² image, 1250² of a 10000² mosaic) are of this size.
 */
export const PYRAMID_MAX_PIXELS = 2048 * 1024;

/** The finest level >= 1 whose grid is built whole (the pyramid), or `levels` when none is. */
export function pyramidBase(width: number, height: number): number {
  const levels = levelCount(width, height);
  for (let l = 1; l < levels; l++) {
    const g = levelGeometry(width, height, l);
    if (g.width * g.height <= PYRAMID_MAX_PIXELS) return l;
  }
  return levels;
}

/**
 * Which pass serves a tile: the whole pyramid (levels >= pyramidBase, one pass over the plane),
 * one row of tiles at a finer level (one pass over that band of rows), or the tile alone (level 0).
 * Tiles with the same key come from the same pass, so concurrent requests can share it.
 */
export function tileSetKey(width: number, height: number, level: number, tx: number, ty: number): string {
  if (level === 0) return `0/${tx}/${ty}`;
  if (level >= pyramidBase(width, height)) return 'pyramid';
  return `${level}/row/${ty}`;
}

/**
 * The tile asked for and the others computed in the same pass (see tileSetKey): all tiles of the
 * pyramid's levels, or all tiles of the asked tile's row at its level. The asked tile comes first.
 * Level 0 is read tile by tile.
 */
export async function tileSetFile(req: TileRequest): Promise<TileResult[]> {
  return withImageHdu(req.path, req.hdu, req.sliceIndex, req.limits, (img) => readTileSet(img, req));
}

export async function readTileSet(img: OpenedImage, req: Pick<TileRequest, 'level' | 'tx' | 'ty' | 'limits'>): Promise<TileResult[]> {
  const { width: W, height: H } = img;
  const levels = levelCount(W, H);
  checkTile(W, H, req.level, req.tx, req.ty);
  if (req.level === 0) return [await readTile(img, req)];
  const base = pyramidBase(W, H);
  const whole = req.level >= base;
  const first = whole ? base : req.level;
  const g = levelGeometry(W, H, first);
  const f = g.factor;
  // Level rows [gy0, gy1) of the grid: all of them, or the asked tile's row.
  const gy0 = whole ? 0 : req.ty * TILE_SIZE;
  const gy1 = whole ? g.height : Math.min(g.height, gy0 + TILE_SIZE);
  const gw = g.width;
  const gh = gy1 - gy0;
  let sum = new Float64Array(gw * gh);
  let count = new Uint32Array(gw * gh);
  const shift = first;
  // Cache-sized bands through one reused buffer (each consumed before the next is read).
  for await (const { y0, data } of planeRowBands(img, req.limits, gy0 * f, Math.min(H, gy1 * f))) {
    const rows = data.length / W;
    for (let r = 0; r < rows; r++) {
      const o = (((y0 + r) >> shift) - gy0) * gw;
      const src = r * W;
      // A block's row is summed locally, then added once (as readTile does).
      for (let bx = 0; bx < gw; bx++) {
        const xe = Math.min(W, (bx + 1) * f);
        let s = 0;
        let c = 0;
        for (let x = bx * f; x < xe; x++) {
          const v = data[src + x]!;
          // v - v is 0 only for finite values (NaN and infinities give NaN).
          if (v - v === 0) {
            s += v;
            c++;
          }
        }
        sum[o + bx] += s;
        count[o + bx] += c;
      }
    }
  }
  const out: TileResult[] = [];
  const common = { levels, imageWidth: W, imageHeight: H, hdu: img.hdu.index, nSlices: img.slice.nSlices, currentSlice: img.slice.current, bunit: bunitOf(img.hdu), exact: float32Exact(img) };
  const emit = (level: number, lw: number, lh: number, s: Float64Array, c: Uint32Array, tyFirst: number) => {
    const lf = 2 ** level;
    for (let ty = 0; ty * TILE_SIZE < lh; ty++) {
      for (let tx = 0; tx * TILE_SIZE < lw; tx++) {
        const ox = tx * TILE_SIZE;
        const oy = ty * TILE_SIZE;
        const ow = Math.min(TILE_SIZE, lw - ox);
        const oh = Math.min(TILE_SIZE, lh - oy);
        const t = new Float32Array(ow * oh);
        for (let y = 0; y < oh; y++) {
          const src = (oy + y) * lw + ox;
          for (let x = 0; x < ow; x++) {
            const n = c[src + x]!;
            t[y * ow + x] = n ? s[src + x]! / n : NaN;
          }
        }
        const tile: TileResult = { ...common, data: new Uint8Array(t.buffer), width: ow, height: oh, level, factor: lf, x0: ox * lf, y0: (tyFirst + ty) * TILE_SIZE * lf };
        if (level === req.level && tx === req.tx && tyFirst + ty === req.ty) out.unshift(tile);
        else out.push(tile);
      }
    }
  };
  emit(first, gw, gh, sum, count, whole ? 0 : req.ty);
  if (whole) {
    // Each coarser level from the one below: the same finite pixels, summed in another order.
    let lw = gw;
    let lh = gh;
    for (let level = first + 1; level < levels; level++) {
      const nw = Math.ceil(lw / 2);
      const nh = Math.ceil(lh / 2);
      const ns = new Float64Array(nw * nh);
      const nc = new Uint32Array(nw * nh);
      for (let y = 0; y < lh; y++) {
        const o = (y >> 1) * nw;
        for (let x = 0; x < lw; x++) {
          ns[o + (x >> 1)] += sum[y * lw + x]!;
          nc[o + (x >> 1)] += count[y * lw + x]!;
        }
      }
      sum = ns;
      count = nc;
      lw = nw;
      lh = nh;
      emit(level, lw, lh, sum, count, 0);
    }
  }
  return out;
}

function checkTile(W: number, H: number, level: number, tx: number, ty: number): void {
  const levels = levelCount(W, H);
  if (level < 0 || level >= levels) throw new BadRequestError(`Level must be between 0 and ${levels - 1} for this ${W}x${H} image`, 'BAD_TILE');
  const g = levelGeometry(W, H, level);
  if (tx < 0 || tx >= g.columns || ty < 0 || ty >= g.rows) {
    throw new BadRequestError(`Tile (${tx}, ${ty}) is outside level ${level}, which has ${g.columns}x${g.rows} tiles`, 'BAD_TILE');
  }
}

export async function readTile(img: OpenedImage, req: Pick<TileRequest, 'level' | 'tx' | 'ty' | 'limits'>): Promise<TileResult> {
  const { width: W, height: H } = img;
  const levels = levelCount(W, H);
  checkTile(W, H, req.level, req.tx, req.ty);
  const g = levelGeometry(W, H, req.level);
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
    for await (const { y0, data } of planeRowBands(img, req.limits, ny0, ny1)) {
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
    for await (const { y0, data } of planeRowBands(img, req.limits, ny0, ny1)) {
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
