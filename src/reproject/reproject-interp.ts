/**
 * Interpolating reprojection, equivalent to reproject 0.10's `reproject_interp` on 2-D celestial
 * images: for each output pixel, map its centre into the input and sample (nearest, bilinear or
 * bicubic). Returns the data and a footprint (1 where the output pixel got a value, 0 where not).
 * Work is done in strips of rows so memory is the output region plus a few strip buffers.
 */
import { ReprojectError } from './errors.js';
import { planeWcs, type CelestialImage, type OutputGrid, type PixelRegion } from './grid.js';
import { createSampler, type Interpolation, type Sampler } from './interpolation.js';
import { PixelMapper } from './pixel-mapper.js';
import { LatticeMapper } from './lattice-mapper.js';
import { Wcs } from '../wcs/index.js';
import { throwIfCancelled } from '../core/cancellation.js';

export interface ReprojectOptions {
  readonly order?: Interpolation;
  /** Drop positions that do not round-trip within one pixel (reproject's default: true). */
  readonly roundtrip?: boolean;
  /** Only compute this part of the output grid (the result is the region's size). */
  readonly region?: PixelRegion;
  /** Map every output pixel through both WCSs instead of interpolating on a 16-px lattice. */
  readonly exactPositions?: boolean;
}

export interface ReprojectResult {
  readonly width: number;
  readonly height: number;
  /** Row-major, NaN where there is no data. */
  readonly data: Float64Array;
  /** 1 where data is a value, 0 where it is not. */
  readonly footprint: Float32Array;
}

/** Output pixels per strip of `Reprojector.run` (whole rows; strips start at the region's first row). */
export const STRIP_PIXELS = 262_144;

/** The reusable part of a reprojection: evaluated WCSs, mapper and sampler. */
export class Reprojector {
  private readonly mapper: PixelMapper;
  private readonly sampler: Sampler;
  readonly outputWcs: Wcs;
  readonly inputWcs: Wcs;
  private readonly lattice: LatticeMapper;
  private readonly exactPositions: boolean;

  constructor(input: CelestialImage, output: OutputGrid | Wcs, options: Pick<ReprojectOptions, 'order' | 'roundtrip' | 'exactPositions'> = {}) {
    this.inputWcs = planeWcs(input.wcs);
    this.outputWcs = output instanceof Wcs ? output : planeWcs(output.wcs);
    if (input.plane.width * input.plane.height !== input.plane.data.length) {
      throw new ReprojectError('Image data length does not match its width x height', 'REPROJECT_BAD_INPUT');
    }
    this.mapper = new PixelMapper(this.outputWcs, this.inputWcs, options.roundtrip ?? true);
    this.sampler = createSampler(input.plane, options.order ?? 'bilinear');
    this.lattice = new LatticeMapper(this.mapper);
    this.exactPositions = options.exactPositions ?? false;
  }

  /**
   * Fills `data`/`footprint` (region-sized, row-major) for the output region.
   */
  run(region: PixelRegion, data: Float64Array | Float32Array, footprint?: Float32Array): void {
    const w = region.x1 - region.x0;
    // Strips of rows: the lattice mapper interpolates positions inside 16x16 cells.
    const stripRows = Math.max(1, Math.min(region.y1 - region.y0, Math.floor(STRIP_PIXELS / Math.max(1, w))));
    const ix = new Float64Array(w * stripRows);
    const iy = new Float64Array(w * stripRows);
    for (let ys = region.y0; ys < region.y1; ys += stripRows) {
      throwIfCancelled();
      const rows = Math.min(stripRows, region.y1 - ys);
      if (this.exactPositions) this.lattice.mapExact(region.x0, ys, w, rows, ix, iy);
      else this.lattice.map(region.x0, ys, w, rows, ix, iy);
      const base = (ys - region.y0) * w;
      const n = w * rows;
      for (let i = 0; i < n; i++) {
        const v = this.sampler.sample(ix[i]!, iy[i]!);
        data[base + i] = v;
        if (footprint) footprint[base + i] = Number.isNaN(v) ? 0 : 1;
      }
    }
  }
}

export function reprojectInterp(input: CelestialImage, output: OutputGrid, options: ReprojectOptions = {}): ReprojectResult {
  const region = options.region ?? { x0: 0, y0: 0, x1: output.width, y1: output.height };
  const width = region.x1 - region.x0;
  const height = region.y1 - region.y0;
  if (!(width > 0 && height > 0)) throw new ReprojectError('Empty output region', 'REPROJECT_BAD_INPUT');
  const data = new Float64Array(width * height);
  const footprint = new Float32Array(width * height);
  new Reprojector(input, output, options).run(region, data, footprint);
  return { width, height, data, footprint };
}
