/**
 * Opening the image a viewer request is about, with the limits every endpoint applies the same way:
 * - MAX_FITS_FILE_SIZE_MB bounds the file (on disk, and the decompressed stream of .gz/.Z): 413.
 * - MAX_FITS_ARRAY_ELEMENTS bounds what is decoded at once. A plane within it is read whole; a
 *   bigger one is read in row bands that each stay within it (413 only if one row is too wide).
 * Only the requested plane of a cube is read, never the whole cube.
 */
import type { Settings } from '../../config.js';
import { stat } from 'node:fs/promises';
import type { PixelArray } from '../../core/image-plane.js';
import type { ImagePlane } from '../../core/image-plane.js';
import { BadRequestError, PayloadTooLargeError } from '../../errors.js';
import { FitsFile, bytesPerPixel, decodeBand, firstImageHdu, hduScaling, readPlane, readPlaneRows, type Hdu, type OpenOptions } from '../../fits/index.js';
import { chooseSlice, type SliceChoice } from '../cube-info.js';
import { smoothPlane, type SmoothOptions } from '../smoothing.js';
import { throwIfCancelled } from '../../core/cancellation.js';

export interface ViewerLimits {
  /** MAX_FITS_FILE_SIZE_MB in bytes. */
  readonly maxFileBytes: number;
  /** MAX_FITS_ARRAY_ELEMENTS. */
  readonly maxElements: number;
  /** MAX_DECOMPRESSION_RATIO: a .gz/.bz2/.Z file may decompress to at most this many times its size (0 = no ratio limit). */
  readonly maxExpansionRatio?: number;
  /** Planes up to this many pixels (and within maxElements) are held whole; default 50 M. */
  readonly inMemoryElements?: number;
}

/** MAX_FITS_FILE_SIZE_MB and MAX_FITS_ARRAY_ELEMENTS as the limits every reader applies. */
export function limitsFromSettings(settings: Pick<Settings, 'maxFitsFileSizeMb' | 'maxFitsArrayElements'> & Partial<Pick<Settings, 'maxDecompressionRatio'>>): ViewerLimits {
  return { maxFileBytes: settings.maxFitsFileSizeMb * 1024 * 1024, maxElements: settings.maxFitsArrayElements, maxExpansionRatio: settings.maxDecompressionRatio ?? 0 };
}

export const DEFAULT_IN_MEMORY_ELEMENTS = 50_000_000;
/** Pixels per streamed band. */
export const BAND_PIXELS = 262_144;

const MB = 1024 * 1024;

/** The upstream 413 message for a file over MAX_FITS_FILE_SIZE_MB. */
export function fileTooLarge(bytes: number, maxBytes: number): PayloadTooLargeError {
  return new PayloadTooLargeError(`File too large: ${(bytes / MB).toFixed(1)}MB exceeds maximum ${(maxBytes / MB).toFixed(1)}MB`, 'FILE_TOO_LARGE');
}

/** The upstream 413 message for an array over MAX_FITS_ARRAY_ELEMENTS. */
export function imageTooLarge(elements: number, max: number): PayloadTooLargeError {
  const f = (n: number) => n.toLocaleString('en-US');
  return new PayloadTooLargeError(`Image too large: ${f(elements)} pixels exceeds maximum ${f(max)}`, 'IMAGE_TOO_LARGE');
}

/** A compressed file that expands more than MAX_DECOMPRESSION_RATIO times (stopped while decompressing). */
export function decompressionBomb(ratio: number): PayloadTooLargeError {
  return new PayloadTooLargeError(`File too large: it decompresses to more than ${ratio} times its compressed size (MAX_DECOMPRESSION_RATIO)`, 'FILE_TOO_LARGE');
}

export async function checkFileSize(path: string, limits: ViewerLimits): Promise<number> {
  // An object (s3://): its size is checked when it is opened (one HEAD, not two).
  if (path.startsWith('s3://')) return 0;
  const { size } = await stat(path);
  if (size > limits.maxFileBytes) throw fileTooLarge(size, limits.maxFileBytes);
  return size;
}

/** `options.inMemoryBytes`: how much of a gzip file's decompressed bytes stay in memory (beyond: a temp file). */
export async function openFits(path: string, limits: ViewerLimits, options: Pick<OpenOptions, 'inMemoryBytes'> = {}): Promise<FitsFile> {
  await checkFileSize(path, limits);
  try {
    return await FitsFile.open(path, { ...options, maxFileBytes: limits.maxFileBytes, maxExpansionRatio: limits.maxExpansionRatio ?? 0 });
  } catch (err) {
    if (err instanceof Error && (err as { code?: string }).code === 'FITS_TOO_LARGE' && /times its compressed size/.test(err.message)) {
      throw decompressionBomb(limits.maxExpansionRatio ?? 0);
    }
    if (err instanceof Error && (err as { code?: string }).code === 'FITS_TOO_LARGE' && /stream|file/i.test(err.message)) {
      throw new PayloadTooLargeError(`File too large: its decompressed size exceeds maximum ${(limits.maxFileBytes / MB).toFixed(1)}MB`, 'FILE_TOO_LARGE');
    }
    throw err;
  }
}

export interface OpenedImage {
  readonly file: FitsFile;
  readonly hdu: Hdu;
  readonly width: number;
  readonly height: number;
  readonly slice: SliceChoice;
  /** True when the plane is read whole; false when it is streamed in bands. */
  readonly inMemory: boolean;
  readonly bandRows: number;
  /** The plane after smoothing (`withSmoothing`): served instead of the file's pixels. */
  readonly smoothed?: Float64Array;
}

/** Smoothing reads the whole plane: larger planes are refused (413). */
export const MAX_SMOOTH_PIXELS = 25_000_000;

/** The image with its plane smoothed at full resolution (no-op for null). */
export async function withSmoothing(img: OpenedImage, smooth: SmoothOptions | null | undefined, limits: ViewerLimits): Promise<OpenedImage> {
  if (!smooth) return img;
  const pixels = img.width * img.height;
  if (pixels > MAX_SMOOTH_PIXELS) {
    throw new PayloadTooLargeError(`Smoothing needs the whole plane in memory: ${pixels} pixels exceeds ${MAX_SMOOTH_PIXELS}; ask without smooth_method`, 'IMAGE_TOO_LARGE');
  }
  const plane = await readWholePlane(img, limits);
  return { ...img, smoothed: smoothPlane(plane, smooth) };
}

/** Opens the file and picks the first image HDU and the slice (contract rules). Close `file` when done. */
export async function openImage(path: string, sliceIndex: number, limits: ViewerLimits, options: Pick<OpenOptions, 'inMemoryBytes'> = {}): Promise<OpenedImage> {
  const file = await openFits(path, limits, options);
  try {
    const hdu = firstImageHdu(file);
    if (!hdu) throw new BadRequestError('No image data found in FITS file', 'NO_IMAGE_DATA');
    return describeImage(file, hdu, sliceIndex, limits);
  } catch (err) {
    await file.close().catch(() => undefined);
    throw err;
  }
}

/** Runs `fn` on the request's image (`openImage`), closing the file after. */
export async function withOpenImage<T>(req: { readonly path: string; readonly sliceIndex: number; readonly limits: ViewerLimits }, fn: (img: OpenedImage) => Promise<T>): Promise<T> {
  const img = await openImage(req.path, req.sliceIndex, req.limits);
  try {
    return await fn(img);
  } finally {
    await img.file.close();
  }
}

export function describeImage(file: FitsFile, hdu: Hdu, sliceIndex: number, limits: ViewerLimits): OpenedImage {
  const width = hdu.axes[0]!;
  const height = hdu.axes[1] ?? 1;
  const elements = width * height;
  if (width > limits.maxElements) throw imageTooLarge(width, limits.maxElements);
  const inMemory = elements <= Math.min(limits.maxElements, limits.inMemoryElements ?? DEFAULT_IN_MEMORY_ELEMENTS);
  // Bands of about 256 K pixels (1 MB of float32): decoded and consumed while still in the CPU
  // cache, which is several times faster than decoding a whole plane first. Never over the limit.
  const bandRows = Math.max(1, Math.min(Math.floor(limits.maxElements / width), Math.ceil(BAND_PIXELS / width)));
  return { file, hdu, width, height, slice: chooseSlice(hdu.axes, sliceIndex), inMemory, bandRows };
}

export async function readWholePlane(img: OpenedImage, limits: ViewerLimits): Promise<ImagePlane> {
  return readPlane(img.file, img.hdu, { plane: img.slice.plane, maxElements: limits.maxElements });
}

/**
 * The plane as consecutive row bands. Uncompressed planes are read into one reused buffer (no
 * allocation per band), so a band is only valid until the next one is requested: consume it
 * synchronously. Tile-compressed planes that fit in memory come as one band (their tiles may span
 * several row bands, which would decode them more than once).
 */
export async function* planeBands(img: OpenedImage, limits: ViewerLimits): AsyncGenerator<PixelArray> {
  if (img.smoothed) {
    yield img.smoothed;
    return;
  }
  if (img.hdu.kind === 'image') {
    yield* uncompressedBands(img);
    return;
  }
  if (img.inMemory && img.hdu.kind === 'compressed-image') {
    yield (await readWholePlane(img, limits)).data;
    return;
  }
  for await (const band of readPlaneRows(img.file, img.hdu, { plane: img.slice.plane, bandRows: img.bandRows, maxElements: limits.maxElements })) {
    yield band.data;
  }
}

/** Rows [y0, y1) of the plane, read in pieces that respect the decode limit. */
export async function* planeRows(img: OpenedImage, limits: ViewerLimits, y0: number, y1: number): AsyncGenerator<{ y0: number; data: PixelArray }> {
  if (img.smoothed) {
    yield { y0, data: img.smoothed.subarray(y0 * img.width, y1 * img.width) };
    return;
  }
  const step = Math.max(1, Math.floor(limits.maxElements / img.width));
  for (let y = y0; y < y1; y += step) {
    throwIfCancelled();
    const end = Math.min(y1, y + step);
    const plane = await readPlane(img.file, img.hdu, { plane: img.slice.plane, rows: [y, end], maxElements: limits.maxElements });
    yield { y0: y, data: plane.data };
  }
}

/**
 * Rows [y0, y1) of the plane as consecutive bands with their first row. Uncompressed planes go
 * through one reused buffer (as planeBands: consume each band synchronously); other planes are
 * read as planeRows reads them.
 */
export async function* planeRowBands(img: OpenedImage, limits: ViewerLimits, y0: number, y1: number): AsyncGenerator<{ y0: number; data: PixelArray }> {
  if (img.hdu.kind !== 'image' || img.smoothed) {
    yield* planeRows(img, limits, y0, y1);
    return;
  }
  let y = y0;
  for await (const data of uncompressedBands(img, y0, y1)) {
    yield { y0: y, data };
    y += data.length / img.width;
  }
}

/**
 * planeRowBands read straight into `target` (rows [y0, y1) from its start; each band a view of it)
 * when the plane is uncompressed float32 without scaling: the file's bytes are decoded where they
 * land, with no band buffer to copy from. Undefined for other planes.
 */
export function planeRowBandsInto(img: OpenedImage, y0: number, y1: number, target: Float32Array, options: { bigEndian?: boolean } = {}): AsyncGenerator<{ y0: number; data: Float32Array }> | undefined {
  if (img.hdu.kind !== 'image' || img.smoothed) return undefined;
  const scaling = hduScaling(img.hdu);
  if (scaling.bitpix !== -32 || scaling.bscale !== 1 || scaling.bzero !== 0) return undefined;
  return new UncompressedRows(img).bandsInto(y0, y1, target, options.bigEndian ?? false);
}

/** Bands of an uncompressed image plane (rows [y0, y1)) through one reused byte buffer and one output array. */
function uncompressedBands(img: OpenedImage, y0 = 0, y1 = img.height): AsyncGenerator<PixelArray> {
  return new UncompressedRows(img).bands(y0, y1);
}

/** Reads row ranges of an uncompressed image plane, every range through the same buffers. */
class UncompressedRows {
  private readonly base: number;
  private readonly rowBytes: number;
  private readonly scaling: ReturnType<typeof hduScaling>;
  private bytes: Buffer | undefined;
  private out: Float32Array | Float64Array | undefined;

  constructor(private readonly img: OpenedImage) {
    const hdu = img.hdu;
    this.rowBytes = img.width * bytesPerPixel(hdu.storedBitpix);
    // Offset of the plane: indices of axes 3..n, first axis fastest.
    let planeIndex = 0;
    let stride = 1;
    hdu.axes.slice(2).forEach((len, i) => {
      planeIndex += (img.slice.plane[i] ?? 0) * stride;
      stride *= len;
    });
    this.base = hdu.dataOffset + planeIndex * this.rowBytes * img.height;
    this.scaling = hduScaling(hdu);
  }

  private one: Buffer | undefined;
  private oneOut: Float32Array | Float64Array | undefined;

  /** The value of pixel (x, y) of the plane, reading its bytes alone. */
  async pixel(x: number, y: number): Promise<number> {
    const bpp = bytesPerPixel(this.img.hdu.storedBitpix);
    this.one ??= Buffer.allocUnsafeSlow(8);
    this.oneOut ??= this.scaling.output === 'float32' ? new Float32Array(1) : new Float64Array(1);
    const view = this.one.subarray(0, bpp);
    await this.img.file.readInto(view, this.base + y * this.rowBytes + x * bpp);
    return decodeBand(view, this.scaling, this.oneOut)[0]!;
  }

  /** Bands of rows [y0, y1) (float32, no scaling) read into `target` from its start; `bigEndian`: left as the file's bytes (the caller swaps them). */
  async *bandsInto(y0: number, y1: number, target: Float32Array, bigEndian: boolean): AsyncGenerator<{ y0: number; data: Float32Array }> {
    const { img, scaling, rowBytes } = this;
    for (let y = y0; y < y1; y += img.bandRows) {
      throwIfCancelled();
      const rows = Math.min(img.bandRows, y1 - y);
      const view = Buffer.from(target.buffer, target.byteOffset + (y - y0) * rowBytes, rows * rowBytes);
      await img.file.readInto(view, this.base + y * rowBytes);
      yield { y0: y, data: bigEndian ? new Float32Array(target.buffer, view.byteOffset, rows * img.width) : decodeBand(view, scaling) as Float32Array };
    }
  }

  async *bands(y0: number, y1: number): AsyncGenerator<PixelArray> {
    const { img, scaling, rowBytes } = this;
    const aliases = scaling.bscale === 1 && scaling.bzero === 0 && (scaling.bitpix === -32 || scaling.bitpix === -64);
    const outLength = img.bandRows * img.width;
    // Allocated on first use, at most one band's worth (a short range of rows needs no more).
    const bandRows = Math.min(img.bandRows, Math.max(1, y1 - y0));
    if (!this.bytes || this.bytes.length < bandRows * rowBytes) this.bytes = Buffer.allocUnsafeSlow(bandRows * rowBytes);
    if (!aliases && (!this.out || this.out.length < bandRows * img.width)) {
      this.out = scaling.output === 'float32' ? new Float32Array(Math.min(outLength, bandRows * img.width)) : new Float64Array(Math.min(outLength, bandRows * img.width));
    }
    const bytes = this.bytes;
    const out = aliases ? undefined : this.out;
    for (let y = y0; y < y1; y += bandRows) {
      throwIfCancelled();
      const rows = Math.min(bandRows, y1 - y);
      const view = bytes.subarray(0, rows * rowBytes);
      await img.file.readInto(view, this.base + y * rowBytes);
      yield decodeBand(view, scaling, out ? out.subarray(0, rows * img.width) : undefined);
    }
  }
}

/**
 * Reads rows [y0, y1) of the plane, range after range (as planeRows does), with one reused buffer
 * for an uncompressed plane: a piece is valid until the next one is requested. For the zscale
 * sample, which reads back ~1,000 scattered rows, one `readPlane` per row cost ~40 ms.
 */
export function planeRowReader(img: OpenedImage, limits: ViewerLimits): (y0: number, y1: number) => AsyncGenerator<{ y0: number; data: PixelArray }> {
  return planeReaders(img, limits).rows;
}

/**
 * `planeRowReader`'s rows, and for an uncompressed plane `pixel(x, y)`: one pixel's value, reading
 * its bytes alone (undefined for other planes, whose pixels are read with their rows or tiles).
 */
export function planeReaders(img: OpenedImage, limits: ViewerLimits): {
  rows: (y0: number, y1: number) => AsyncGenerator<{ y0: number; data: PixelArray }>;
  pixel?: (x: number, y: number) => Promise<number>;
} {
  if (img.hdu.kind !== 'image' || img.smoothed) return { rows: (y0, y1) => planeRows(img, limits, y0, y1) };
  const rows = new UncompressedRows(img);
  return {
    rows: async function* (y0, y1) {
      let y = y0;
      for await (const data of rows.bands(y0, y1)) {
        yield { y0: y, data };
        y += data.length / img.width;
      }
    },
    pixel: (x, y) => rows.pixel(x, y),
  };
}
