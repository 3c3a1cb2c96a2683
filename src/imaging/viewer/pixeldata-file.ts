/**
 * GET /pixeldata: the plane reduced by NaN-aware area averaging so its longer side is at most
 * max_size (float32, row 0 = FITS row 1, NaN kept as no-data), the pixel WCS block and BUNIT.
 */
import { fitInside, AreaResampler } from '../resample.js';
import { pixelWcsBlock, type PixelWcsBlock } from '../wcs-block.js';
import { openImage, planeBands, type ViewerLimits } from './source.js';

export interface PixelDataRequest {
  readonly path: string;
  readonly sliceIndex: number;
  readonly maxSize: number;
  readonly limits: ViewerLimits;
  /** 'base64': JSON-ready string; 'raw': the float32 little-endian bytes. */
  readonly encoding: 'base64' | 'raw';
}

export interface PixelDataResult {
  original_shape: [number, number];
  preview_shape: [number, number];
  scale_factor: number;
  wcs: PixelWcsBlock | null;
  units: string;
  n_slices: number;
  current_slice: number;
  pixels?: string;
  raw?: Uint8Array;
}

export async function pixelDataFile(req: PixelDataRequest): Promise<PixelDataResult> {
  const img = await openImage(req.path, req.sliceIndex, req.limits);
  try {
    const { width, height } = img;
    const reduce = width > req.maxSize || height > req.maxSize;
    const size = reduce ? fitInside(width, height, req.maxSize, req.maxSize) : { width, height };
    const resampler = new AreaResampler(width, height, size.width, size.height);
    for await (const band of planeBands(img, req.limits)) resampler.pushRows(band);
    const out = resampler.finish().data; // Float32Array: little-endian on every platform Node runs on
    const bytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    const bunit = img.hdu.header.get('BUNIT');
    return {
      original_shape: [height, width],
      preview_shape: [size.height, size.width],
      scale_factor: reduce ? Math.max(width, height) / req.maxSize : 1.0,
      wcs: pixelWcsBlock(img.hdu.header),
      units: typeof bunit === 'string' ? bunit.trim() : '',
      n_slices: img.slice.nSlices,
      current_slice: img.slice.current,
      ...(req.encoding === 'base64' ? { pixels: Buffer.from(bytes).toString('base64') } : { raw: bytes }),
    };
  } finally {
    await img.file.close();
  }
}
