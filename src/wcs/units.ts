/**
 * Unit normalisation wcslib applies in wcsset: celestial axes to degrees, spectral axes to SI.
 * Returns the factor that converts a value in `unit` to the canonical unit, or undefined when the
 * unit is not one of the known ones (the axis is then left as it is).
 */
const ANGLE: Record<string, number> = {
  deg: 1, degree: 1, degrees: 1, arcmin: 1 / 60, arcsec: 1 / 3600, mas: 1 / 3_600_000, rad: 180 / Math.PI,
};

const SPECTRAL: Record<string, { canonical: string; factors: Record<string, number> }> = {
  FREQ: { canonical: 'Hz', factors: { hz: 1, khz: 1e3, mhz: 1e6, ghz: 1e9, thz: 1e12 } },
  ENER: { canonical: 'J', factors: { j: 1, ev: 1.602176634e-19, kev: 1.602176634e-16, erg: 1e-7 } },
  WAVN: { canonical: '/m', factors: { '/m': 1, '1/m': 1, 'm-1': 1, '/cm': 100, '1/cm': 100, 'cm-1': 100 } },
  VRAD: { canonical: 'm/s', factors: { 'm/s': 1, 'm s-1': 1, 'km/s': 1e3, 'km s-1': 1e3 } },
  WAVE: { canonical: 'm', factors: { m: 1, cm: 1e-2, mm: 1e-3, um: 1e-6, micron: 1e-6, nm: 1e-9, angstrom: 1e-10 } },
};
SPECTRAL.VOPT = SPECTRAL.VRAD!;
SPECTRAL.VELO = SPECTRAL.VRAD!;
SPECTRAL.AWAV = SPECTRAL.WAVE!;

export const SPECTRAL_TYPES = ['FREQ', 'ENER', 'WAVN', 'VRAD', 'WAVE', 'VOPT', 'ZOPT', 'AWAV', 'VELO', 'BETA'] as const;

function key(unit: string): string {
  return unit.trim().replace(/\s*\/\s*/g, '/').replace(/\s+/g, ' ').toLowerCase();
}

export function angleFactor(unit: string): number | undefined {
  if (unit.trim() === '') return 1;
  return ANGLE[key(unit)];
}

export function spectralFactor(type: string, unit: string): { factor: number; canonical: string } | undefined {
  const table = SPECTRAL[type];
  if (!table || unit.trim() === '') return undefined;
  const f = table.factors[key(unit)];
  return f === undefined ? undefined : { factor: f, canonical: table.canonical };
}
