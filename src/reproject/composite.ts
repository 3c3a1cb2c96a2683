/**
 * Colour composites from any number of channels (contract §1.3/§4.4, without its defects): all
 * files of all channels go onto one common celestial grid sized to fit the requested box (aspect
 * kept, or an explicit crop of the grid first); each channel is the NaN-aware mean of its files,
 * stretched with its own settings and tone curve, then tinted by its colour; the overall
 * adjustment runs once on the combined image. No-coverage pixels are black. The PNG/JPEG carries
 * AVM metadata computed from the grid actually rendered.
 */
import type { DisplayOptions } from '../imaging/index.js';
import { buildDisplayMapping, encodeRaster, MEDIA_TYPES } from '../imaging/index.js';
import type { ViewerLimits } from '../imaging/viewer/source.js';
import { avmSpatial, embedAvm, type AvmMetadata, type WcsDefinition } from '../wcs/index.js';
import { reprojectAndCoadd } from './coadd.js';
import { ReprojectError } from './errors.js';
import type { OutputGrid } from './grid.js';
import { cropGrid, fitGridInBox } from './grid-fit.js';
import type { Interpolation } from './interpolation.js';
import { binFactorFor, finestScale, withCelestialImages, type ImageShape, type OpenedCelestialImage } from './load.js';
import { findOptimalCelestialWcs } from './optimal-wcs.js';
import { applyCurve, applyOverall, type OverallAdjustment, type ToneCurve } from './tone.js';
import { throwIfCancelled } from '../core/cancellation.js';

export interface CompositeChannelSpec {
  readonly paths: readonly string[];
  /** Linear RGB weights 0..1 of this channel's colour. */
  readonly color: readonly [number, number, number];
  readonly display: DisplayOptions;
  readonly curve: ToneCurve;
}

export interface CompositeSpec {
  readonly channels: readonly CompositeChannelSpec[];
  readonly overall?: OverallAdjustment;
  /** The box the image must fit in (aspect kept). */
  readonly width: number;
  readonly height: number;
  /** Optional crop of the common grid, as fractions [x0, y0, x1, y1] of its width/height. */
  readonly crop?: readonly [number, number, number, number];
  readonly format: 'png' | 'jpeg';
  readonly quality: number;
  readonly embedAvm: boolean;
  readonly avm?: AvmMetadata;
  readonly limits: ViewerLimits;
  readonly interpolation?: Interpolation | 'exact';
  /** Largest common grid accepted before fitting (MAX_COMPOSITE_REPROJECT_PIXELS). */
  readonly maxGridPixels?: number;
}

export interface CompositeOutput {
  readonly image: Buffer;
  readonly mediaType: string;
  readonly width: number;
  readonly height: number;
  readonly wcs: WcsDefinition;
}

/** The common grid of all inputs, cropped and fitted to the box. */
export function compositeGrid(shapes: readonly ImageShape[], spec: Pick<CompositeSpec, 'width' | 'height' | 'crop' | 'maxGridPixels'>): OutputGrid {
  let grid = findOptimalCelestialWcs(shapes);
  const max = spec.maxGridPixels ?? Infinity;
  if (grid.width * grid.height > max) {
    const f = (n: number) => n.toLocaleString('en-US');
    throw new ReprojectError(`Composite output would be ${f(grid.width * grid.height)} pixels (max ${f(max)}). Shape: ${grid.width}x${grid.height}`, 'COMPOSITE_TOO_LARGE', 413);
  }
  if (spec.crop) {
    const [cx0, cy0, cx1, cy1] = spec.crop;
    const x0 = Math.floor(cx0 * grid.width);
    const y0 = Math.floor(cy0 * grid.height);
    const x1 = Math.ceil(cx1 * grid.width);
    const y1 = Math.ceil(cy1 * grid.height);
    if (!(x1 > x0 && y1 > y0)) throw new ReprojectError('The crop is empty', 'BAD_CROP', 400);
    grid = cropGrid(grid, x0, y0, x1, y1);
  }
  return fitGridInBox(grid, spec.width, spec.height);
}

/** One channel: its files' NaN-aware mean on the grid, as display values in [0, 1] (NaN = none). */
async function channelValues(channel: CompositeChannelSpec, grid: OutputGrid, spec: CompositeSpec, inputs: ReadonlyMap<string, OpenedCelestialImage>): Promise<Float32Array> {
  const target = finestScale(grid.wcs);
  const images = [];
  for (const path of channel.paths) {
    // Inputs much finer than the output are block-averaged while they stream in (anti-aliasing, bounded memory).
    const input = inputs.get(path)!;
    images.push(await input.readBinned(binFactorFor(input.wcs, target)));
  }
  const mosaic = await reprojectAndCoadd(images, grid, { combine: 'mean', method: spec.interpolation ?? 'bilinear' });
  const mapping = buildDisplayMapping(mosaic.data, channel.display);
  const out = mosaic.data;
  for (let i = 0; i < out.length; i++) {
    const v = out[i]!;
    out[i] = v === v ? applyCurve(channel.curve, mapping.map(v)) : NaN;
  }
  return out;
}

export async function renderComposite(spec: CompositeSpec, onProgress?: (fraction: number, stage: string) => void): Promise<CompositeOutput> {
  if (spec.channels.length === 0) throw new ReprojectError('A composite needs at least one channel', 'COMPOSITE_NO_CHANNEL', 422);
  const allPaths = [...new Set(spec.channels.flatMap((c) => c.paths))];
  // Each file is opened once: its header plans the grid, then its pixels are read from the same handle.
  const { grid, rgb, covered } = await withCelestialImages(allPaths, spec.limits, async (inputs) => {
    const grid = compositeGrid(inputs, spec);
    const inputByPath = new Map(inputs.map((img) => [img.path, img]));
    const n = grid.width * grid.height;
    const rgb = new Float32Array(n * 3);
    const covered = new Uint8Array(n);
    // Normalise so that every channel at full brightness gives at most white.
    const sums = [0, 0, 0];
    for (const c of spec.channels) for (let k = 0; k < 3; k++) sums[k]! += c.color[k]!;
    const norm = Math.max(1, ...sums);
    for (let ci = 0; ci < spec.channels.length; ci++) {
      const channel = spec.channels[ci]!;
      throwIfCancelled();
      onProgress?.(ci / spec.channels.length, `channel ${ci + 1}`);
      const values = await channelValues(channel, grid, spec, inputByPath);
      const [r, g, b] = channel.color.map((w) => w / norm) as [number, number, number];
      for (let i = 0; i < n; i++) {
        const v = values[i]!;
        if (v !== v) continue;
        covered[i] = 1;
        rgb[3 * i]! += r * v;
        rgb[3 * i + 1]! += g * v;
        rgb[3 * i + 2]! += b * v;
      }
    }
    return { grid, rgb, covered };
  });
  const n = grid.width * grid.height;
  for (let i = 0; i < n; i++) if (!covered[i]) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = NaN;
  if (spec.overall) applyOverall(rgb, spec.overall);
  onProgress?.(0.95, 'encoding');
  // FITS row 1 at the bottom; no coverage is black; rounding, not truncation.
  const pixels = new Uint8Array(n * 3);
  for (let y = 0; y < grid.height; y++) {
    const src = y * grid.width;
    const dst = (grid.height - 1 - y) * grid.width;
    for (let x = 0; x < grid.width; x++) {
      for (let k = 0; k < 3; k++) {
        const v = rgb[3 * (src + x) + k]!;
        pixels[3 * (dst + x) + k] = v === v ? Math.round(Math.min(1, Math.max(0, v)) * 255) : 0;
      }
    }
  }
  let image = await encodeRaster({ width: grid.width, height: grid.height, channels: 3, pixels }, { format: spec.format, quality: spec.quality });
  if (spec.embedAvm) image = embedAvm(image, avmSpatial(grid.wcs, grid.width, grid.height), spec.avm ?? { facility: 'JWST' });
  onProgress?.(1, 'done');
  return { image, mediaType: MEDIA_TYPES[spec.format], width: grid.width, height: grid.height, wcs: grid.wcs };
}
