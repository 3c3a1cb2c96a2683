/**
 * Display values -> 8-bit pixels through a colormap, top row first (FITS row 1 ends up at the
 * bottom, as `imshow(origin="lower")` draws it). No-data pixels get `nanColor`; the raster has an
 * alpha channel only when some pixel is not opaque, and is single-channel grey when the colormap
 * and the no-data colour are grey.
 */
import type { ImagePlane } from '../core/image-plane.js';
import { colormapIndex, type Colormap } from './colormaps/index.js';
import type { DisplayMapping } from './display.js';

export interface Rgba {
  readonly r: number;
  readonly g: number;
  readonly b: number;
  /** 0 = transparent, 255 = opaque. */
  readonly a: number;
}

export const TRANSPARENT: Rgba = { r: 0, g: 0, b: 0, a: 0 };

export interface Raster {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 2 | 3 | 4;
  readonly pixels: Uint8Array;
}

export function rasterize(plane: ImagePlane, mapping: DisplayMapping, cmap: Colormap, nanColor: Rgba = TRANSPARENT): Raster {
  const { width, height, data } = plane;
  const n = width * height;
  // Display indices first (one pass), so the channel layout can depend on whether NaN occurs.
  const index = new Int16Array(n);
  let hasNaN = false;
  const affine = mapping.affine;
  if (affine) {
    // Inlined map(): clip((v - vmin) / span), then matplotlib's index; identical results.
    const { vmin, span } = affine;
    for (let y = 0; y < height; y++) {
      const src = y * width;
      const dst = (height - 1 - y) * width;
      for (let x = 0; x < width; x++) {
        const v = data[src + x]!;
        if (v - v !== 0) {
          index[dst + x] = -1;
          hasNaN = true;
          continue;
        }
        let d = (v - vmin) / span;
        d = d < 0 ? 0 : d > 1 ? 1 : d;
        const k = Math.floor(d * 256);
        index[dst + x] = k > 255 ? 255 : k;
      }
    }
  } else for (let y = 0; y < height; y++) {
    const src = y * width;
    const dst = (height - 1 - y) * width;
    for (let x = 0; x < width; x++) {
      const d = mapping.map(data[src + x]!);
      if (d !== d) {
        index[dst + x] = -1;
        hasNaN = true;
      } else {
        index[dst + x] = colormapIndex(d);
      }
    }
  }
  const alpha = hasNaN && nanColor.a < 255;
  const grey = cmap.isGrey && (!hasNaN || (nanColor.r === nanColor.g && nanColor.g === nanColor.b));
  const channels = ((grey ? 1 : 3) + (alpha ? 1 : 0)) as 1 | 2 | 3 | 4;
  const pixels = new Uint8Array(n * channels);
  const lut = cmap.lut;
  for (let i = 0, p = 0; i < n; i++, p += channels) {
    const k = index[i]!;
    if (k < 0) {
      pixels[p] = nanColor.r;
      if (!grey) {
        pixels[p + 1] = nanColor.g;
        pixels[p + 2] = nanColor.b;
      }
      if (alpha) pixels[p + channels - 1] = nanColor.a;
      continue;
    }
    pixels[p] = lut[3 * k]!;
    if (!grey) {
      pixels[p + 1] = lut[3 * k + 1]!;
      pixels[p + 2] = lut[3 * k + 2]!;
    }
    if (alpha) pixels[p + channels - 1] = 255;
  }
  return { width, height, channels, pixels };
}

/** Parses `transparent`, `#rgb`, `#rrggbb`, `#rrggbbaa` (with or without '#'), or `r,g,b[,a]`. */
export function parseColor(text: string): Rgba | undefined {
  const t = text.trim().toLowerCase();
  if (t === 'transparent' || t === 'none') return TRANSPARENT;
  const named: Record<string, Rgba> = {
    black: { r: 0, g: 0, b: 0, a: 255 },
    white: { r: 255, g: 255, b: 255, a: 255 },
    red: { r: 255, g: 0, b: 0, a: 255 },
    green: { r: 0, g: 128, b: 0, a: 255 },
    blue: { r: 0, g: 0, b: 255, a: 255 },
    magenta: { r: 255, g: 0, b: 255, a: 255 },
    gray: { r: 128, g: 128, b: 128, a: 255 },
    grey: { r: 128, g: 128, b: 128, a: 255 },
  };
  if (named[t]) return named[t];
  const hex = t.startsWith('#') ? t.slice(1) : t;
  if (/^[0-9a-f]{3}$/.test(hex)) {
    const [r, g, b] = [...hex].map((c) => parseInt(c + c, 16));
    return { r: r!, g: g!, b: b!, a: 255 };
  }
  if (/^[0-9a-f]{6}([0-9a-f]{2})?$/.test(hex)) {
    return {
      r: parseInt(hex.slice(0, 2), 16),
      g: parseInt(hex.slice(2, 4), 16),
      b: parseInt(hex.slice(4, 6), 16),
      a: hex.length === 8 ? parseInt(hex.slice(6, 8), 16) : 255,
    };
  }
  const parts = t.split(',').map((s) => s.trim());
  if ((parts.length === 3 || parts.length === 4) && parts.every((s) => /^\d{1,3}$/.test(s) && Number(s) <= 255)) {
    const [r, g, b, a] = parts.map(Number);
    return { r: r!, g: g!, b: b!, a: a ?? 255 };
  }
  return undefined;
}
