/**
 * The in-memory 2-D image every pixel pipeline (imaging, analysis, reprojection) shares.
 * Row-major with x fastest, FITS order: `data[y * width + x]` is FITS pixel (x+1, y+1), so row 0
 * is FITS row 1 (the bottom of the picture as astronomers draw it). NaN means "no data".
 */
export type PixelArray = Float32Array | Float64Array;

export interface ImagePlane<T extends PixelArray = PixelArray> {
  readonly width: number;
  readonly height: number;
  readonly data: T;
}

export function createPlane(width: number, height: number, kind: 'float32' | 'float64' = 'float32'): ImagePlane {
  const n = width * height;
  return { width, height, data: kind === 'float32' ? new Float32Array(n) : new Float64Array(n) };
}
