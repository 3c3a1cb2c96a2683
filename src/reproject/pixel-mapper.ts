/**
 * Output pixel -> input pixel through the sky: output WCS to world, frame rotation if the frames
 * differ, input WCS back to pixels. With `roundtrip` (reproject's default) a position whose trip
 * back to the output grid misses by more than one pixel is dropped (NaN), which removes the
 * far-side images of all-sky projections.
 */
import { frameConverter, type FrameConverter, type Wcs } from '../wcs/index.js';
import { ReprojectError } from './errors.js';

export class PixelMapper {
  private readonly toInput: FrameConverter | undefined;
  private readonly toOutput: FrameConverter | undefined;
  private lon = new Float64Array(0);
  private lat = new Float64Array(0);
  private ox = new Float64Array(0);
  private oy = new Float64Array(0);
  private readonly tmp = new Float64Array(2);

  constructor(
    private readonly output: Wcs,
    private readonly input: Wcs,
    private readonly roundtrip = true,
  ) {
    if (!output.celestial || !input.celestial || output.naxis !== 2 || input.naxis !== 2) {
      throw new ReprojectError('Reprojection needs 2-axis celestial WCSs on both sides (use celestialPlane())', 'REPROJECT_NOT_CELESTIAL');
    }
    this.toInput = frameConverter(output.celestial.frame, input.celestial.frame);
    this.toOutput = frameConverter(input.celestial.frame, output.celestial.frame);
  }

  private ensure(n: number): void {
    if (this.lon.length < n) {
      this.lon = new Float64Array(n);
      this.lat = new Float64Array(n);
      this.ox = new Float64Array(n);
      this.oy = new Float64Array(n);
    }
  }

  private rotate(convert: FrameConverter | undefined, n: number): void {
    if (!convert) return;
    const { lon, lat, tmp } = this;
    for (let k = 0; k < n; k++) {
      if (Number.isNaN(lon[k]!)) continue;
      convert(lon[k]!, lat[k]!, tmp);
      lon[k] = tmp[0]!;
      lat[k] = tmp[1]!;
    }
  }

  /** Maps output positions (xs, ys) to input positions (inX, inY); all arrays of length n. */
  map(xs: Float64Array, ys: Float64Array, n: number, inX: Float64Array, inY: Float64Array): void {
    this.ensure(n);
    const lon = this.lon.subarray(0, n);
    const lat = this.lat.subarray(0, n);
    this.output.celestialPixelToWorld(xs.subarray(0, n), ys.subarray(0, n), lon, lat);
    this.rotate(this.toInput, n);
    this.input.celestialWorldToPixel(lon, lat, inX, inY);
    if (!this.roundtrip) return;
    this.input.celestialPixelToWorld(inX.subarray(0, n), inY.subarray(0, n), lon, lat);
    this.rotate(this.toOutput, n);
    const ox = this.ox.subarray(0, n);
    const oy = this.oy.subarray(0, n);
    this.output.celestialWorldToPixel(lon, lat, ox, oy);
    for (let k = 0; k < n; k++) {
      // NaN comparisons are false, so a NaN round trip keeps the position (as numpy's > does).
      if (Math.abs(ox[k]! - xs[k]!) > 1 || Math.abs(oy[k]! - ys[k]!) > 1) {
        inX[k] = NaN;
        inY[k] = NaN;
      }
    }
  }
}
