/**
 * Degree trigonometry that is exact at multiples of 90 degrees, as wcslib's wcstrig is: the pole
 * and axis special cases of the spherical rotation depend on sin(180) being exactly 0.
 */
export const D2R = Math.PI / 180;
export const R2D = 180 / Math.PI;

export function sind(a: number): number {
  const r = a % 90;
  if (r === 0) {
    const q = ((Math.round(a / 90) % 4) + 4) % 4;
    return q === 0 ? 0 : q === 1 ? 1 : q === 2 ? 0 : -1;
  }
  return Math.sin(a * D2R);
}

export function cosd(a: number): number {
  const r = a % 90;
  if (r === 0) {
    const q = ((Math.round(a / 90) % 4) + 4) % 4;
    return q === 0 ? 1 : q === 1 ? 0 : q === 2 ? -1 : 0;
  }
  return Math.cos(a * D2R);
}

export function tand(a: number): number {
  const r = a % 45;
  if (r === 0) {
    const q = ((Math.round(a / 45) % 4) + 4) % 4;
    if (q === 0) return 0;
    if (q === 1) return 1;
    if (q === 3) return -1;
  }
  return Math.tan(a * D2R);
}

export function asind(v: number): number {
  if (v <= -1) return v < -1 - 1e-12 ? NaN : -90;
  if (v >= 1) return v > 1 + 1e-12 ? NaN : 90;
  if (v === 0) return 0;
  return Math.asin(v) * R2D;
}

export function acosd(v: number): number {
  if (v >= 1) return v > 1 + 1e-12 ? NaN : 0;
  if (v <= -1) return v < -1 - 1e-12 ? NaN : 180;
  if (v === 0) return 90;
  return Math.acos(v) * R2D;
}

export function atan2d(y: number, x: number): number {
  if (y === 0) {
    if (x >= 0) return 0;
    if (x < 0) return 180;
  } else if (x === 0) {
    return y > 0 ? 90 : -90;
  }
  return Math.atan2(y, x) * R2D;
}

export function atand(v: number): number {
  if (v === -1) return -45;
  if (v === 0) return 0;
  if (v === 1) return 45;
  return Math.atan(v) * R2D;
}
