/**
 * Names and numbers from HTTP or the CLI become typed display requests here, with the upstream
 * engine's validation order and messages (contract §1.1; 400 each). The core below never sees
 * strings such as 'grayscale'.
 */
import { parseSmoothParams, type RawSmoothParams, type SmoothOptions } from './smoothing.js';
import { colormapNames, getColormap, type Colormap } from './colormaps/index.js';
import { STRETCH_NAMES, type DisplayOptions, type StretchName } from './display.js';
import { IMAGE_FORMATS, type ImageFormat } from './encode.js';
import { ImagingError } from './errors.js';
import { parseColor, TRANSPARENT, type Rgba } from './rasterize.js';

export interface RawDisplayParams {
  stretch?: string;
  gamma?: number;
  black_point?: number;
  white_point?: number;
  asinh_a?: number;
  slice_index?: number;
}

export interface RawPreviewParams extends RawDisplayParams, RawSmoothParams {
  cmap?: string;
  width?: number;
  height?: number;
  format?: string;
  quality?: number;
  nan_color?: string;
}

export interface PreviewRequest {
  readonly display: Required<Omit<DisplayOptions, 'logA'>>;
  readonly colormap: Colormap;
  readonly width: number;
  readonly height: number;
  readonly format: ImageFormat;
  readonly quality: number;
  readonly nanColor: Rgba;
  readonly sliceIndex: number;
  /** Smoothing of the full-resolution plane before anything else; null = off. */
  readonly smooth: SmoothOptions | null;
}

export interface HistogramRequest {
  readonly display: Required<Omit<DisplayOptions, 'logA'>>;
  readonly bins: number;
  readonly sliceIndex: number;
  readonly smooth: SmoothOptions | null;
}

const fail = (message: string): never => {
  throw new ImagingError(message);
};

const sortedStretches = [...STRETCH_NAMES].sort().join(', ');

function checkDisplay(p: RawDisplayParams, stretchMessage: (s: string) => string, checkStretch: 'early' | 'late' | 'caller'): Required<Omit<DisplayOptions, 'logA'>> {
  const gamma = p.gamma ?? 1;
  const blackPoint = p.black_point ?? 0;
  const whitePoint = p.white_point ?? 1;
  const asinhA = p.asinh_a ?? 0.1;
  const stretch = p.stretch ?? 'zscale';
  if (!(gamma >= 0.1 && gamma <= 5.0)) fail('Gamma must be between 0.1 and 5.0');
  if (checkStretch === 'early' && !(STRETCH_NAMES as readonly string[]).includes(stretch)) fail(stretchMessage(stretch));
  if (!(blackPoint >= 0 && blackPoint <= 1)) fail('Black point must be between 0.0 and 1.0');
  if (!(whitePoint >= 0 && whitePoint <= 1)) fail('White point must be between 0.0 and 1.0');
  if (blackPoint >= whitePoint) fail('Black point must be less than white point');
  if (!(asinhA >= 0.001 && asinhA <= 1.0)) fail('Asinh softening parameter must be between 0.001 and 1.0');
  if ((p.slice_index ?? -1) < -1) fail('Slice index must be -1 or greater');
  if (checkStretch === 'late' && !(STRETCH_NAMES as readonly string[]).includes(stretch)) fail(stretchMessage(stretch));
  return { stretch: stretch as StretchName, gamma, blackPoint, whitePoint, asinhA };
}

/** GET /preview's parameters, in the upstream order: width, height, gamma, quality, format, levels, asinh_a, slice, cmap, stretch. */
export function parsePreviewParams(p: RawPreviewParams): PreviewRequest {
  const width = p.width ?? 1000;
  const height = p.height ?? 1000;
  const quality = p.quality ?? 90;
  const format = (p.format ?? 'png').toLowerCase();
  if (!(width >= 10 && width <= 8000)) fail('Width must be between 10 and 8000 pixels');
  if (!(height >= 10 && height <= 8000)) fail('Height must be between 10 and 8000 pixels');
  if (!((p.gamma ?? 1) >= 0.1 && (p.gamma ?? 1) <= 5.0)) fail('Gamma must be between 0.1 and 5.0');
  if (!(quality >= 1 && quality <= 100)) fail('Quality must be between 1 and 100');
  if (!(IMAGE_FORMATS as readonly string[]).includes(format)) fail("Format must be 'png', 'jpeg' or 'webp'");
  const cmapName = p.cmap ?? 'grayscale';
  const display = checkDisplay(p, () => '', 'caller');
  const colormap = getColormap(cmapName);
  if (!colormap) fail(`Invalid colormap '${cmapName}'. Valid options: ${colormapNames().sort().join(', ')}`);
  const stretch = p.stretch ?? 'zscale';
  if (!(STRETCH_NAMES as readonly string[]).includes(stretch)) fail(`Invalid stretch '${stretch}'. Valid options: ${sortedStretches}`);
  let nanColor = TRANSPARENT;
  if (p.nan_color !== undefined && p.nan_color !== '') {
    nanColor = parseColor(p.nan_color) ?? fail(`Invalid nan_color '${p.nan_color}'. Use 'transparent', '#rrggbb', '#rrggbbaa' or 'r,g,b[,a]'`);
  }
  const smooth = parseSmoothParams(p);
  return { display, colormap: colormap!, width, height, format: format as ImageFormat, quality, nanColor, sliceIndex: p.slice_index ?? -1, smooth };
}

/** GET /histogram's parameters: bins, gamma, stretch, levels, asinh_a, slice. */
export function parseHistogramParams(p: RawDisplayParams & RawSmoothParams & { bins?: number }): HistogramRequest {
  const bins = p.bins ?? 256;
  if (!(bins >= 10 && bins <= 10000)) fail('Bins must be between 10 and 10000');
  const display = checkDisplay(p, (s) => `Invalid stretch '${s}'. Must be one of: ${sortedStretches}`, 'early');
  return { display, bins, sliceIndex: p.slice_index ?? -1, smooth: parseSmoothParams(p) };
}

/** GET /pixeldata's parameters. */
export function parsePixelDataParams(p: { max_size?: number; slice_index?: number }): { maxSize: number; sliceIndex: number } {
  const maxSize = p.max_size ?? 1200;
  if (!(maxSize >= 100 && maxSize <= 8000)) fail('Max size must be between 100 and 8000');
  if ((p.slice_index ?? -1) < -1) fail('Slice index must be -1 or greater');
  return { maxSize, sliceIndex: p.slice_index ?? -1 };
}
