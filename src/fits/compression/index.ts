/** Tile compression (FITS tile compression convention) and Unix-compress (.Z) decoding. */
export { decodeRice } from './rice.js';
export { decodeGzipTile, inflateBounded, unshuffleBytes } from './gzip.js';
export { decodeHcompress, type HcompressTile } from './hcompress.js';
export { decodePlio } from './plio.js';
export { decompressLzw, isLzwCompressed, type LzwOptions } from './lzw.js';
export { dequantize, ditherRandomValues, N_RANDOM, NULL_VALUE, ZERO_VALUE, type DequantizeParams, type QuantizeMethod } from './dither.js';
export {
  TiledImageReader,
  describeCompressedImage,
  readCompressedImagePlane,
  readCompressedPlane,
  type CompressedImageInfo,
  type CompressedReadOptions,
  type CompressionType,
  type TileValues,
} from './compressed-image.js';
export { decompressTable, openDecompressedTable, type DecompressTableOptions, type DecompressedTable } from './compressed-table.js';
