/** Channel colours for composites: names, '#rrggbb', hues (full saturation) or RGB weights. */
import { BadRequestError, ValidationError } from '../errors.js';

const NAMED: Record<string, [number, number, number]> = {
  red: [1, 0, 0], green: [0, 1, 0], blue: [0, 0, 1], cyan: [0, 1, 1], magenta: [1, 0, 1], yellow: [1, 1, 0],
  orange: [1, 0.5, 0], purple: [0.5, 0, 1], white: [1, 1, 1], grey: [0.5, 0.5, 0.5], gray: [0.5, 0.5, 0.5],
};

/** HSV (h, 1, 1) as RGB weights. */
export function hueToRgb(hue: number): [number, number, number] {
  const h = (((hue % 360) + 360) % 360) / 60;
  const x = 1 - Math.abs((h % 2) - 1);
  const table: Array<[number, number, number]> = [[1, x, 0], [x, 1, 0], [0, 1, x], [0, x, 1], [x, 0, 1], [1, 0, x]];
  return table[Math.floor(h) % 6]!;
}

/** A channel colour from `color` ('#rrggbb' or a name), `hue` (degrees) or `rgb` weights (0..1). */
export function channelColor(spec: { color?: string | null; hue?: number | null; rgb?: number[] | null }, fallback?: [number, number, number]): [number, number, number] {
  if (spec.rgb) {
    if (spec.rgb.length !== 3 || spec.rgb.some((v) => !(v >= 0 && v <= 1))) throw new ValidationError('rgb must be three weights between 0 and 1');
    return [spec.rgb[0]!, spec.rgb[1]!, spec.rgb[2]!];
  }
  if (spec.hue !== undefined && spec.hue !== null) return hueToRgb(spec.hue);
  if (spec.color) {
    const c = spec.color.trim().toLowerCase();
    if (NAMED[c]) return NAMED[c]!;
    const m = /^#?([0-9a-f]{6})$/.exec(c);
    if (m) {
      const n = parseInt(m[1]!, 16);
      return [((n >> 16) & 255) / 255, ((n >> 8) & 255) / 255, (n & 255) / 255];
    }
    throw new BadRequestError(`Invalid color '${spec.color}': use '#rrggbb', a name (${Object.keys(NAMED).join(', ')}), hue or rgb`);
  }
  if (fallback) return fallback;
  throw new ValidationError('Each channel needs a color, hue or rgb');
}

