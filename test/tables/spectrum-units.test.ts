/** Spectrum unit conversions against astropy.units 5.2.1 (test/fixtures/spectra/make_units.py). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { convertFlux, convertWavelength, parseFluxUnit, parseWavelengthUnit } from '../../src/tables/spectrum/units.js';

interface Case {
  kind: 'wavelength' | 'flux';
  from: string;
  to: string;
  values: (number | 'NaN')[];
  wave_um?: (number | 'NaN')[];
  pixar_sr?: number;
  expected: (number | 'NaN')[];
}
const fixture = JSON.parse(readFileSync(fileURLToPath(new URL('../fixtures/spectra/units.expected.json', import.meta.url)), 'utf8')) as { cases: Case[] };
const arr = (a: (number | 'NaN')[]) => Float64Array.from(a, (v) => (v === 'NaN' ? Number.NaN : v));

describe('spectrum units (astropy.units)', () => {
  for (const c of fixture.cases) {
    it(`${c.kind} ${c.from} -> ${c.to}`, () => {
      const got =
        c.kind === 'wavelength'
          ? convertWavelength(arr(c.values), c.from, parseWavelengthUnit(c.to))
          : convertFlux(arr(c.values), c.from, parseFluxUnit(c.to), { wavelengthUm: c.wave_um ? arr(c.wave_um) : undefined, pixelAreaSr: c.pixar_sr ?? null });
      const want = arr(c.expected);
      want.forEach((w, i) => {
        const g = got[i] as number;
        if (Number.isNaN(w)) assert.ok(Number.isNaN(g), `${i}: ${g} should be NaN`);
        else assert.ok(Math.abs(g - w) <= 1e-12 * Math.abs(w) + 1e-300, `${i}: ${g} vs ${w}`);
      });
    });
  }

  it('says what is missing', () => {
    assert.throws(() => convertFlux(Float64Array.of(1), 'MJy/sr', 'Jy'), /PIXAR_SR/);
    assert.throws(() => parseFluxUnit('furlongs'), /Unknown flux unit 'furlongs'. Must be one of: MJy\/sr, Jy, ABmag, erg\/s\/cm2\/Angstrom/);
    assert.throws(() => parseWavelengthUnit('Hz'), /Unknown wavelength unit/);
  });
});
