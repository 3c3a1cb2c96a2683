/**
 * Reading tile-compressed images (FITS tile compression convention: Pence, White, Seaman et al.).
 * The image is cut into ZTILEn-sized tiles, each compressed separately and stored as one row of a
 * binary table. Only the tiles that intersect the requested rows of the requested plane are read
 * and decoded, so a preview of a huge compressed image costs a few tiles.
 */
import type { FitsFile, Hdu } from '../file.js';
import type { Header } from '../header.js';
import { FitsError } from '../errors.js';
import { type ByteRange, HeapBytes } from '../heap-ranges.js';
import type { ImagePlane } from '../../core/image-plane.js';
import { imageScaling } from '../pixels.js';
import type { CompressedPlaneRequest } from '../image.js';
import { badData, unsupported } from './errors.js';
import { decodeRice, decodeRiceDequantized } from './rice.js';
import { wasmDequantize, type WasmDequantize } from './wasm.js';
import { MAX_GZIP_RUN_BYTES, decodeGzipTile, gzipElementBytes, inflateBounded, inflateGzipRun, unshuffleBytes, unshuffleInt16, unshuffleInt32 } from './gzip.js';
import { decodeHcompress } from './hcompress.js';
import { decodePlio, decodePlioBigEndian } from './plio.js';
import { NULL_VALUE, dequantize, ditherSeedIndex, quantizeMethodCode, type QuantizeMethod } from './dither.js';
import { type TableColumn, type TileTable, parseTileTable, readDescriptor, readScalar } from './tile-table.js';

export type CompressionType = 'RICE_1' | 'GZIP_1' | 'GZIP_2' | 'HCOMPRESS_1' | 'PLIO_1' | 'NOCOMPRESS';

export interface CompressedImageInfo {
  readonly compression: CompressionType;
  /** BITPIX of the uncompressed image. */
  readonly zbitpix: number;
  /** ZNAXISn (FITS order, [0] = width). */
  readonly axes: readonly number[];
  /** ZTILEn (FITS order). */
  readonly tile: readonly number[];
  /** Number of tiles along each axis. */
  readonly tilesPerAxis: readonly number[];
  /** RICE_1 parameters. */
  readonly blocksize: number;
  readonly bytepix: number;
  /** HCOMPRESS_1 parameters. */
  readonly hcompressScale: number;
  readonly hcompressSmooth: boolean;
  /** Float quantization ('NONE' = floats stored losslessly). */
  readonly quantize: QuantizeMethod | 'NONE';
  readonly ditherSeed: number;
  /** Scaling of the uncompressed image (BSCALE/BZERO/BLANK inside the compressed header). */
  readonly bscale: number;
  readonly bzero: number;
  readonly blank: number | undefined;
  /** ZSCALE / ZZERO / ZBLANK given as keywords (when not per-tile columns). */
  readonly zscale: number;
  readonly zzero: number;
  readonly zblank: number | undefined;
  readonly table: TileTable;
}

export interface CompressedReadOptions {
  /** Indices for axes 3..n (0-based); default all zeros. */
  readonly plane?: readonly number[];
  /** [start, end) rows (0-based, FITS row 1 = 0); default all rows. */
  readonly rows?: readonly [number, number];
  /** FITS_TOO_LARGE (413) if the read would produce more pixels than this. */
  readonly maxElements?: number;
}

/** Largest tile accepted (pixels); bigger tiles are refused before anything is allocated. */
const MAX_TILE_PIXELS = 1 << 28;
/** Largest tile table (one row per tile) read into memory. */
const MAX_TILE_TABLE_BYTES = 256 * 1024 * 1024;
/** Heap ranges closer than this are read together. */
const COALESCE_GAP = 64 * 1024;
/** A merged heap read stops growing at this size. */
const MAX_READ_CHUNK = 16 * 1024 * 1024;

const COMPRESSION_TYPES: readonly CompressionType[] = ['RICE_1', 'GZIP_1', 'GZIP_2', 'HCOMPRESS_1', 'PLIO_1', 'NOCOMPRESS'];

function badHeader(message: string): FitsError {
  return new FitsError('FITS_BAD_HEADER', message);
}

/** ZNAMEi / ZVALi compression parameters, keyed by upper-case name. */
function compressionParams(header: Header): Map<string, number> {
  const params = new Map<string, number>();
  for (let i = 1; i < 1000; i++) {
    const name = header.getString(`ZNAME${i}`);
    if (name === undefined) break;
    const value = header.getNumber(`ZVAL${i}`);
    if (value !== undefined) params.set(name.trim().toUpperCase(), value);
  }
  return params;
}

export function describeCompressedImage(hdu: Hdu): CompressedImageInfo {
  const h = hdu.header;
  if (h.get('ZIMAGE') !== true) throw new FitsError('FITS_BAD_ARGUMENT', `HDU ${hdu.index} is not a tile-compressed image`);
  const rawType = (h.getString('ZCMPTYPE') ?? '').trim().toUpperCase();
  const compression = (rawType === 'RICE_ONE' ? 'RICE_1' : rawType) as CompressionType;
  if (!COMPRESSION_TYPES.includes(compression)) {
    throw unsupported(`tile compression '${rawType}' is not supported (RICE_1, GZIP_1, GZIP_2, HCOMPRESS_1, PLIO_1, NOCOMPRESS are)`);
  }
  const zbitpix = h.getNumber('ZBITPIX');
  if (zbitpix === undefined || ![8, 16, 32, 64, -32, -64].includes(zbitpix)) throw badHeader(`compressed image: invalid ZBITPIX ${zbitpix}`);
  const naxis = h.getNumber('ZNAXIS');
  if (naxis === undefined || !Number.isInteger(naxis) || naxis < 0 || naxis > 999) throw badHeader(`compressed image: invalid ZNAXIS ${naxis}`);
  const axes: number[] = [];
  const tile: number[] = [];
  const tilesPerAxis: number[] = [];
  let tilePixels = 1;
  let totalTiles = 1;
  for (let i = 1; i <= naxis; i++) {
    const n = h.getNumber(`ZNAXIS${i}`);
    if (n === undefined || !Number.isSafeInteger(n) || n < 0) throw badHeader(`compressed image: invalid ZNAXIS${i} ${n}`);
    const t = h.getNumber(`ZTILE${i}`) ?? (i === 1 ? n : 1);
    if (!Number.isSafeInteger(t) || t < 1) throw badHeader(`compressed image: invalid ZTILE${i} ${t}`);
    axes.push(n);
    const tt = Math.min(t, Math.max(n, 1));
    tile.push(tt);
    tilePixels *= tt;
    const count = n === 0 ? 0 : Math.ceil(n / tt);
    tilesPerAxis.push(count);
    totalTiles *= count;
  }
  if (tilePixels > MAX_TILE_PIXELS) {
    throw new FitsError('FITS_TOO_LARGE', `compressed image tiles of ${tilePixels} pixels are larger than the supported ${MAX_TILE_PIXELS}`);
  }
  const table = parseTileTable(h, hdu.dataBytes);
  if (table.rowBytes * table.rows > MAX_TILE_TABLE_BYTES) {
    throw new FitsError('FITS_TOO_LARGE', `compressed image tile table of ${table.rowBytes * table.rows} bytes is larger than the supported ${MAX_TILE_TABLE_BYTES}`);
  }
  if (naxis > 0 && totalTiles > table.rows) {
    throw badData(`compressed image needs ${totalTiles} tiles but the table has ${table.rows} rows`);
  }
  if (!table.columns.has('COMPRESSED_DATA') && !table.columns.has('UNCOMPRESSED_DATA') && !table.columns.has('GZIP_COMPRESSED_DATA')) {
    throw badHeader('compressed image table has no COMPRESSED_DATA column');
  }

  const params = compressionParams(h);
  const hasScale = table.columns.has('ZSCALE') || h.has('ZSCALE');
  const zquantiz = (h.getString('ZQUANTIZ') ?? '').trim().toUpperCase();
  let quantize: QuantizeMethod | 'NONE';
  if (zbitpix > 0 || !hasScale || zquantiz === 'NONE') quantize = 'NONE';
  else if (zquantiz === 'SUBTRACTIVE_DITHER_1' || zquantiz === 'SUBTRACTIVE_DITHER_2') quantize = zquantiz;
  else if (zquantiz === '' || zquantiz === 'NO_DITHER') quantize = 'NO_DITHER';
  else throw unsupported(`float quantization '${zquantiz}' is not supported`);

  if (zbitpix < 0 && quantize === 'NONE' && (compression === 'RICE_1' || compression === 'HCOMPRESS_1' || compression === 'PLIO_1')) {
    throw badHeader(`compressed image: ${compression} needs quantized floats, but ZBITPIX ${zbitpix} has no ZSCALE (or ZQUANTIZ = 'NONE')`);
  }
  // Without a BYTEPIX parameter the convention's default is 4 (older writers used 32-bit Rice
  // coding even for 16-bit images, e.g. astropy's m13_rice.fits).
  const bytepix = params.get('BYTEPIX') ?? 4;
  const blocksize = params.get('BLOCKSIZE') ?? 32;
  // the uncompressed image's BSCALE/BZERO/BLANK, with the same rules as a plain image
  const scaling = imageScaling(h, zbitpix);
  return {
    compression,
    zbitpix,
    axes,
    tile,
    tilesPerAxis,
    blocksize,
    bytepix: quantize !== 'NONE' && bytepix === 8 ? 4 : bytepix,
    hcompressScale: params.get('SCALE') ?? 0,
    hcompressSmooth: (params.get('SMOOTH') ?? 0) !== 0,
    quantize,
    ditherSeed: h.getNumber('ZDITHER0') ?? 1,
    bscale: scaling.bscale,
    bzero: scaling.bzero,
    blank: scaling.blank === undefined ? undefined : Number(scaling.blank),
    zscale: h.getNumber('ZSCALE') ?? 1,
    zzero: h.getNumber('ZZERO') ?? 0,
    zblank: h.getNumber('ZBLANK'),
    table,
  };
}

/** Stored integers of a tile (int64 tiles as doubles). */
export type IntArray = Uint8Array | Int8Array | Int16Array | Int32Array | Float64Array;

/** Decoded pixels of one tile: integers as stored, or floats (already dequantized, NaN for nulls). */
export type TileValues =
  | { readonly kind: 'int'; readonly data: IntArray }
  | { readonly kind: 'float'; readonly data: Float32Array | Float64Array };

interface TileBytes {
  readonly compressed: Uint8Array | undefined;
  readonly gzipFallback: Uint8Array | undefined;
  readonly uncompressed: Uint8Array | undefined;
}

function bigEndianInts(bytes: Uint8Array, elemBytes: number, count: number, unsignedBytes: boolean, scratch?: TileScratch): IntArray {
  if (elemBytes === 1) {
    const u = bytes.subarray(0, count);
    return unsignedBytes ? u : new Int8Array(u.buffer, u.byteOffset, count);
  }
  // 16 and 32 bits: one pass straight into the typed array (into the scratch buffer when the tile
  // is dropped after copying), instead of an aligned copy, a byte swap and a view per tile
  if (elemBytes === 2) {
    const out = scratch ? scratch.int16(count) : new Int16Array(count);
    for (let i = 0, j = 0; i < count; i++, j += 2) out[i] = (bytes[j]! << 8) | bytes[j + 1]!;
    return out;
  }
  if (elemBytes === 4) {
    const out = scratch ? scratch.ints(count) : new Int32Array(count);
    for (let i = 0, j = 0; i < count; i++, j += 4) out[i] = (bytes[j]! << 24) | (bytes[j + 1]! << 16) | (bytes[j + 2]! << 8) | bytes[j + 3]!;
    return out;
  }
  // copy to an aligned native-endian buffer, then view it with the right type
  const aligned = new Uint8Array(count * elemBytes);
  aligned.set(bytes.subarray(0, count * elemBytes));
  const copy = Buffer.from(aligned.buffer);
  if (elemBytes === 2) return new Int16Array(copy.swap16().buffer, 0, count);
  if (elemBytes === 4) return new Int32Array(copy.swap32().buffer, 0, count);
  const big = new BigInt64Array(copy.swap64().buffer, 0, count);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) out[i] = Number(big[i]!);
  return out;
}

function bigEndianFloats(bytes: Uint8Array, elemBytes: number, count: number): Float32Array | Float64Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (elemBytes === 4) {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4);
    return out;
  }
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8);
  return out;
}

/** Raw big-endian values of an UNCOMPRESSED_DATA array, by its element type letter. */
function uncompressedValues(bytes: Uint8Array, type: string, count: number): TileValues {
  const width = { E: 4, D: 8, B: 1, I: 2, J: 4, K: 8 }[type] ?? 1;
  if (bytes.length < count * width) throw badData(`uncompressed tile holds ${bytes.length} bytes, expected ${count * width}`);
  switch (type) {
    case 'E':
      return { kind: 'float', data: bigEndianFloats(bytes, 4, count) };
    case 'D':
      return { kind: 'float', data: bigEndianFloats(bytes, 8, count) };
    case 'B':
      return { kind: 'int', data: bigEndianInts(bytes, 1, count, true) };
    case 'I':
      return { kind: 'int', data: bigEndianInts(bytes, 2, count, false) };
    case 'J':
      return { kind: 'int', data: bigEndianInts(bytes, 4, count, false) };
    case 'K':
      return { kind: 'int', data: bigEndianInts(bytes, 8, count, false) };
    default:
      throw badData(`UNCOMPRESSED_DATA of type ${type} is not supported`);
  }
}

/** Runs the tile codec: integers as stored (quantized integers for float images). */
function decodeIntegers(info: CompressedImageInfo, bytes: Uint8Array, count: number, elemType: string, scratch?: TileScratch, inflated?: Uint8Array): TileValues {
  switch (info.compression) {
    case 'RICE_1': {
      const data = decodeRice(bytes, count, info.blocksize, info.bytepix, scratch?.ints(count));
      return { kind: 'int', data: data.length === count ? data : data.subarray(0, count) };
    }
    case 'GZIP_1':
    case 'GZIP_2': {
      const shuffled = info.compression === 'GZIP_2';
      const inflatedBytes = inflated ?? inflateBounded(bytes, count * 8, info.compression);
      const elemBytes = gzipElementBytes(inflatedBytes, count, shuffled);
      if (info.zbitpix < 0 && info.quantize === 'NONE') {
        if (elemBytes !== 4 && elemBytes !== 8) throw badData(`GZIP tile of a float image holds ${elemBytes}-byte values`);
        return { kind: 'float', data: bigEndianFloats(shuffled ? unshuffleBytes(inflatedBytes, elemBytes) : inflatedBytes, elemBytes, count) };
      }
      // GZIP_2 integers: the shuffle is undone in the big-endian conversion's own pass
      if (shuffled && elemBytes === 2) return { kind: 'int', data: unshuffleInt16(inflatedBytes, count, scratch?.int16(count)) };
      if (shuffled && elemBytes === 4) return { kind: 'int', data: unshuffleInt32(inflatedBytes, count, scratch?.ints(count)) };
      const raw = shuffled ? unshuffleBytes(inflatedBytes, elemBytes) : inflatedBytes;
      return { kind: 'int', data: bigEndianInts(raw, elemBytes, count, info.zbitpix === 8, scratch) };
    }
    case 'HCOMPRESS_1': {
      const tile = decodeHcompress(bytes, info.hcompressSmooth, count);
      if (tile.nx * tile.ny !== count) throw badData(`HCOMPRESS_1 tile holds ${tile.nx * tile.ny} pixels, expected ${count}`);
      return { kind: 'int', data: tile.data };
    }
    case 'PLIO_1': {
      if (elemType !== 'I' && elemType !== 'J' && elemType !== 'B') throw badData(`PLIO_1 data of type ${elemType}`);
      // PLIO lists are 16-bit words; writers store them as 1PI (or, rarely, as bytes)
      // the pixels go into the reused 32-bit buffer when the tile is dropped after copying; 16-bit
      // words (as stored) are decoded in WebAssembly, 32-bit ones converted first
      if (elemType !== 'J') return { kind: 'int', data: decodePlioBigEndian(bytes, count, scratch?.ints(count)) };
      const n = bytes.length >> 2;
      const list = scratch ? scratch.int16(n) : new Int16Array(n);
      for (let i = 0, j = 2; i < n; i++, j += 4) list[i] = (bytes[j]! << 8) | bytes[j + 1]!;
      return { kind: 'int', data: decodePlio(list, count, scratch?.ints(count)) };
    }
    case 'NOCOMPRESS':
      return uncompressedValues(bytes, elemType, count);
  }
}

/** Decodes one tile (0-based index = table row) into its values. */
/**
 * Buffers reused from tile to tile for tiles that are copied into the output and then dropped: a
 * 4096x4096 image in row tiles would otherwise allocate 4096 arrays of each kind, and the garbage
 * collector's work on them cost as much as the decoding.
 */
class TileScratch {
  private i16 = new Int16Array(0);
  private i32 = new Int32Array(0);
  private f32 = new Float32Array(0);
  private f64 = new Float64Array(0);

  int16(count: number): Int16Array {
    if (this.i16.length < count) this.i16 = new Int16Array(count);
    return this.i16.subarray(0, count);
  }

  ints(count: number): Int32Array {
    if (this.i32.length < count) this.i32 = new Int32Array(count);
    return this.i32.subarray(0, count);
  }

  floats(count: number, wide: boolean): Float32Array | Float64Array {
    if (wide) {
      if (this.f64.length < count) this.f64 = new Float64Array(count);
      return this.f64.subarray(0, count);
    }
    if (this.f32.length < count) this.f32 = new Float32Array(count);
    return this.f32.subarray(0, count);
  }
}

/**
 * Decodes one tile (0-based index = table row) into its values. With `scratch`, the values may live
 * in its buffers: valid until the next call with the same scratch.
 */
function decodeTile(info: CompressedImageInfo, tableBytes: Uint8Array, tileIndex: number, tileBytes: TileBytes, count: number, scratch?: TileScratch, inflated?: Uint8Array): TileValues {
  const { table } = info;
  const cols = table.columns;
  let values: TileValues;
  const compressedCol = cols.get('COMPRESSED_DATA');
  if (tileBytes.compressed && tileBytes.compressed.length > 0 && compressedCol && info.compression === 'RICE_1' && info.quantize !== 'NONE') {
    // quantized floats in RICE_1 (fpack's default for float images): decoded and restored in
    // WebAssembly in one call
    const q = quantization(info, tableBytes, tileIndex);
    const out = floatTile(info, count, scratch);
    return { kind: 'float', data: decodeRiceDequantized(tileBytes.compressed, count, info.blocksize, info.bytepix, q, out) };
  } else if (tileBytes.compressed && tileBytes.compressed.length > 0 && compressedCol) {
    values = decodeIntegers(info, tileBytes.compressed, count, compressedCol.type, scratch, inflated);
  } else if (tileBytes.gzipFallback && tileBytes.gzipFallback.length > 0) {
    // a tile that could not be quantized: gzip of the raw pixel bytes
    const { bytes: raw, elemBytes } = decodeGzipTile(tileBytes.gzipFallback, count, false);
    values =
      info.zbitpix < 0
        ? { kind: 'float', data: bigEndianFloats(raw, elemBytes, count) }
        : { kind: 'int', data: bigEndianInts(raw, elemBytes, count, info.zbitpix === 8) };
    return values;
  } else if (tileBytes.uncompressed && tileBytes.uncompressed.length > 0) {
    const col = cols.get('UNCOMPRESSED_DATA')!;
    return uncompressedValues(tileBytes.uncompressed, col.type, count);
  } else {
    throw badData(`tile ${tileIndex + 1} of the compressed image has no data`);
  }

  if (values.kind === 'int' && info.quantize !== 'NONE') {
    const q = quantization(info, tableBytes, tileIndex);
    const out = floatTile(info, count, scratch);
    if (values.data instanceof Int32Array) wasmDequantize(values.data, q, out);
    else dequantize(values.data, out, { method: info.quantize, scale: q.scale, zero: q.zero, blank: q.blank, tileNumber: tileIndex + 1, ditherSeed: info.ditherSeed });
    return { kind: 'float', data: out };
  }
  return values;
}

/** The float array a quantized tile is restored into: float64 unless the image is float32. */
function floatTile(info: CompressedImageInfo, count: number, scratch: TileScratch | undefined): Float32Array | Float64Array {
  const wide = info.zbitpix !== -32;
  return scratch ? scratch.floats(count, wide) : wide ? new Float64Array(count) : new Float32Array(count);
}

/** How the quantized integers of tile `tileIndex` become floats (its ZSCALE, ZZERO, ZBLANK and dither walk). */
function quantization(info: CompressedImageInfo, tableBytes: Uint8Array, tileIndex: number): WasmDequantize {
  const { table } = info;
  const cols = table.columns;
  const scaleCol = cols.get('ZSCALE');
  const zeroCol = cols.get('ZZERO');
  const blankCol = cols.get('ZBLANK');
  const scale = scaleCol ? readScalar(tableBytes, tileIndex, table.rowBytes, scaleCol) : info.zscale;
  const zero = zeroCol ? readScalar(tableBytes, tileIndex, table.rowBytes, zeroCol) : info.zzero;
  // Without ZBLANK, the integer the quantization convention reserves for undefined pixels still
  // means NaN: some writers (astropy < 5.3) store NaNs that way but omit the ZBLANK keyword.
  const blank = blankCol ? readScalar(tableBytes, tileIndex, table.rowBytes, blankCol) : (info.zblank ?? NULL_VALUE);
  const method = info.quantize === 'NONE' ? 'NO_DITHER' : info.quantize;
  return { method: quantizeMethodCode(method), scale, zero, blank, seedIndex: ditherSeedIndex(tileIndex + 1, info.ditherSeed) };
}

/**
 * A tile-compressed image HDU opened for reading: the tile table is read once, then any row band of
 * any plane can be decoded. Tiles decoded by the previous call are kept, so reading a plane in row
 * bands that do not line up with the tiles decodes each tile once.
 */
export class TiledImageReader {
  private lastTiles = new Map<number, TileValues>();

  private constructor(
    private readonly file: FitsFile,
    readonly hdu: Hdu,
    readonly info: CompressedImageInfo,
    private readonly tableBytes: Uint8Array,
  ) {}

  static async open(file: FitsFile, hdu: Hdu): Promise<TiledImageReader> {
    const info = describeCompressedImage(hdu);
    // The tiles decompress to what the header declares (each tile is bounded by its own size when
    // inflated); the whole must stay within the limit the file was opened with, as a .gz's stream does.
    const declared = info.axes.reduce((n, a) => n * a, info.axes.length ? 1 : 0) * (Math.abs(info.zbitpix) / 8);
    if (file.maxFileBytes !== undefined && declared > file.maxFileBytes) {
      throw new FitsError('FITS_TOO_LARGE', `the tile-compressed image of HDU ${hdu.index} decompresses to ${declared} bytes, more than the limit of ${file.maxFileBytes} bytes`);
    }
    const { rowBytes, rows } = info.table;
    const tableBytes = await file.readBytes(hdu.dataOffset, rowBytes * rows);
    return new TiledImageReader(file, hdu, info, new Uint8Array(tableBytes.buffer, tableBytes.byteOffset, tableBytes.byteLength));
  }

  get width(): number {
    return this.info.axes[0] ?? 0;
  }

  get height(): number {
    return this.info.axes.length >= 2 ? this.info.axes[1]! : this.info.axes.length === 1 ? 1 : 0;
  }

  private descriptorRange(col: TableColumn | undefined, row: number): ByteRange | undefined {
    if (!col || !col.descriptor) return undefined;
    const { count, offset } = readDescriptor(this.tableBytes, row, this.info.table.rowBytes, col);
    if (count === 0) return { start: 0, length: 0 };
    const length = count * col.elemBytes;
    if (!Number.isSafeInteger(length) || offset + length > this.info.table.heapBytes) {
      throw badData(`tile ${row + 1}: ${col.name} descriptor (${count} elements at heap offset ${offset}) points outside the ${this.info.table.heapBytes}-byte heap`);
    }
    return { start: offset, length };
  }

  /** Pixels in tile `t` (edge tiles are smaller). */
  private tilePixels(t: number): number {
    const { axes, tile, tilesPerAxis } = this.info;
    let rem = t;
    let count = 1;
    for (let k = 0; k < axes.length; k++) {
      const c = rem % tilesPerAxis[k]!;
      rem = Math.floor(rem / tilesPerAxis[k]!);
      count *= Math.min(tile[k]!, axes[k]! - c * tile[k]!);
    }
    return count;
  }

  /**
   * GZIP tiles stored back to back (as writers store consecutive tiles) are inflated a run at a
   * time by inflateGzipRun; a tile not in the result is inflated on its own.
   */
  private inflateRuns(tiles: readonly number[], ranges: ReadonlyMap<number, { c?: ByteRange | undefined; g?: ByteRange | undefined; u?: ByteRange | undefined }>, heap: HeapBytes): Map<number, Uint8Array> {
    const result = new Map<number, Uint8Array>();
    let run: number[] = [];
    let start = 0;
    let end = 0;
    let pixels = 0;
    const flush = () => {
      if (run.length > 1) {
        const lengths = run.map((t) => ranges.get(t)!.c!.length);
        const got = inflateGzipRun(heap.view(start, end - start), lengths, run.map((t) => this.tilePixels(t)));
        if (got) run.forEach((t, k) => result.set(t, got[k]!));
      }
      run = [];
    };
    for (const t of tiles) {
      const r = ranges.get(t)!;
      const c = r.c;
      // only plain compressed tiles; a tile with a fallback column entry goes its own way
      if (!c || c.length === 0 || (r.g && r.g.length > 0) || (r.u && r.u.length > 0)) {
        flush();
        continue;
      }
      const n = this.tilePixels(t);
      // contiguous with the run, within one heap read, and the run's output bounded (8 bytes a pixel at most)
      if (run.length > 0 && (c.start !== end || (pixels + n) * 8 > MAX_GZIP_RUN_BYTES || !heap.contains(start, c.start + c.length - start))) flush();
      if (run.length === 0) {
        start = c.start;
        pixels = 0;
      }
      run.push(t);
      end = c.start + c.length;
      pixels += n;
    }
    flush();
    return result;
  }

  /** Decodes the given plane's rows [start, end) into physical values (NaN = no data). */
  async readPlane(options: CompressedReadOptions = {}): Promise<ImagePlane> {
    const { info } = this;
    const axes = info.axes;
    if (axes.length === 0) throw new FitsError('FITS_BAD_ARGUMENT', `HDU ${this.hdu.index} is a compressed image without axes`);
    const width = this.width;
    const height = this.height;
    const [r0, r1] = options.rows ?? [0, height];
    if (!Number.isInteger(r0) || !Number.isInteger(r1) || r0 < 0 || r1 > height || r0 > r1) {
      throw new FitsError('FITS_BAD_ARGUMENT', `row range [${r0}, ${r1}) is outside the image's ${height} rows`);
    }
    const planeIdx: number[] = [];
    for (let k = 2; k < axes.length; k++) {
      const p = options.plane?.[k - 2] ?? 0;
      if (!Number.isInteger(p) || p < 0 || p >= axes[k]!) {
        throw new FitsError('FITS_BAD_ARGUMENT', `plane index ${p} for axis ${k + 1} is outside 0..${axes[k]! - 1}`);
      }
      planeIdx.push(p);
    }
    const nOut = width * (r1 - r0);
    if (options.maxElements !== undefined && nOut > options.maxElements) {
      throw new FitsError('FITS_TOO_LARGE', `reading ${width} x ${r1 - r0} pixels exceeds the limit of ${options.maxElements} elements`);
    }
    const wide = !(info.zbitpix === 8 || info.zbitpix === 16 || info.zbitpix === -32);
    const out = wide ? new Float64Array(nOut) : new Float32Array(nOut);
    if (nOut === 0) return { width, height: r1 - r0, data: out };

    // which tiles: every tile along x, the tile rows covering [r0, r1), the tile holding the plane
    const tile = info.tile;
    const tpa = info.tilesPerAxis;
    const stride: number[] = [];
    let s = 1;
    for (let k = 0; k < axes.length; k++) {
      stride.push(s);
      s *= tpa[k]!;
    }
    let planeTileBase = 0;
    for (let k = 2; k < axes.length; k++) planeTileBase += Math.floor(planeIdx[k - 2]! / tile[k]!) * stride[k]!;
    const tile1 = axes.length >= 2 ? tile[1]! : 1;
    const ty0 = Math.floor(r0 / tile1);
    const ty1 = Math.floor((r1 - 1) / tile1);
    const wanted: number[] = [];
    for (let ty = ty0; ty <= ty1; ty++) {
      for (let tx = 0; tx < tpa[0]!; tx++) wanted.push(planeTileBase + ty * (axes.length >= 2 ? stride[1]! : 0) + tx);
    }

    const cols = info.table.columns;
    // a snapshot: concurrent reads on the same reader each keep a consistent view of the cache
    const cached = this.lastTiles;
    const needRead = wanted.filter((t) => !cached.has(t));
    const ranges = new Map<number, { c?: ByteRange; g?: ByteRange; u?: ByteRange }>();
    for (const t of needRead) {
      ranges.set(t, {
        c: this.descriptorRange(cols.get('COMPRESSED_DATA'), t),
        g: this.descriptorRange(cols.get('GZIP_COMPRESSED_DATA'), t),
        u: this.descriptorRange(cols.get('UNCOMPRESSED_DATA'), t),
      });
    }
    const all: ByteRange[] = [];
    for (const r of ranges.values()) for (const x of [r.c, r.g, r.u]) if (x) all.push(x);
    const heapBase = this.hdu.dataOffset + info.table.heapOffset;
    const limits = { maxGap: COALESCE_GAP, maxReadBytes: MAX_READ_CHUNK };
    const heap = await HeapBytes.load(all, limits, (start, length) => this.file.readBytes(heapBase + start, length));
    const bytesOf = (r: ByteRange | undefined) => (r && r.length > 0 ? heap.view(r.start, r.length) : undefined);

    const inflated = info.compression === 'GZIP_1' || info.compression === 'GZIP_2' ? this.inflateRuns(needRead, ranges, heap) : undefined;

    const decoded = new Map<number, TileValues>();
    const scratch = new TileScratch();
    const { bscale, bzero } = info;
    const nullInt = info.blank ?? info.zblank ?? NaN; // NaN never equals a stored integer
    const scaled = bscale !== 1 || bzero !== 0;
    const s32 = Math.fround(bscale);
    const z32 = Math.fround(bzero);
    for (const t of wanted) {
      // actual tile extent (edge tiles are smaller) and position
      let rem = t;
      const tileCoord: number[] = [];
      for (let k = 0; k < axes.length; k++) {
        tileCoord.push(rem % tpa[k]!);
        rem = Math.floor(rem / tpa[k]!);
      }
      const dims = tileCoord.map((c, k) => Math.min(tile[k]!, axes[k]! - c * tile[k]!));
      const count = dims.reduce((a, b) => a * b, 1);
      // keep the last tile row: the next row band starts inside it when bands and tiles do not align
      const keep = axes.length < 2 || tileCoord[1] === ty1;
      let values = cached.get(t);
      if (!values) {
        const r = ranges.get(t)!;
        const tileBytes = { compressed: bytesOf(r.c), gzipFallback: bytesOf(r.g), uncompressed: bytesOf(r.u) };
        values = decodeTile(info, this.tableBytes, t, tileBytes, count, keep ? undefined : scratch, inflated?.get(t));
      }
      if (values.data.length < count) throw badData(`tile ${t + 1} decoded to ${values.data.length} pixels, expected ${count}`);
      if (keep) decoded.set(t, values);

      // offset of our plane inside the tile
      let slab = 0;
      let plane = 1;
      for (let k = 0; k < axes.length; k++) {
        if (k >= 2) slab += (planeIdx[k - 2]! - tileCoord[k]! * tile[k]!) * plane;
        plane *= dims[k]!;
      }
      const d0 = dims[0]!;
      const x0 = tileCoord[0]! * tile[0]!;
      const y0 = axes.length >= 2 ? tileCoord[1]! * tile1 : 0;
      const yStart = Math.max(r0, y0);
      const yEnd = Math.min(r1, y0 + (axes.length >= 2 ? dims[1]! : 1));
      const src = values.data;
      const isInt = values.kind === 'int';
      // plain copies (no nulls, no scaling) go through TypedArray.set, which converts natively
      const plainCopy = !scaled && (!isInt || Number.isNaN(nullInt));
      for (let y = yStart; y < yEnd; y++) {
        const si = slab + (y - y0) * d0;
        const di = (y - r0) * width + x0;
        if (plainCopy) {
          out.set(src.subarray(si, si + d0), di);
        } else if (isInt && wide) {
          for (let i = 0; i < d0; i++) {
            const v = src[si + i]!;
            out[di + i] = v === nullInt ? NaN : v * bscale + bzero;
          }
        } else if (isInt) {
          // astropy scales float32 images in float32: each step rounds (matches readPlane)
          for (let i = 0; i < d0; i++) {
            const v = src[si + i]!;
            out[di + i] = v === nullInt ? NaN : scaled ? Math.fround(v * s32) + z32 : v;
          }
        } else if (scaled) {
          for (let i = 0; i < d0; i++) out[di + i] = src[si + i]! * bscale + bzero;
        } else {
          for (let i = 0; i < d0; i++) out[di + i] = src[si + i]!;
        }
      }
    }
    this.lastTiles = decoded;
    return { width, height: r1 - r0, data: out };
  }
}

/**
 * One plane (or a band of its rows) of a tile-compressed image as physical values, exactly like
 * readPlane does for a plain image: BSCALE/BZERO applied, BLANK/ZBLANK -> NaN, Float32Array for
 * ZBITPIX 8/16/-32, Float64Array for 32/64/-64.
 */
export async function readCompressedPlane(file: FitsFile, hdu: Hdu, options: CompressedReadOptions = {}): Promise<ImagePlane> {
  const reader = await TiledImageReader.open(file, hdu);
  return reader.readPlane(options);
}


// One reader per open file and HDU, so row bands of the same image reuse the tile table and the
// tiles decoded for the previous band. Dropped with the FitsFile.
const readers = new WeakMap<FitsFile, Map<number, Promise<TiledImageReader>>>();

function cachedReader(file: FitsFile, hdu: Hdu): Promise<TiledImageReader> {
  let perFile = readers.get(file);
  if (!perFile) {
    perFile = new Map();
    readers.set(file, perFile);
  }
  let reader = perFile.get(hdu.index);
  if (!reader) {
    reader = TiledImageReader.open(file, hdu);
    reader.catch(() => perFile!.delete(hdu.index));
    perFile.set(hdu.index, reader);
  }
  return reader;
}

/** The hook src/fits/image.ts calls for readPlane/readPlaneRows on kind 'compressed-image'. */
export async function readCompressedImagePlane(file: FitsFile, hdu: Hdu, request: CompressedPlaneRequest): Promise<ImagePlane> {
  const reader = await cachedReader(file, hdu);
  return reader.readPlane(request);
}
