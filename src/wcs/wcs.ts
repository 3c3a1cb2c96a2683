/**
 * The WCS evaluator: pixel <-> world for every axis of a `WcsDefinition`, the way wcslib (and so
 * astropy.wcs) computes it. Pixel coordinates are 0-based (the centre of the first pixel is 0.0),
 * like astropy's `pixel_to_world_values` / `all_pix2world(..., 0)`. SIP distortion is applied when
 * present (as in `all_pix2world`); the `Core` variants leave it out (as `wcs_pix2world`).
 */
import { WcsError } from './errors.js';
import { findCelestialAxes, parseWcs, type DssPlate, type ParseWcsOptions, type PvCard, type WcsDefinition } from './definition.js';
import { frameOf, type CelestialFrame } from './frames.js';
import type { HeaderSource } from './header-source.js';
import { createProjection, type Projection } from './projections/index.js';
import { Sip } from './sip.js';
import { TabAxis } from './tab.js';
import { LookupDistortion } from './lookup.js';
import { TpvPolynomial } from './tpv.js';
import { solveNewton2d, type NewtonOptions, type PlaneMap } from './newton.js';
import { solveCelestialPole, SphericalRotation, type CelestialPole } from './sphere.js';

/** Newton inverse of a pixel-space polynomial: steps of 1e-3 pixel, converged at 1e-12 pixel. */
const PIXEL_NEWTON: NewtonOptions = { step: 1e-3, maxIterations: 60, tolerance: 1e-12 };

export interface CelestialAxes {
  /** 0-based indices of the longitude and latitude axes. */
  readonly lon: number;
  readonly lat: number;
  readonly projection: Projection;
  readonly pole: CelestialPole;
  readonly frame: CelestialFrame;
}

function invert(m: Float64Array, n: number): Float64Array {
  const a = Float64Array.from(m);
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) inv[i * n + i] = 1;
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r * n + c]!) > Math.abs(a[piv * n + c]!)) piv = r;
    if (a[piv * n + c] === 0) throw new WcsError('The WCS linear transformation matrix is singular', 'WCS_SINGULAR');
    if (piv !== c) {
      for (let k = 0; k < n; k++) {
        [a[c * n + k], a[piv * n + k]] = [a[piv * n + k]!, a[c * n + k]!];
        [inv[c * n + k], inv[piv * n + k]] = [inv[piv * n + k]!, inv[c * n + k]!];
      }
    }
    const p = a[c * n + c]!;
    for (let k = 0; k < n; k++) {
      a[c * n + k]! /= p;
      inv[c * n + k]! /= p;
    }
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = a[r * n + c]!;
      if (f === 0) continue;
      for (let k = 0; k < n; k++) {
        a[r * n + k]! -= f * a[c * n + k]!;
        inv[r * n + k]! -= f * inv[c * n + k]!;
      }
    }
  }
  return inv;
}

export class Wcs {
  readonly definition: WcsDefinition;
  readonly naxis: number;
  readonly celestial: CelestialAxes | undefined;
  private readonly m: Float64Array;
  private readonly mi: Float64Array;
  private readonly ref: Float64Array;
  private readonly crval: Float64Array;
  private readonly logAxis: boolean[];
  private readonly tab: Array<TabAxis | undefined>;
  private readonly rotation: SphericalRotation | undefined;
  private readonly x0: number = 0;
  private readonly y0: number = 0;
  private readonly sip: Sip | undefined;
  private readonly lookup: LookupDistortion | undefined;
  private readonly dss: DssPlate | undefined;
  private readonly tpv: TpvPolynomial | undefined;
  private readonly buf = new Float64Array(2);
  private readonly tmp = new Float64Array(2);
  private readonly tmp2 = new Float64Array(2);
  private readonly dssStandardMap: PlaneMap = (x, y, out) => this.dssStandard(x, y, out);
  private readonly toFocalMap: PlaneMap = (x, y, out) => this.toFocal(x, y, out);

  static fromHeader(header: HeaderSource, options: ParseWcsOptions = {}): Wcs {
    return new Wcs(parseWcs(header, options));
  }

  constructor(def: WcsDefinition) {
    this.definition = def;
    const n = def.naxis;
    this.naxis = n;
    this.m = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) this.m[i * n + j] = def.cdelt[i]! * def.pc[i]![j]!;
    this.mi = invert(this.m, n);
    this.ref = Float64Array.from(def.crpix, (v) => v - 1);
    this.crval = Float64Array.from(def.crval);
    this.logAxis = def.ctype.map((t) => t.length > 5 && t[4] === '-' && t.slice(5) === 'LOG');
    this.tab = def.ctype.map((_, k) => {
      const t = def.tabArrays?.find((a) => a.axis === k);
      return t ? new TabAxis(t) : undefined;
    });

    const axes = findCelestialAxes(def.ctype);
    if (axes) {
      const latPv: Array<number | undefined> = [];
      const isTpv = axes.code === 'TPV';
      if (!isTpv) for (const p of def.pv) if (p.i === axes.lat + 1) latPv[p.m] = p.value;
      const projection = createProjection(isTpv ? 'TAN' : axes.code, latPv);
      this.tpv = isTpv ? new TpvPolynomial(def.pv, axes.lon, axes.lat) : undefined;
      const lngPv = (m: number) => (isTpv ? undefined : def.pv.find((p: PvCard) => p.i === axes.lon + 1 && p.m === m)?.value);
      const phi0 = lngPv(1) ?? projection.phi0;
      const theta0 = lngPv(2) ?? projection.theta0;
      if (lngPv(0)) {
        projection.fromNative(phi0, theta0, this.buf);
        this.x0 = this.buf[0]!;
        this.y0 = this.buf[1]!;
      }
      const pole = solveCelestialPole({
        lon0: def.crval[axes.lon]!,
        lat0: def.crval[axes.lat]!,
        phi0,
        theta0,
        lonpole: def.lonpole,
        latpole: def.latpole,
      });
      this.rotation = new SphericalRotation(pole);
      this.celestial = { lon: axes.lon, lat: axes.lat, projection, pole, frame: frameOf(def) };
    } else {
      this.celestial = undefined;
      this.tpv = undefined;
    }
    this.sip = def.sip ? new Sip(def.sip) : undefined;
    this.lookup = def.lookupTables?.length ? new LookupDistortion(def.lookupTables) : undefined;
    this.dss = def.dss && def.naxis === 2 ? def.dss : undefined;
  }

  /** DSS: 0-based pixel -> standard coordinates (xi, eta) in degrees through the AMD polynomial. */
  private dssStandard(px: number, py: number, out: Float64Array): void {
    const d = this.dss!;
    const x = (d.ppo3 - (px + 1 + d.cnpix1 - 0.5) * d.xpixelsz) / 1000;
    const y = ((py + 1 + d.cnpix2 - 0.5) * d.ypixelsz - d.ppo6) / 1000;
    const a = d.amdx;
    const b = d.amdy;
    const r2 = x * x + y * y;
    const xi = a[0]! * x + a[1]! * y + a[2]! + a[3]! * x * x + a[4]! * x * y + a[5]! * y * y + a[6]! * r2
      + a[7]! * x * x * x + a[8]! * x * x * y + a[9]! * x * y * y + a[10]! * y * y * y + a[11]! * x * r2 + a[12]! * x * r2 * r2;
    const eta = b[0]! * y + b[1]! * x + b[2]! + b[3]! * y * y + b[4]! * x * y + b[5]! * x * x + b[6]! * r2
      + b[7]! * y * y * y + b[8]! * x * y * y + b[9]! * x * x * y + b[10]! * x * x * x + b[11]! * y * r2 + b[12]! * y * r2 * r2;
    out[0] = xi / 3600;
    out[1] = eta / 3600;
  }

  /** DSS inverse: standard coordinates (degrees) -> 0-based pixel, Newton from the linear guess. */
  private dssPixel(xi: number, eta: number, out: Float64Array): void {
    const mi = this.mi;
    const px = mi[0]! * xi + mi[1]! * eta + this.ref[0]!;
    const py = mi[2]! * xi + mi[3]! * eta + this.ref[1]!;
    solveNewton2d(this.dssStandardMap, xi, eta, px, py, PIXEL_NEWTON, this.tmp, out);
  }

  /**
   * 0-based pixel -> offsets from CRPIX after every distortion (what CDELT*PC multiplies), as
   * astropy's pix2foc: D2IM first, then SIP and CPDIS offsets evaluated there and added.
   */
  private toFocal(px: number, py: number, out: Float64Array): void {
    let x1 = px + 1;
    let y1 = py + 1;
    const lk = this.lookup;
    if (lk?.hasD2im) {
      const t = this.tmp;
      t[0] = x1;
      t[1] = y1;
      lk.applyD2im(t);
      x1 = t[0]!;
      y1 = t[1]!;
    }
    const u = x1 - this.ref[0]! - 1;
    const v = y1 - this.ref[1]! - 1;
    let fu = u;
    let fv = v;
    if (this.sip) {
      this.sip.forward(u, v, this.tmp2);
      fu = this.tmp2[0]!;
      fv = this.tmp2[1]!;
    }
    if (lk) {
      const d = this.tmp2;
      d[0] = 0;
      d[1] = 0;
      lk.addCpdis(x1, y1, d);
      fu += d[0]!;
      fv += d[1]!;
    }
    out[0] = fu;
    out[1] = fv;
  }

  /** Inverse of toFocal: focal offsets -> 0-based pixel (Newton; analytic Jacobian for SIP alone). */
  private fromFocal(U: number, V: number, out: Float64Array): void {
    if (!this.lookup) {
      this.sip!.inverse(U, V, out);
      out[0] = out[0]! + this.ref[0]!;
      out[1] = out[1]! + this.ref[1]!;
      return;
    }
    solveNewton2d(this.toFocalMap, U, V, U + this.ref[0]!, V + this.ref[1]!, PIXEL_NEWTON, this.buf, out);
    const px = out[0]!;
    const py = out[1]!;
    const f = this.buf;
    this.toFocal(px, py, f);
    const ok = Math.abs(f[0]! - U) < 1e-8 && Math.abs(f[1]! - V) < 1e-8;
    out[0] = ok ? px : NaN;
    out[1] = ok ? py : NaN;
  }

  /** True when there is a celestial axis pair with a projection. */
  get hasCelestial(): boolean {
    return this.celestial !== undefined;
  }

  /** True when SIP or lookup-table distortion is present. */
  get hasDistortion(): boolean {
    return this.sip !== undefined || this.lookup !== undefined;
  }

  /** 0-based pixel -> world (degrees on celestial axes, SI on spectral axes), distortion included. */
  pixelToWorld(pixel: ArrayLike<number>): number[] {
    return this.p2w(pixel, true);
  }

  /** As pixelToWorld without SIP (astropy's wcs_pix2world). */
  pixelToWorldCore(pixel: ArrayLike<number>): number[] {
    return this.p2w(pixel, false);
  }

  /** World -> 0-based pixel, distortion included (astropy's all_world2pix). NaN where undefined. */
  worldToPixel(world: ArrayLike<number>): number[] {
    return this.w2p(world, true);
  }

  worldToPixelCore(world: ArrayLike<number>): number[] {
    return this.w2p(world, false);
  }

  private p2w(pixel: ArrayLike<number>, distort: boolean): number[] {
    const n = this.naxis;
    if (pixel.length !== n) throw new WcsError(`Expected ${n} pixel coordinates, got ${pixel.length}`, 'WCS_BAD_INPUT');
    const d = new Float64Array(n);
    for (let j = 0; j < n; j++) d[j] = pixel[j]! - this.ref[j]!;
    if (distort && this.hasDistortion && n >= 2) {
      this.toFocal(pixel[0]!, pixel[1]!, this.buf);
      d[0] = this.buf[0]!;
      d[1] = this.buf[1]!;
    }
    const x = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += this.m[i * n + j]! * d[j]!;
      x[i] = s;
    }
    const world = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      const c = this.crval[i]!;
      const tab = this.tab[i];
      world[i] = tab ? tab.forward(c + x[i]!) : this.logAxis[i] ? c * Math.exp(x[i]! / c) : c + x[i]!;
    }
    const cel = this.celestial;
    if (cel) {
      if (this.dss) {
        this.dssStandard(pixel[0]!, pixel[1]!, this.buf);
        x[0] = this.buf[0]!;
        x[1] = this.buf[1]!;
      }
      this.intermediateToCelestial(x[cel.lon]!, x[cel.lat]!, this.buf);
      world[cel.lon] = this.buf[0]!;
      world[cel.lat] = this.buf[1]!;
    }
    return world;
  }

  private w2p(world: ArrayLike<number>, distort: boolean): number[] {
    const n = this.naxis;
    if (world.length !== n) throw new WcsError(`Expected ${n} world coordinates, got ${world.length}`, 'WCS_BAD_INPUT');
    const x = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const c = this.crval[i]!;
      const tab = this.tab[i];
      x[i] = tab ? tab.inverse(world[i]!) - c : this.logAxis[i] ? c * Math.log(world[i]! / c) : world[i]! - c;
    }
    const cel = this.celestial;
    if (cel) {
      this.celestialToIntermediate(world[cel.lon]!, world[cel.lat]!, this.buf);
      x[cel.lon] = this.buf[0]!;
      x[cel.lat] = this.buf[1]!;
    }
    if (this.dss) {
      this.dssPixel(x[0]!, x[1]!, this.buf);
      return [this.buf[0]!, this.buf[1]!];
    }
    const d = new Array<number>(n);
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += this.mi[j * n + i]! * x[i]!;
      d[j] = s;
    }
    if (distort && this.hasDistortion && n >= 2) {
      this.fromFocal(d[0]!, d[1]!, this.buf);
      d[0] = this.buf[0]! - this.ref[0]!;
      d[1] = this.buf[1]! - this.ref[1]!;
    }
    return d.map((v, j) => v + this.ref[j]!);
  }

  /** Intermediate world coordinates (degrees) of the celestial pair -> (lon, lat). */
  intermediateToCelestial(x: number, y: number, out: Float64Array): void {
    const cel = this.celestial!;
    if (this.tpv) {
      this.tpv.forward(x, y, out);
      x = out[0]!;
      y = out[1]!;
    }
    cel.projection.toNative(x + this.x0, y + this.y0, out);
    let phi = out[0]!;
    let theta = out[1]!;
    // wcslib's bounds check (astropy enables it): native coordinates must lie on the sphere.
    if (phi < -180) phi = phi < -180 - 1e-13 ? NaN : -180;
    else if (phi > 180) phi = phi > 180 + 1e-13 ? NaN : 180;
    if (theta < -90) theta = theta < -90 - 1e-13 ? NaN : -90;
    else if (theta > 90) theta = theta > 90 + 1e-13 ? NaN : 90;
    if (Number.isNaN(phi) || Number.isNaN(theta)) {
      out[0] = NaN;
      out[1] = NaN;
      return;
    }
    this.rotation!.toCelestial(phi, theta, out);
  }

  /** (lon, lat) -> intermediate world coordinates (degrees) of the celestial pair. */
  celestialToIntermediate(lon: number, lat: number, out: Float64Array): void {
    const cel = this.celestial!;
    this.rotation!.toNative(lon, lat, out);
    cel.projection.fromNative(out[0]!, out[1]!, out);
    out[0] = out[0]! - this.x0;
    out[1] = out[1]! - this.y0;
    if (this.tpv && !Number.isNaN(out[0]!)) this.tpv.inverse(out[0]!, out[1]!, out);
  }

  /**
   * Batch pixel -> (lon, lat) for a 2-axis celestial WCS (the image-plane fast path used by
   * reprojection). Inputs are 0-based pixel x/y arrays; outputs may alias nothing.
   */
  celestialPixelToWorld(xs: ArrayLike<number>, ys: ArrayLike<number>, lon: Float64Array, lat: Float64Array): void {
    this.requirePlane();
    if (this.dss) {
      for (let k = 0; k < xs.length; k++) {
        const w = this.p2w([xs[k]!, ys[k]!], true);
        lon[k] = w[0]!;
        lat[k] = w[1]!;
      }
      return;
    }
    const m = this.m;
    const m00 = m[0]!, m01 = m[1]!, m10 = m[2]!, m11 = m[3]!;
    const rx = this.ref[0]!, ry = this.ref[1]!;
    const lonFirst = this.celestial!.lon === 0;
    const out = this.buf;
    const distorted = this.hasDistortion;
    for (let k = 0; k < xs.length; k++) {
      let dx = xs[k]! - rx;
      let dy = ys[k]! - ry;
      if (distorted) {
        this.toFocal(xs[k]!, ys[k]!, out);
        dx = out[0]!;
        dy = out[1]!;
      }
      const a = m00 * dx + m01 * dy;
      const b = m10 * dx + m11 * dy;
      if (lonFirst) this.intermediateToCelestial(a, b, out);
      else this.intermediateToCelestial(b, a, out);
      lon[k] = out[0]!;
      lat[k] = out[1]!;
    }
  }

  /** Batch (lon, lat) -> 0-based pixel x/y for a 2-axis celestial WCS. */
  celestialWorldToPixel(lon: ArrayLike<number>, lat: ArrayLike<number>, xs: Float64Array, ys: Float64Array): void {
    this.requirePlane();
    if (this.dss) {
      for (let k = 0; k < lon.length; k++) {
        const p = this.w2p([lon[k]!, lat[k]!], true);
        xs[k] = p[0]!;
        ys[k] = p[1]!;
      }
      return;
    }
    const mi = this.mi;
    const i00 = mi[0]!, i01 = mi[1]!, i10 = mi[2]!, i11 = mi[3]!;
    const rx = this.ref[0]!, ry = this.ref[1]!;
    const lonFirst = this.celestial!.lon === 0;
    const out = this.buf;
    const distorted = this.hasDistortion;
    const res = new Float64Array(2);
    for (let k = 0; k < lon.length; k++) {
      this.celestialToIntermediate(lon[k]!, lat[k]!, out);
      const a = lonFirst ? out[0]! : out[1]!;
      const b = lonFirst ? out[1]! : out[0]!;
      const dx = i00 * a + i01 * b;
      const dy = i10 * a + i11 * b;
      if (distorted) {
        this.fromFocal(dx, dy, res);
        xs[k] = res[0]!;
        ys[k] = res[1]!;
      } else {
        xs[k] = dx + rx;
        ys[k] = dy + ry;
      }
    }
  }

  private requirePlane(): void {
    if (this.naxis !== 2 || !this.celestial) {
      throw new WcsError('This operation needs a 2-axis celestial WCS (use celestialPlane())', 'WCS_NOT_CELESTIAL');
    }
  }

  /** The 2-axis celestial sub-WCS (astropy's `.celestial`), keeping SIP when it is on axes 1-2. */
  celestialPlane(): Wcs {
    const cel = this.celestial;
    if (!cel) throw new WcsError('No celestial WCS found', 'WCS_NOT_CELESTIAL');
    if (this.naxis === 2) return this;
    return new Wcs(subDefinition(this.definition, [cel.lon, cel.lat]));
  }

  /**
   * Degrees per pixel along each pixel axis of the celestial plane (astropy's
   * proj_plane_pixel_scales): the column norms of the CDELT*PC matrix.
   */
  pixelScales(): [number, number] {
    const plane = this.celestialPlane();
    const m = plane.m;
    return [Math.hypot(m[0]!, m[2]!), Math.hypot(m[1]!, m[3]!)];
  }

  /** Area of one pixel at the reference point, square degrees (|det| of the celestial matrix). */
  pixelArea(): number {
    const m = this.celestialPlane().m;
    return Math.abs(m[0]! * m[3]! - m[1]! * m[2]!);
  }

  /** The celestial 2x2 matrix CDELT*PC [m00, m01, m10, m11] (lon row first). */
  celestialMatrix(): [number, number, number, number] {
    const p = this.celestialPlane();
    const lonFirst = p.celestial!.lon === 0;
    const m = p.m;
    return lonFirst ? [m[0]!, m[1]!, m[2]!, m[3]!] : [m[2]!, m[3]!, m[0]!, m[1]!];
  }
}

/** The definition restricted to some axes (0-based, in the order given). */
export function subDefinition(def: WcsDefinition, axes: readonly number[]): WcsDefinition {
  const pick = <T>(arr: readonly T[]) => axes.map((k) => arr[k]!);
  const pvs: PvCard[] = [];
  axes.forEach((k, newIndex) => {
    for (const p of def.pv) if (p.i === k + 1) pvs.push({ i: newIndex + 1, m: p.m, value: p.value });
  });
  const keepsSip = axes.length >= 2 && axes[0] === 0 && axes[1] === 1;
  return {
    ...def,
    naxis: axes.length,
    imageShape: def.imageShape ? axes.map((k) => def.imageShape![k] ?? 0) : undefined,
    ctype: pick(def.ctype),
    cunit: pick(def.cunit),
    crpix: pick(def.crpix),
    crval: pick(def.crval),
    cdelt: pick(def.cdelt),
    pc: axes.map((r) => axes.map((c) => def.pc[r]![c]!)),
    pv: pvs,
    sip: keepsSip ? def.sip : undefined,
    lookupRequests: keepsSip ? def.lookupRequests : undefined,
    lookupTables: keepsSip ? def.lookupTables : undefined,
  };
}
