/**
 * Raster -> PNG / JPEG / WebP with sharp. PNG keeps the raster's layout: 8-bit grey (colour type 0),
 * grey+alpha (4), RGB (2) or RGBA (6). JPEG has no alpha: transparent pixels are composited on black
 * (the upstream engine's choice).
 */
import sharp from 'sharp';
import type { Raster } from './rasterize.js';

export const IMAGE_FORMATS = ['png', 'jpeg', 'webp'] as const;
export type ImageFormat = (typeof IMAGE_FORMATS)[number];

export const MEDIA_TYPES: Readonly<Record<ImageFormat, string>> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
};

export interface EncodeOptions {
  readonly format: ImageFormat;
  /** 1..100, for JPEG and WebP. */
  readonly quality?: number;
  /** zlib level for PNG (sharp's default 6). */
  readonly pngCompression?: number;
}

export async function encodeRaster(raster: Raster, options: EncodeOptions): Promise<Buffer> {
  let { pixels, channels } = raster;
  const { width, height } = raster;
  if (options.format === 'jpeg' && (channels === 2 || channels === 4)) {
    ({ pixels, channels } = flattenOnBlack(raster));
  }
  let img = sharp(Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength), { raw: { width, height, channels } });
  if (channels <= 2) img = img.toColourspace('b-w');
  switch (options.format) {
    case 'png':
      return img.png({ compressionLevel: options.pngCompression ?? 6, adaptiveFiltering: false }).toBuffer();
    case 'jpeg':
      return img.jpeg({ quality: options.quality ?? 90 }).toBuffer();
    case 'webp':
      return img.webp({ quality: options.quality ?? 90 }).toBuffer();
  }
}

function flattenOnBlack(raster: Raster): { pixels: Uint8Array; channels: 1 | 3 } {
  const colour = raster.channels - 1;
  const n = raster.width * raster.height;
  const out = new Uint8Array(n * colour);
  const src = raster.pixels;
  for (let i = 0; i < n; i++) {
    const a = src[i * raster.channels + colour]!;
    for (let c = 0; c < colour; c++) out[i * colour + c] = Math.round((src[i * raster.channels + c]! * a) / 255);
  }
  return { pixels: out, channels: colour as 1 | 3 };
}
