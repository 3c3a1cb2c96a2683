/**
 * Sky footprints of images from their headers alone (no pixels decoded): the four corners in the
 * FITS order (pixel 1,1 then N1,1 then N1,N2 then 1,N2), the centre, a bounding box that is right
 * across RA 0/360 and over the poles, and the pairwise overlap of the footprints.
 */
import { convertFrame, lonLatToVector, vectorToLonLat, Wcs, type CelestialFrame, type WcsDefinition } from '../wcs/index.js';

export interface FootprintInput {
  readonly wcs: WcsDefinition;
  readonly width: number;
  readonly height: number;
}

export interface Footprint {
  /** Corners at the centres of the corner pixels (contract), FITS order. */
  readonly cornersRa: number[];
  readonly cornersDec: number[];
  /** Outer edges of the corner pixels (the polygon the image covers), FITS order. */
  readonly polygon: Array<[number, number]>;
  readonly centerRa: number;
  readonly centerDec: number;
}

export interface BoundingBox {
  /** min_ra in [0, 360); max_ra = min_ra + extent, so it exceeds 360 when the box crosses RA 0. */
  readonly minRa: number;
  readonly maxRa: number;
  readonly minDec: number;
  readonly maxDec: number;
  readonly wrapsRa: boolean;
}

export interface Overlap {
  readonly a: number;
  readonly b: number;
  /** Overlap area in square degrees and as a fraction of each footprint. */
  readonly areaDeg2: number;
  readonly fractionOfA: number;
  readonly fractionOfB: number;
}

const ICRS: CelestialFrame = { system: 'icrs' };

function toIcrs(wcs: Wcs, x: number, y: number): [number, number] {
  const [lon, lat] = wcs.pixelToWorld([x, y]);
  const frame = wcs.celestial!.frame;
  if (frame.system === 'icrs' || frame.system === 'unknown' || frame.system === 'helioprojective') return [norm360(lon!), lat!];
  const [l, b] = convertFrame(lon!, lat!, frame, ICRS);
  return [norm360(l), b];
}

function norm360(v: number): number {
  const r = v % 360;
  return r < 0 ? r + 360 : r;
}

export function footprintOf(input: FootprintInput): Footprint {
  const wcs = new Wcs(input.wcs).celestialPlane();
  const { width: w, height: h } = input;
  const centres: Array<[number, number]> = [[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]];
  const edges: Array<[number, number]> = [[-0.5, -0.5], [w - 0.5, -0.5], [w - 0.5, h - 0.5], [-0.5, h - 0.5]];
  const corners = centres.map(([x, y]) => toIcrs(wcs, x, y));
  const [cra, cdec] = toIcrs(wcs, w / 2, h / 2);
  return {
    cornersRa: corners.map((c) => c[0]),
    cornersDec: corners.map((c) => c[1]),
    polygon: edges.map(([x, y]) => toIcrs(wcs, x, y)),
    centerRa: cra,
    centerDec: cdec,
  };
}

/** True when the polygon (small, convex, any orientation) contains the point, tested on the sphere. */
function containsPoint(poly: ReadonlyArray<[number, number]>, p: [number, number]): boolean {
  const v = lonLatToVector(p[0], p[1]);
  let sign = 0;
  for (let i = 0; i < poly.length; i++) {
    const a = lonLatToVector(...poly[i]!);
    const b = lonLatToVector(...poly[(i + 1) % poly.length]!);
    const n = [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
    const s = Math.sign(n[0]! * v[0] + n[1]! * v[1] + n[2]! * v[2]);
    if (s === 0) continue;
    if (sign === 0) sign = s;
    else if (s !== sign) return false;
  }
  return true;
}

/** The smallest RA arc holding every point (largest empty gap removed), and the Dec range. */
export function boundingBox(footprints: readonly Footprint[]): BoundingBox {
  const ras: number[] = [];
  let minDec = Infinity;
  let maxDec = -Infinity;
  for (const f of footprints) {
    for (const [ra, dec] of [...f.polygon, ...f.cornersRa.map((r, i) => [r, f.cornersDec[i]!] as [number, number])]) {
      ras.push(ra);
      minDec = Math.min(minDec, dec);
      maxDec = Math.max(maxDec, dec);
    }
  }
  for (const f of footprints) {
    if (containsPoint(f.polygon, [0, 90])) return { minRa: 0, maxRa: 360, minDec, maxDec: 90, wrapsRa: false };
    if (containsPoint(f.polygon, [0, -90])) return { minRa: 0, maxRa: 360, minDec: -90, maxDec, wrapsRa: false };
  }
  ras.sort((a, b) => a - b);
  let gap = -1;
  let gapEnd = 0;
  for (let i = 0; i < ras.length; i++) {
    const next = i + 1 < ras.length ? ras[i + 1]! : ras[0]! + 360;
    if (next - ras[i]! > gap) {
      gap = next - ras[i]!;
      gapEnd = i + 1 < ras.length ? i + 1 : 0;
    }
  }
  const minRa = ras[gapEnd]!;
  const extent = 360 - gap;
  return { minRa, maxRa: minRa + extent, minDec, maxDec, wrapsRa: minRa + extent > 360 };
}

/** Gnomonic projection about (ra0, dec0): small footprints become plane polygons. */
function project(ra0: number, dec0: number, p: [number, number]): [number, number] {
  const d2r = Math.PI / 180;
  const a = (p[0] - ra0) * d2r;
  const d = p[1] * d2r;
  const d0 = dec0 * d2r;
  const cosc = Math.sin(d0) * Math.sin(d) + Math.cos(d0) * Math.cos(d) * Math.cos(a);
  const x = (Math.cos(d) * Math.sin(a)) / cosc;
  const y = (Math.cos(d0) * Math.sin(d) - Math.sin(d0) * Math.cos(d) * Math.cos(a)) / cosc;
  return [x / d2r, y / d2r];
}

function area(poly: ReadonlyArray<[number, number]>): number {
  let s = 0;
  for (let i = 0; i < poly.length; i++) {
    const [x1, y1] = poly[i]!;
    const [x2, y2] = poly[(i + 1) % poly.length]!;
    s += x1 * y2 - x2 * y1;
  }
  return s / 2;
}

/** Intersection of two convex polygons (Sutherland-Hodgman; both counter-clockwise). */
function clip(subject: Array<[number, number]>, clipper: Array<[number, number]>): Array<[number, number]> {
  let out = subject;
  for (let i = 0; i < clipper.length && out.length; i++) {
    const [ax, ay] = clipper[i]!;
    const [bx, by] = clipper[(i + 1) % clipper.length]!;
    const inside = (p: [number, number]) => (bx - ax) * (p[1] - ay) - (by - ay) * (p[0] - ax) >= 0;
    const input = out;
    out = [];
    for (let j = 0; j < input.length; j++) {
      const p = input[j]!;
      const q = input[(j + 1) % input.length]!;
      const pin = inside(p);
      const qin = inside(q);
      if (pin) out.push(p);
      if (pin !== qin) {
        const dx = q[0] - p[0], dy = q[1] - p[1];
        const t = ((bx - ax) * (ay - p[1]) - (by - ay) * (ax - p[0])) / ((bx - ax) * dy - (by - ay) * dx);
        out.push([p[0] + t * dx, p[1] + t * dy]);
      }
    }
  }
  return out;
}

/** The overlap of footprints a and b (null when they do not overlap), areas from a tangent plane at the pair's centre. */
function overlapOf(footprints: readonly Footprint[], a: number, b: number): Overlap | null {
  const fa = footprints[a]!;
  const fb = footprints[b]!;
  const va = lonLatToVector(fa.centerRa, fa.centerDec);
  const vb = lonLatToVector(fb.centerRa, fb.centerDec);
  const [ra0, dec0] = vectorToLonLat([va[0] + vb[0], va[1] + vb[1], va[2] + vb[2]]);
  const pa = fa.polygon.map((p) => project(ra0, dec0, p));
  const pb = fb.polygon.map((p) => project(ra0, dec0, p));
  if ([...pa, ...pb].some(([x, y]) => !Number.isFinite(x) || !Number.isFinite(y) || Math.hypot(x, y) > 80)) return null;
  const ccw = (p: Array<[number, number]>) => (area(p) < 0 ? [...p].reverse() : p);
  const A = ccw(pa);
  const B = ccw(pb);
  const inter = clip(A, B);
  const ai = inter.length >= 3 ? Math.abs(area(inter)) : 0;
  if (ai <= 0) return null;
  return { a, b, areaDeg2: ai, fractionOfA: ai / Math.abs(area(A)), fractionOfB: ai / Math.abs(area(B)) };
}

/** Largest angular distance (degrees) of a footprint's polygon from its centre. */
function radiusDeg(f: Footprint): number {
  const c = lonLatToVector(f.centerRa, f.centerDec);
  let r = 0;
  for (const [ra, dec] of f.polygon) {
    const v = lonLatToVector(ra, dec);
    const cos = Math.min(1, Math.max(-1, c[0] * v[0] + c[1] * v[1] + c[2] * v[2]));
    r = Math.max(r, (Math.acos(cos) * 180) / Math.PI);
  }
  return Number.isFinite(r) ? r : 180;
}

/** A window of the pairwise overlaps: `overlaps` from `offset`, at most `limit`, and the `total` count. */
export interface OverlapPage {
  readonly overlaps: Overlap[];
  readonly total: number;
}

/**
 * Pairwise overlaps in (a, b) order, keeping only the window [offset, offset + limit): the count of
 * all of them is exact, but memory stays bounded by `limit` however many files overlap. Pairs whose
 * bounding circles are apart are skipped before any projection.
 */
export function overlapPage(footprints: readonly Footprint[], offset = 0, limit = Number.POSITIVE_INFINITY): OverlapPage {
  const overlaps: Overlap[] = [];
  const centres = footprints.map((f) => lonLatToVector(f.centerRa, f.centerDec));
  const radii = footprints.map(radiusDeg);
  let total = 0;
  for (let a = 0; a < footprints.length; a++) {
    for (let b = a + 1; b < footprints.length; b++) {
      const ca = centres[a]!, cb = centres[b]!;
      const cos = Math.min(1, Math.max(-1, ca[0] * cb[0] + ca[1] * cb[1] + ca[2] * cb[2]));
      if ((Math.acos(cos) * 180) / Math.PI > radii[a]! + radii[b]! + 1e-9) continue;
      const o = overlapOf(footprints, a, b);
      if (!o) continue;
      if (total >= offset && overlaps.length < limit) overlaps.push(o);
      total++;
    }
  }
  return { overlaps, total };
}

/** Pairwise overlaps (only pairs that overlap), areas from a tangent plane at the pair's centre. */
export function pairwiseOverlaps(footprints: readonly Footprint[]): Overlap[] {
  return overlapPage(footprints).overlaps;
}
