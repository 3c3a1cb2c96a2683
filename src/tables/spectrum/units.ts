/**
 * Unit conversions for spectra (checked against astropy.units: test/fixtures/spectra):
 * wavelength in um, nm or Angstrom; flux density in Jy (and mJy, uJy, MJy...), surface brightness
 * in MJy/sr, AB magnitudes and erg s^-1 cm^-2 A^-1 (f_lambda), through the spectral-density
 * equivalence f_lambda = f_nu c / lambda^2. Surface brightness becomes flux with a solid angle
 * (a pixel's PIXAR_SR). A flux <= 0 or NaN has no AB magnitude (NaN).
 */
import { TableError } from '../errors.js';

const C_ANGSTROM_PER_S = 2.99792458e18;
/** AB magnitude 0 in erg s^-1 cm^-2 Hz^-1 (astropy: 10^(-0.4 * 48.6)). */
const AB_ZERO_CGS = 10 ** (-0.4 * 48.6);
const JY_CGS = 1e-23;

export type WavelengthUnit = 'um' | 'nm' | 'Angstrom';
export const WAVELENGTH_UNITS: readonly WavelengthUnit[] = ['um', 'nm', 'Angstrom'];
export type FluxUnit = 'MJy/sr' | 'Jy' | 'ABmag' | 'erg/s/cm2/Angstrom';
export const FLUX_UNITS: readonly FluxUnit[] = ['MJy/sr', 'Jy', 'ABmag', 'erg/s/cm2/Angstrom'];

function normalise(unit: string): string {
  return unit.trim().replace(/µ|μ/g, 'u').replace(/\s+/g, '').replace(/\*\*/g, '').replace(/\^/g, '');
}

/** Metres per unit of a wavelength unit string, or undefined when it is not a length. */
export function lengthScale(unit: string): number | undefined {
  const u = normalise(unit).toLowerCase();
  const table: Record<string, number> = {
    m: 1, meter: 1, metre: 1, cm: 1e-2, mm: 1e-3, um: 1e-6, micron: 1e-6, microns: 1e-6, micrometer: 1e-6, nm: 1e-9, nanometer: 1e-9,
    angstrom: 1e-10, aa: 1e-10, å: 1e-10, a: 1e-10,
  };
  return table[u];
}

export function parseWavelengthUnit(unit: string): WavelengthUnit {
  const s = lengthScale(unit);
  if (s === 1e-6) return 'um';
  if (s === 1e-9) return 'nm';
  if (s === 1e-10) return 'Angstrom';
  throw new TableError('TABLE_BAD_ARGUMENT', `Unknown wavelength unit '${unit}'. Must be one of: ${WAVELENGTH_UNITS.join(', ')}`);
}

/** Convert wavelengths from `from` (any length unit) to `to`. */
export function convertWavelength(values: Float64Array, from: string, to: WavelengthUnit): Float64Array {
  const a = lengthScale(from);
  if (a === undefined) throw new TableError('TABLE_BAD_ARGUMENT', `Cannot convert wavelengths in '${from}' to ${to}`);
  const b = lengthScale(to) as number;
  const f = a / b;
  return values.map((v) => v * f);
}

type FluxKind = { kind: 'fnu'; jy: number } | { kind: 'sb'; jyPerSr: number } | { kind: 'flam'; cgsPerAngstrom: number } | { kind: 'abmag' };

/** What a flux unit string is: f_nu (Jy per unit), surface brightness (Jy/sr per unit), f_lambda or AB mag. */
export function fluxKind(unit: string): FluxKind | undefined {
  const u = normalise(unit);
  const lower = u.toLowerCase();
  if (lower === 'abmag' || lower === 'mag(ab)' || lower === 'ab') return { kind: 'abmag' };
  const jy: Record<string, number> = { jy: 1, mjy: 1e-3, ujy: 1e-6, njy: 1e-9, kjy: 1e3 };
  const m = /^([a-zA-Z]*)jy(\/sr)?$/i.exec(u);
  if (m) {
    const prefix = m[1] ?? '';
    // 'MJy' is mega, 'mJy' milli: the case of the prefix matters.
    const scale = prefix === 'M' ? 1e6 : prefix === 'm' ? 1e-3 : prefix === 'G' ? 1e9 : jy[`${prefix.toLowerCase()}jy`];
    if (scale === undefined) return undefined;
    return m[2] ? { kind: 'sb', jyPerSr: scale } : { kind: 'fnu', jy: scale };
  }
  // erg/s/cm2/Angstrom in its spellings: 'erg/s/cm2/Angstrom', 'erg / (Angstrom cm2 s)', 'erg s-1 cm-2 A-1'.
  const letters = lower.replace(/[()/.]/g, '');
  if (/^erg/.test(letters) && /(angstrom|aa|a-1|å)/.test(letters) && /cm-?2/.test(letters) && /s(-1)?/.test(letters)) return { kind: 'flam', cgsPerAngstrom: 1 };
  if (/^w\/m2\/um$|^wm-2um-1$/.test(lower)) return { kind: 'flam', cgsPerAngstrom: 0.1 }; // W m^-2 um^-1 = 0.1 erg s^-1 cm^-2 A^-1
  return undefined;
}

export function parseFluxUnit(unit: string): FluxUnit {
  const k = fluxKind(unit);
  if (k?.kind === 'sb' && k.jyPerSr === 1e6) return 'MJy/sr';
  if (k?.kind === 'fnu' && k.jy === 1) return 'Jy';
  if (k?.kind === 'abmag') return 'ABmag';
  if (k?.kind === 'flam' && k.cgsPerAngstrom === 1) return 'erg/s/cm2/Angstrom';
  throw new TableError('TABLE_BAD_ARGUMENT', `Unknown flux unit '${unit}'. Must be one of: ${FLUX_UNITS.join(', ')}`);
}

export interface FluxConversion {
  /** Wavelength of each value in um (needed between f_nu and f_lambda). */
  readonly wavelengthUm?: Float64Array;
  /** Solid angle (sr) of a pixel, needed between surface brightness and flux density. */
  readonly pixelAreaSr?: number | null;
}

/**
 * Convert flux values from `from` to `to`. Throws TABLE_BAD_ARGUMENT when the conversion needs
 * what is not there (a solid angle, wavelengths) or the unit is unknown.
 */
export function convertFlux(values: Float64Array, from: string, to: FluxUnit, o: FluxConversion = {}): Float64Array {
  const src = fluxKind(from);
  if (!src) throw new TableError('TABLE_BAD_ARGUMENT', `Cannot convert flux in '${from || 'no unit'}' to ${to}`);
  const dst = fluxKind(to) as FluxKind;
  const n = values.length;
  const wave = o.wavelengthUm;
  const needWave = (): Float64Array => {
    if (!wave || wave.length !== n) throw new TableError('TABLE_BAD_ARGUMENT', `Converting ${from} to ${to} needs the wavelengths`);
    return wave;
  };
  const sr = (): number => {
    if (!o.pixelAreaSr || !(o.pixelAreaSr > 0)) throw new TableError('TABLE_BAD_ARGUMENT', `Converting ${from} to ${to} needs the pixel solid angle (PIXAR_SR), which the file does not give`);
    return o.pixelAreaSr;
  };
  if (src.kind === 'sb' && dst.kind === 'sb') return values.map((v) => (v * src.jyPerSr) / dst.jyPerSr);
  if (dst.kind === 'sb') {
    // Only surface brightness converts to surface brightness (via a solid angle the other way).
    const jy = toJy(values, src, needWaveIf(src, needWave));
    const area = sr();
    return jy.map((v) => v / area / dst.jyPerSr);
  }
  let jy: Float64Array;
  if (src.kind === 'sb') {
    const area = sr();
    jy = values.map((v) => v * src.jyPerSr * area);
  } else jy = toJy(values, src, needWaveIf(src, needWave));
  if (dst.kind === 'fnu') return jy.map((v) => v / dst.jy);
  if (dst.kind === 'abmag') return jy.map((v) => (v > 0 ? -2.5 * Math.log10((v * JY_CGS) / AB_ZERO_CGS) : Number.NaN));
  const w = needWave();
  return jy.map((v, i) => (v * JY_CGS * C_ANGSTROM_PER_S) / ((w[i] as number) * 1e4) ** 2 / dst.cgsPerAngstrom);
}

function needWaveIf(k: FluxKind, need: () => Float64Array): Float64Array | undefined {
  return k.kind === 'flam' ? need() : undefined;
}

function toJy(values: Float64Array, k: FluxKind, wave: Float64Array | undefined): Float64Array {
  switch (k.kind) {
    case 'fnu':
      return values.map((v) => v * k.jy);
    case 'abmag':
      return values.map((v) => (AB_ZERO_CGS * 10 ** (-0.4 * v)) / JY_CGS);
    case 'flam':
      return values.map((v, i) => (v * k.cgsPerAngstrom * ((wave as Float64Array)[i] as number) ** 2 * 1e8) / (JY_CGS * C_ANGSTROM_PER_S));
    default:
      throw new TableError('TABLE_BAD_ARGUMENT', 'surface brightness needs a solid angle');
  }
}
