/**
 * JWST imaging filters and instruments for composite recipes (upstream-latest §2): pivot
 * wavelengths of the 38 NIRCam and MIRI filters the upstream knows, bandpass classes, fields of
 * view and native pixel scales. Names are normalised first (the upstream's defect 20: `NIRCAM/IMAGE`
 * fell to defaults and `F405N;F444W` was dropped).
 */

/** Pivot wavelengths, microns. */
export const FILTER_WAVELENGTHS: Readonly<Record<string, number>> = {
  F070W: 0.704, F090W: 0.902, F115W: 1.154, F140M: 1.404, F150W: 1.501, F162M: 1.626, F164N: 1.644,
  F150W2: 1.659, F182M: 1.845, F187N: 1.874, F200W: 1.989, F210M: 2.093, F212N: 2.12, F250M: 2.503,
  F277W: 2.762, F300M: 2.989, F322W2: 3.232, F323N: 3.237, F335M: 3.362, F356W: 3.568, F360M: 3.624,
  F405N: 4.052, F410M: 4.082, F430M: 4.281, F444W: 4.408, F460M: 4.63, F466N: 4.654, F470N: 4.708,
  F480M: 4.874, F560W: 5.6, F770W: 7.7, F1000W: 10.0, F1130W: 11.3, F1280W: 12.8, F1500W: 15.0,
  F1800W: 18.0, F2100W: 21.0, F2550W: 25.5,
};

export type Bandpass = 'W' | 'M' | 'N';

/** W (wide, incl. W2), M or N from the filter name. */
export function bandpassOf(filter: string): Bandpass {
  const m = /^F\d+([WMN])/.exec(filter);
  return (m?.[1] as Bandpass | undefined) ?? 'W';
}

/** Preference when two filters compete: wide > medium > narrow. */
export const BANDPASS_RANK: Readonly<Record<Bandpass, number>> = { W: 0, M: 1, N: 2 };

/** `NIRCAM/IMAGE`, ` nircam ` -> `NIRCAM`. */
export function normalizeInstrument(instrument: string): string {
  return instrument.trim().toUpperCase().split(/[/\s]/)[0] ?? '';
}

/**
 * `F405N;F444W`, `CLEAR;F200W`, `f200w` -> one known filter: of the parts with a known
 * wavelength, the narrowest band (it defines the bandpass); undefined when none is known.
 */
export function normalizeFilter(filter: string): string | undefined {
  const parts = filter.toUpperCase().split(/[;,+\s]+/).filter((p) => p in FILTER_WAVELENGTHS);
  if (parts.length === 0) return undefined;
  return parts.sort((a, b) => BANDPASS_RANK[bandpassOf(b)] - BANDPASS_RANK[bandpassOf(a)])[0];
}

/** Field of view radius used for overlap and coverage, arcmin. */
export function fieldOfViewArcmin(instrument: string): number {
  switch (normalizeInstrument(instrument)) {
    case 'MIRI': return 0.75;
    case 'NIRSPEC': return 1.6;
    default: return 1.1; // NIRCAM, NIRISS and unknown
  }
}

/** Native pixel scale, arcsec (NIRCam long wave from 2.4 microns). */
export function pixelScaleArcsec(instrument: string, wavelengthUm?: number): number {
  switch (normalizeInstrument(instrument)) {
    case 'NIRCAM': return wavelengthUm !== undefined && wavelengthUm >= 2.4 ? 0.063 : 0.031;
    case 'MIRI': return 0.111;
    case 'NIRISS': return 0.065;
    case 'NIRSPEC': return 0.1;
    default: return 0.065;
  }
}
