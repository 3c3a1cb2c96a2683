/**
 * Exact area of overlap between a pixel (unit square) and a circle or an ellipse.
 *
 * Geometry: an ellipse is the unit circle under the affine map p -> R(-theta) p / (a, b); the map
 * sends the pixel square to a parallelogram and multiplies areas by 1/(a b). The area of the
 * unit circle inside a convex polygon is the sum, over the polygon's edges P->Q, of the signed
 * area of circle ∩ triangle(O, P, Q); each edge is cut where it crosses the circle, pieces inside
 * contribute their triangle area (cross/2) and pieces outside the sector area (angle/2).
 */

/** Signed area of unit circle ∩ triangle (O, P, Q). */
function circleTriangle(px: number, py: number, qx: number, qy: number): number {
  const dx = qx - px;
  const dy = qy - py;
  // points P + t (Q - P) on the circle: |P + t d|^2 = 1
  const a = dx * dx + dy * dy;
  if (a === 0) return 0;
  const b = px * dx + py * dy;
  const c = px * px + py * py - 1;
  const disc = b * b - a * c;
  const ts: number[] = [0];
  if (disc > 0) {
    const s = Math.sqrt(disc);
    const t1 = (-b - s) / a;
    const t2 = (-b + s) / a;
    if (t1 > 0 && t1 < 1) ts.push(t1);
    if (t2 > 0 && t2 < 1) ts.push(t2);
  }
  ts.push(1);
  let area = 0;
  for (let k = 0; k + 1 < ts.length; k++) {
    const ax = px + ts[k]! * dx;
    const ay = py + ts[k]! * dy;
    const bx = px + ts[k + 1]! * dx;
    const by = py + ts[k + 1]! * dy;
    const mx = (ax + bx) / 2;
    const my = (ay + by) / 2;
    const cross = ax * by - ay * bx;
    // a line that misses or only touches the circle lies outside it (its midpoint may be the
    // tangent point itself)
    if (disc > 0 && mx * mx + my * my <= 1) area += cross / 2;
    else area += Math.atan2(cross, ax * bx + ay * by) / 2;
  }
  return area;
}

/** Area of the unit circle inside a convex polygon given counter-clockwise. */
export function unitCirclePolygonArea(xs: readonly number[], ys: readonly number[]): number {
  let area = 0;
  const n = xs.length;
  for (let i = 0; i < n; i++) {
    const j = (i + 1) % n;
    area += circleTriangle(xs[i]!, ys[i]!, xs[j]!, ys[j]!);
  }
  return Math.abs(area);
}

/**
 * Fraction of the pixel [x0, x0+1] x [y0, y0+1] (coordinates relative to the ellipse centre)
 * covered by the ellipse with semi-axes a (along theta) and b, theta in radians from +x.
 */
export function ellipsePixelOverlap(x0: number, y0: number, a: number, b: number, theta: number): number {
  const c = Math.cos(theta);
  const s = Math.sin(theta);
  const cx = [x0, x0 + 1, x0 + 1, x0];
  const cy = [y0, y0, y0 + 1, y0 + 1];
  const us: number[] = [];
  const vs: number[] = [];
  let inside = 0;
  let maxNear = Infinity;
  for (let k = 0; k < 4; k++) {
    const u = (cx[k]! * c + cy[k]! * s) / a;
    const v = (-cx[k]! * s + cy[k]! * c) / b;
    us.push(u);
    vs.push(v);
    if (u * u + v * v <= 1) inside++;
    maxNear = Math.min(maxNear, u * u + v * v);
  }
  if (inside === 4) return 1;
  // the map keeps orientation (det > 0), so the square's CCW order is kept
  return unitCirclePolygonArea(us, vs) * a * b;
}

/**
 * Signed area of the circle of radius r (centred at the origin) inside [0, x] x [0, y], odd in x
 * and in y. For x, y >= 0: below the height y the circle's half-width is u* = sqrt(r^2 - y^2), so
 * the area is y * min(x, u*) plus, when x > u*, the integral of sqrt(r^2 - u^2) from u* to x.
 */
export function cornerArea(x: number, y: number, r: number): number {
  const sx = x < 0 ? -1 : 1;
  const sy = y < 0 ? -1 : 1;
  const ax = Math.min(Math.abs(x), r);
  const ay = Math.min(Math.abs(y), r);
  const r2 = r * r;
  if (ax * ax + ay * ay <= r2) return sx * sy * ax * ay;
  const ustar = Math.sqrt(r2 - ay * ay);
  return sx * sy * (ay * ustar + halfChordIntegral(ax, r) - halfChordIntegral(ustar, r));
}

/** Antiderivative of sqrt(r^2 - u^2) for 0 <= u <= r. */
function halfChordIntegral(u: number, r: number): number {
  const r2 = r * r;
  return 0.5 * (u * Math.sqrt(Math.max(0, r2 - u * u)) + r2 * Math.asin(Math.min(1, u / r)));
}

/**
 * Exact overlap of every pixel of a w x h block with a circle: the corner function is evaluated
 * once per pixel corner (shared by four pixels) and each pixel's area is the difference of its
 * corners. Pixel (i, j) spans [x0 + i, x0 + i + 1] x [y0 + j, y0 + j + 1] relative to the centre.
 */
export function circleBlockOverlap(x0: number, y0: number, w: number, h: number, r: number, out: Float64Array, sign = 1): void {
  const cw = w + 1;
  const g = new Float64Array(cw * (h + 1));
  for (let j = 0; j <= h; j++) for (let i = 0; i <= w; i++) g[j * cw + i] = cornerArea(x0 + i, y0 + j, r);
  const r2 = r * r;
  for (let j = 0; j < h; j++) {
    const ya = y0 + j;
    const yb = ya + 1;
    const ny = ya > 0 ? ya : yb < 0 ? yb : 0;
    const fy = Math.max(Math.abs(ya), Math.abs(yb));
    for (let i = 0; i < w; i++) {
      const xa = x0 + i;
      const xb = xa + 1;
      const nx = xa > 0 ? xa : xb < 0 ? xb : 0;
      let v: number;
      if (nx * nx + ny * ny >= r2) v = 0;
      else {
        const fx = Math.max(Math.abs(xa), Math.abs(xb));
        if (fx * fx + fy * fy <= r2) v = 1;
        else {
          const a = g[(j + 1) * cw + i + 1]! - g[(j + 1) * cw + i]! - g[j * cw + i + 1]! + g[j * cw + i]!;
          v = a < 0 ? 0 : a > 1 ? 1 : a;
        }
      }
      out[j * w + i]! += sign * v;
    }
  }
}

/** Fraction of the pixel [x0, x0+1] x [y0, y0+1] (relative to the centre) inside a circle of radius r. */
export function circlePixelOverlap(x0: number, y0: number, r: number): number {
  // quick answers: the nearest and farthest points of the square from the centre
  const nx = x0 > 0 ? x0 : x0 + 1 < 0 ? x0 + 1 : 0;
  const ny = y0 > 0 ? y0 : y0 + 1 < 0 ? y0 + 1 : 0;
  if (nx * nx + ny * ny >= r * r) return 0;
  const fx = Math.max(Math.abs(x0), Math.abs(x0 + 1));
  const fy = Math.max(Math.abs(y0), Math.abs(y0 + 1));
  if (fx * fx + fy * fy <= r * r) return 1;
  const x1 = x0 + 1;
  const y1 = y0 + 1;
  const a = cornerArea(x1, y1, r) - cornerArea(x0, y1, r) - cornerArea(x1, y0, r) + cornerArea(x0, y0, r);
  return Math.min(1, Math.max(0, a));
}
