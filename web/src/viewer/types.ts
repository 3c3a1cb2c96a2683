/** Answers of the engine's tiled-viewer endpoints (docs/viewer.md). */
export interface ImageHduSummary {
  index: number;
  name: string;
  ver: number;
  width: number;
  height: number;
  n_slices: number;
  bitpix: number;
  bunit: string;
}

export interface ImageInfo {
  hdus: ImageHduSummary[];
  hdu: ImageHduSummary & { current_slice: number; exact_tiles: boolean; bit_flags: boolean };
  tile_size: number;
  levels: number;
  frame: string | null;
  orientation: { center: [number, number]; pixel_scale_arcsec: [number, number]; north: [number, number]; east: [number, number] } | null;
  spectral: { ctype: string; cunit: string; values: number[] | null } | null;
}

export interface PlaneStats {
  count: number;
  nan_count: number;
  min: number | null;
  max: number | null;
  mean: number | null;
  std: number | null;
  percentiles: Record<string, number | null>;
  zscale: [number, number] | null;
  bunit: string;
  histogram: { lo: number; hi: number; counts: number[]; below: number; above: number } | null;
}

export interface PixelValues {
  bunit: string;
  frame: string | null;
  values: Array<{ x: number; y: number; value: number | null; inside: boolean; world: [number, number] | null }>;
}

export interface SkyGrid {
  frame: string | null;
  hours?: boolean;
  lines: Array<{ axis: 'lon' | 'lat'; value: number; label: string; segments: Array<Array<[number, number]>> }>;
}
