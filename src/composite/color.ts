/** Colour helpers of the composite pipeline: sRGB transfer, HSL, saturation/vibrancy/hue shift. */

/** Linear light -> sRGB-encoded value (IEC 61966-2-1), input clipped to [0, 1]. */
export function srgbEncode(x: number): number {
  const v = x < 0 ? 0 : x > 1 ? 1 : x;
  // v^(1/2.4) = v^(5/12) = cbrt(sqrt(sqrt(v^5))): within 4e-16 of Math.pow, at a third of its cost
  // (this runs for every pixel of every plane)
  return v <= 0.0031308 ? 12.92 * v : 1.055 * Math.cbrt(Math.sqrt(Math.sqrt(v * v * v * v * v))) - 0.055;
}

/** RGB (0..1) -> [h (0..1), s, l]. */
export function rgbToHsl(r: number, g: number, b: number, out: Float64Array): void {
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const l = (max + min) / 2;
  let h = 0;
  let s = 0;
  const d = max - min;
  if (d > 0) {
    s = l > 0.5 ? d / (2 - max - min) : d / (max + min);
    if (max === r) h = (g - b) / d + (g < b ? 6 : 0);
    else if (max === g) h = (b - r) / d + 2;
    else h = (r - g) / d + 4;
    h /= 6;
  }
  out[0] = h;
  out[1] = s;
  out[2] = l;
}

function hueComponent(p: number, q: number, t: number): number {
  if (t < 0) t += 1;
  if (t > 1) t -= 1;
  if (t < 1 / 6) return p + (q - p) * 6 * t;
  if (t < 1 / 2) return q;
  if (t < 2 / 3) return p + (q - p) * (2 / 3 - t) * 6;
  return p;
}

/** HSL -> RGB (0..1) into out[0..2]. */
export function hslToRgb(h: number, s: number, l: number, out: Float64Array): void {
  if (s === 0) {
    out[0] = out[1] = out[2] = l;
    return;
  }
  const q = l < 0.5 ? l * (1 + s) : l + s - l * s;
  const p = 2 * l - q;
  out[0] = hueComponent(p, q, h + 1 / 3);
  out[1] = hueComponent(p, q, h);
  out[2] = hueComponent(p, q, h - 1 / 3);
}

export interface SaturationAdjustment {
  readonly saturation: number;
  readonly vibrancy: number;
  /** Degrees, -30..30. */
  readonly hueRotation: number;
}

export function isNeutralSaturation(a: SaturationAdjustment): boolean {
  return a.saturation === 1 && a.vibrancy === 0 && a.hueRotation === 0;
}

const clip01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x);

/** Upstream step 10 on interleaved RGB (in place): hue shift, saturation x factor, then vibrancy. */
export function adjustSaturation(rgb: Float32Array, a: SaturationAdjustment): void {
  const hsl = new Float64Array(3);
  const c = new Float64Array(3);
  const rot = a.hueRotation / 360;
  for (let i = 0; i < rgb.length; i += 3) {
    rgbToHsl(rgb[i]!, rgb[i + 1]!, rgb[i + 2]!, hsl);
    let h = (hsl[0]! + rot) % 1;
    if (h < 0) h += 1;
    let s = clip01(hsl[1]! * a.saturation);
    s = clip01(s + a.vibrancy * (1 - s));
    hslToRgb(h, s, hsl[2]!, c);
    rgb[i] = c[0]!;
    rgb[i + 1] = c[1]!;
    rgb[i + 2] = c[2]!;
  }
}
