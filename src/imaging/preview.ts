/**
 * A preview is colormap ∘ display mapping ∘ area resampling: statistics come from the full-resolution
 * pixels, the mapping is applied to the resampled ones. Two ways in: a whole plane in memory
 * (`renderPlane`), or row bands of an image too large to hold (`BandReducer`, then `renderReduced`),
 * which keeps only the output grid, two accumulator rows and a bounded sample.
 */
import { throwIfCancelled } from '../core/cancellation.js';
import type { ImagePlane } from '../core/image-plane.js';
import type { Colormap } from './colormaps/index.js';
import { buildDisplayMapping, type AppliedDisplay, type DisplayOptions } from './display.js';
import { encodeRaster, MEDIA_TYPES, type ImageFormat } from './encode.js';
import { rasterize, TRANSPARENT, type Rgba } from './rasterize.js';
import { AreaResampler, fitInside } from './resample.js';
import { SampledStatistics, statisticsOf, type DisplayStatistics } from './statistics.js';

export interface RenderOptions {
  readonly display: DisplayOptions;
  readonly colormap: Colormap;
  /** The box the output must fit (aspect kept, one side equal to the box's). */
  readonly width: number;
  readonly height: number;
  readonly format: ImageFormat;
  readonly quality?: number;
  readonly nanColor?: Rgba;
}

export interface RenderedImage {
  readonly image: Buffer;
  readonly mediaType: string;
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 2 | 3 | 4;
  readonly applied: AppliedDisplay;
}

export async function renderPlane(plane: ImagePlane, options: RenderOptions): Promise<RenderedImage> {
  const size = fitInside(plane.width, plane.height, options.width, options.height);
  // One pass resamples and counts finite pixels; the statistics reuse that count/min/max.
  const resampler = new AreaResampler(plane.width, plane.height, size.width, size.height);
  resampler.pushRows(plane.data, plane.height);
  const resampled = resampler.finish();
  const mapping = buildDisplayMapping(statisticsOf(plane.data, resampler.summary, { width: plane.width, finiteCounts: resampler.rowFiniteCounts }), options.display);
  return encode(resampled, mapping.applied, mapping.map, options);
}

/** Renders an already reduced plane with statistics gathered from the full image. */
export async function renderReduced(reduced: ImagePlane, stats: DisplayStatistics, options: RenderOptions): Promise<RenderedImage> {
  const mapping = buildDisplayMapping(stats, options.display);
  return encode(reduced, mapping.applied, mapping.map, options);
}

async function encode(plane: ImagePlane, applied: AppliedDisplay, map: (v: number) => number, options: RenderOptions): Promise<RenderedImage> {
  // Colour mapping and encoding a large raster take a few hundred ms: not for a client gone meanwhile.
  throwIfCancelled();
  const raster = rasterize(plane, { applied, map }, options.colormap, options.nanColor ?? TRANSPARENT);
  throwIfCancelled();
  const image = await encodeRaster(raster, { format: options.format, quality: options.quality });
  // JPEG has no alpha: the encoder flattened it away.
  const channels = options.format === 'jpeg' && (raster.channels === 2 || raster.channels === 4) ? ((raster.channels - 1) as 1 | 3) : raster.channels;
  return { image, mediaType: MEDIA_TYPES[options.format], width: raster.width, height: raster.height, channels, applied };
}

/**
 * Reduces an image fed as consecutive row bands to the output size, gathering display statistics
 * on the way (see SampledStatistics for how they relate to astropy's on the full image).
 */
export class BandReducer {
  readonly size: { width: number; height: number };
  readonly stats: SampledStatistics;
  private readonly resampler: AreaResampler;

  constructor(readonly width: number, readonly height: number, boxWidth: number, boxHeight: number) {
    this.size = fitInside(width, height, boxWidth, boxHeight);
    this.resampler = new AreaResampler(width, height, this.size.width, this.size.height);
    this.stats = new SampledStatistics(width * height);
  }

  push(band: ArrayLike<number>): void {
    this.stats.add(band);
    this.resampler.pushRows(band, Math.floor(band.length / this.width));
  }

  finish(): ImagePlane<Float32Array> {
    return this.resampler.finish();
  }
}
