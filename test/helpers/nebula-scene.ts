/**
 * A synthetic NIRCam view of a planetary nebula like NGC 3132, for composite tests and the docs
 * image: three filters (F090W, F187N short-wave at 0.031"/px; F444W long-wave at 0.063"/px, so the
 * files have different grids), each with its own morphology (inner hot gas, ionised ring, clumpy
 * outer molecular shell), a field of stars with filter-dependent PSF widths, a sky pedestal and
 * Gaussian noise of JWST-like relative size, and NaN outside a slightly rotated footprint, as i2d
 * products have. `isSky(ra, dec)` tells the test which sky positions are empty sky.
 */
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { FitsWriter } from '../../src/fits/index.js';
import { mulberry32 as prng } from './prng.js';


function gaussian(rand: () => number): number {
  const u = Math.max(1e-12, rand());
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

export interface SceneFilter {
  readonly filter: string;
  readonly wavelengthUm: number;
  /** arcsec per pixel */
  readonly scale: number;
  readonly sky: number;
  readonly noise: number;
  /** PSF sigma, arcsec */
  readonly psf: number;
  readonly hue: number;
}

export const NIRCAM_FILTERS: readonly SceneFilter[] = [
  { filter: 'F090W', wavelengthUm: 0.9, scale: 0.031, sky: 0.12, noise: 0.02, psf: 0.035, hue: 240 },
  { filter: 'F187N', wavelengthUm: 1.87, scale: 0.031, sky: 0.35, noise: 0.06, psf: 0.06, hue: 120 },
  { filter: 'F444W', wavelengthUm: 4.44, scale: 0.063, sky: 0.9, noise: 0.05, psf: 0.14, hue: 0 },
];

export const SCENE_CENTRE = { ra: 151.7576, dec: -40.4365 };
/** Field side, arcsec. */
export const FIELD_ARCSEC = 24;

/** Nebula emission (arcsec offsets from the centre) in one filter, before sky and noise. */
function nebula(f: SceneFilter, dx: number, dy: number, clumps: ReadonlyArray<[number, number, number]>): number {
  const r = Math.hypot(dx / 1.15, dy); // slightly elliptical
  const theta = Math.atan2(dy, dx);
  const ripple = 1 + 0.25 * Math.sin(5 * theta + r * 0.6) + 0.15 * Math.sin(13 * theta - r);
  const inner = Math.exp(-((r / 3.5) ** 2));
  const ring = Math.exp(-(((r - 5.5) / 1.6) ** 2)) * ripple;
  const shell = Math.exp(-(((r - 8.5) / 2.2) ** 2)) * (0.6 + 0.4 * Math.sin(7 * theta + 1));
  const halo = Math.exp(-r / 6);
  let clumpy = 0;
  if (f.wavelengthUm > 3) for (const [cx, cy, a] of clumps) clumpy += a * Math.exp(-((dx - cx) ** 2 + (dy - cy) ** 2) / 0.35);
  if (f.wavelengthUm < 1.2) return 2.0 * inner + 0.35 * ring + 0.15 * halo;
  if (f.wavelengthUm < 3) return 0.5 * inner + 3.0 * ring + 0.5 * shell + 0.3 * halo;
  return 0.2 * inner + 0.8 * ring + 2.5 * shell + clumpy + 0.4 * halo;
}

/** Where the test may measure empty sky: beyond the nebula and away from stars (arcsec offsets). */
export function isSkyOffset(dx: number, dy: number): boolean {
  return Math.hypot(dx / 1.15, dy) > 11.5;
}

export interface SceneStar { readonly dx: number; readonly dy: number; readonly flux: number }

export function sceneStars(seed = 3132): SceneStar[] {
  const rand = prng(seed);
  const stars: SceneStar[] = [{ dx: 0.4, dy: -0.2, flux: 60 }, { dx: -0.3, dy: 0.5, flux: 25 }];
  for (let i = 0; i < 120; i++) stars.push({ dx: (rand() - 0.5) * FIELD_ARCSEC, dy: (rand() - 0.5) * FIELD_ARCSEC, flux: 0.5 * rand() ** -1.2 });
  return stars;
}

/** Arcsec offset of a star-free sky test: farther than 6 PSF sigma from every star. */
export function nearStar(dx: number, dy: number, stars: readonly SceneStar[], radius = 0.6): boolean {
  return stars.some((s) => Math.hypot(dx - s.dx, dy - s.dy) < radius * Math.max(1, Math.log10(10 * s.flux)));
}

export interface WrittenScene {
  readonly files: Array<{ path: string; filter: SceneFilter }>;
  readonly stars: SceneStar[];
}

/** Writes one i2d-like FITS file per filter under dataDir/dir; returns their relative paths. */
export async function writeNebulaScene(dataDir: string, dir = 'ngc3132', filters: readonly SceneFilter[] = NIRCAM_FILTERS, fieldScale = 1): Promise<WrittenScene> {
  const stars = sceneStars();
  const clumpRand = prng(44);
  const clumps: Array<[number, number, number]> = [];
  for (let i = 0; i < 160; i++) {
    const t = clumpRand() * 2 * Math.PI;
    const r = 7 + clumpRand() * 4;
    clumps.push([Math.cos(t) * r * 1.15, Math.sin(t) * r, 0.8 + clumpRand() * 1.5]);
  }
  const files = [];
  for (const [fi, f] of filters.entries()) {
    const scale = f.scale / fieldScale;
    const n = Math.round(FIELD_ARCSEC / scale);
    const rand = prng(1000 + fi);
    const data = new Float32Array(n * n);
    const rot = (2 * Math.PI) / 180; // footprint rotated 2 degrees against the sky grid
    const psf = f.psf;
    for (let y = 0; y < n; y++) {
      for (let x = 0; x < n; x++) {
        // pixel -> arcsec offset (east to the left: RA decreases with x)
        const dx = (x - (n - 1) / 2) * scale;
        const dy = (y - (n - 1) / 2) * scale;
        // i2d coverage: a rotated square slightly smaller than the array
        const u = dx * Math.cos(rot) + dy * Math.sin(rot);
        const v = -dx * Math.sin(rot) + dy * Math.cos(rot);
        if (Math.abs(u) > FIELD_ARCSEC * 0.47 || Math.abs(v) > FIELD_ARCSEC * 0.47) {
          data[y * n + x] = NaN;
          continue;
        }
        let val = nebula(f, dx, dy, clumps);
        for (const s of stars) {
          const d2 = (dx - s.dx) ** 2 + (dy - s.dy) ** 2;
          if (d2 < (8 * psf) ** 2) val += (s.flux * Math.exp(-d2 / (2 * psf * psf))) * (f.wavelengthUm < 3 ? 1 : 0.6);
        }
        data[y * n + x] = f.sky + val + f.noise * gaussian(rand);
      }
    }
    const path = join(dir, `jw02733-o001_t001_nircam_clear-${f.filter.toLowerCase()}_i2d.fits`);
    const full = join(dataDir, path);
    await mkdir(dirname(full), { recursive: true });
    const w = await FitsWriter.create(full);
    await w.writeImage({ axes: [], cards: [
      { keyword: 'TELESCOP', value: 'JWST' }, { keyword: 'INSTRUME', value: 'NIRCAM' }, { keyword: 'FILTER', value: f.filter },
      { keyword: 'TARGNAME', value: 'NGC 3132' },
    ] });
    await w.writeImage({ axes: [n, n], data, extname: 'SCI', cards: [
      { keyword: 'CTYPE1', value: 'RA---TAN' }, { keyword: 'CTYPE2', value: 'DEC--TAN' },
      { keyword: 'CRPIX1', value: (n + 1) / 2 }, { keyword: 'CRPIX2', value: (n + 1) / 2 },
      { keyword: 'CRVAL1', value: SCENE_CENTRE.ra }, { keyword: 'CRVAL2', value: SCENE_CENTRE.dec },
      { keyword: 'CDELT1', value: -scale / 3600 }, { keyword: 'CDELT2', value: scale / 3600 },
      { keyword: 'CUNIT1', value: 'deg' }, { keyword: 'CUNIT2', value: 'deg' },
      { keyword: 'RADESYS', value: 'ICRS' }, { keyword: 'BUNIT', value: 'MJy/sr' },
    ] });
    await w.close();
    files.push({ path, filter: f });
  }
  return { files, stars };
}
