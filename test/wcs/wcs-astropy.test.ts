/**
 * Synthetic headers (every projection, RA wrap, poles, SIP with and without AP/BP, CROTA2, units,
 * LONPOLE/LATPOLE, cubes) against astropy.wcs answers from test/fixtures/wcs/make-wcs-pairs.py.
 */
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { recordHeader } from '../../src/wcs/header-source.js';
import { Wcs } from '../../src/wcs/wcs.js';
import { convertFrame } from '../../src/wcs/frames.js';
import { jsonNumber, pixelError, worldError } from './wcs-reference.js';

interface Case {
  name: string;
  header: Record<string, string | number>;
  lonpole: number;
  latpole: number;
  pixel_scales: number[];
  pixel_to_world: Array<{ pixel: number[]; world: Array<number | null> }>;
  world_to_pixel: Array<{ world: Array<number | null>; pixel: Array<number | null> }>;
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/wcs/wcs-pairs.json', import.meta.url), 'utf8')) as {
  cases: Case[];
  frames: Record<string, Array<[number, number]>>;
};

describe('WCS against astropy.wcs on synthetic headers', () => {
  for (const c of fixture.cases) {
    it(c.name, () => {
      const wcs = Wcs.fromHeader(recordHeader(c.header));
      for (const p of c.pixel_to_world) {
        const want = p.world.map(jsonNumber);
        const got = wcs.pixelToWorld(p.pixel);
        const err = worldError(wcs, got, want);
        assert.ok(err <= 1e-9, `pixel ${p.pixel}: world ${got} vs astropy ${want} (err ${err})`);
      }
      for (const p of c.world_to_pixel) {
        const want = p.pixel.map(jsonNumber);
        const got = wcs.worldToPixel(p.world.map(jsonNumber));
        const err = pixelError(got, want);
        assert.ok(err <= 1e-6, `world ${p.world}: pixel ${got} vs astropy ${want} (err ${err})`);
      }
      if (wcs.celestial) {
        assert.ok(Math.abs(wcs.celestial.pole.lonpole - c.lonpole) < 1e-9, `lonpole ${wcs.celestial.pole.lonpole} vs ${c.lonpole}`);
        assert.ok(Math.abs(wcs.celestial.pole.latpole - c.latpole) < 1e-9, `latpole ${wcs.celestial.pole.latpole} vs ${c.latpole}`);
        const [sx, sy] = wcs.pixelScales();
        assert.ok(Math.abs(sx - c.pixel_scales[0]!) < 1e-15 + 1e-12 * sx && Math.abs(sy - c.pixel_scales[1]!) < 1e-15 + 1e-12 * sy, 'pixel scales');
      }
    });
  }

  it('batch celestial transforms equal the per-point ones', () => {
    const c = fixture.cases.find((k) => k.name === 'sip-with-inverse')!;
    const wcs = Wcs.fromHeader(recordHeader(c.header));
    const xs = Float64Array.from(c.pixel_to_world, (p) => p.pixel[0]!);
    const ys = Float64Array.from(c.pixel_to_world, (p) => p.pixel[1]!);
    const lon = new Float64Array(xs.length);
    const lat = new Float64Array(xs.length);
    wcs.celestialPixelToWorld(xs, ys, lon, lat);
    const bx = new Float64Array(xs.length);
    const by = new Float64Array(xs.length);
    wcs.celestialWorldToPixel(lon, lat, bx, by);
    for (let k = 0; k < xs.length; k++) {
      assert.deepEqual([lon[k], lat[k]], wcs.pixelToWorld([xs[k]!, ys[k]!]));
      assert.ok(Math.abs(bx[k]! - xs[k]!) < 1e-8 && Math.abs(by[k]! - ys[k]!) < 1e-8);
    }
  });
});

describe('celestial frame conversions against astropy.coordinates', () => {
  const f = fixture.frames;
  const check = (from: Array<[number, number]>, want: Array<[number, number]>, conv: (lon: number, lat: number) => [number, number]) => {
    from.forEach(([lon, lat], k) => {
      const [l, b] = conv(lon, lat);
      const [wl, wb] = want[k]!;
      const dl = Math.abs(((l - wl + 540) % 360) - 180) * Math.cos((wb * Math.PI) / 180);
      assert.ok(dl < 1e-9 && Math.abs(b - wb) < 1e-9, `(${lon}, ${lat}) -> (${l}, ${b}) vs astropy (${wl}, ${wb})`);
    });
  };
  it('ICRS -> FK5 J2000', () => check(f.icrs!, f.icrs_to_fk5_j2000!, (a, d) => convertFrame(a, d, { system: 'icrs' }, { system: 'fk5', equinox: 2000 })));
  it('ICRS -> FK5 J1975 (precession)', () => check(f.icrs!, f.icrs_to_fk5_j1975!, (a, d) => convertFrame(a, d, { system: 'icrs' }, { system: 'fk5', equinox: 1975 })));
  it('ICRS -> Galactic', () => check(f.icrs!, f.icrs_to_galactic!, (a, d) => convertFrame(a, d, { system: 'icrs' }, { system: 'galactic' })));
  it('ICRS -> FK4 B1950 (E-terms, obstime = equinox)', () => check(f.icrs!, f.icrs_to_fk4_b1950!, (a, d) => convertFrame(a, d, { system: 'icrs' }, { system: 'fk4', equinox: 1950 })));
  it('ICRS -> FK4 B1950 with obstime J1985.5', () => check(f.icrs!, f['icrs_to_fk4_b1950_obstime_j1985.5']!, (a, d) => convertFrame(a, d, { system: 'icrs' }, { system: 'fk4', equinox: 1950, obstime: 1985.5 })));
  it('ICRS -> FK4-NO-E B1950', () => check(f.icrs!, f.icrs_to_fk4noe_b1950!, (a, d) => convertFrame(a, d, { system: 'icrs' }, { system: 'fk4-no-e', equinox: 1950 })));
  it('ICRS -> FK4 B1900 (Newcomb precession)', () => check(f.icrs!, f.icrs_to_fk4_b1900!, (a, d) => convertFrame(a, d, { system: 'icrs' }, { system: 'fk4', equinox: 1900 })));
  it('FK4 B1950 -> ICRS', () => check(f.icrs!, f.fk4_b1950_to_icrs!, (a, d) => convertFrame(a, d, { system: 'fk4', equinox: 1950 }, { system: 'icrs' })));
  it('Galactic -> ICRS', () => check(f.galactic_input!, f.galactic_to_icrs!, (a, d) => convertFrame(a, d, { system: 'galactic' }, { system: 'icrs' })));
});
