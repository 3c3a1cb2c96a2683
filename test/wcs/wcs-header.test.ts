/** Header handling: round trip through cards, typed errors for unusable headers, sub-WCS. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseWcs, recordHeader, Wcs, WcsError, wcsToRecord } from '../../src/wcs/index.js';

const jwst = {
  NAXIS: 2, NAXIS1: 100, NAXIS2: 80, CTYPE1: 'RA---TAN', CTYPE2: 'DEC--TAN', CRPIX1: 50.5, CRPIX2: 40.5,
  CRVAL1: 53.16, CRVAL2: -27.79, CDELT1: -8.7e-6, CDELT2: 8.7e-6, PC1_1: 0.8, PC1_2: -0.6, PC2_1: 0.6, PC2_2: 0.8,
  RADESYS: 'ICRS',
};

describe('WCS headers', () => {
  it('round-trips through wcsToRecord', () => {
    const a = Wcs.fromHeader(recordHeader(jwst));
    const b = Wcs.fromHeader(recordHeader({ NAXIS: 2, ...wcsToRecord(a.definition) }));
    for (const p of [[0, 0], [99, 79], [12.5, 60.25]]) {
      const wa = a.pixelToWorld(p);
      const wb = b.pixelToWorld(p);
      assert.ok(Math.abs(wa[0]! - wb[0]!) < 1e-12 && Math.abs(wa[1]! - wb[1]!) < 1e-12);
    }
  });

  it('uses the PC matrix (the upstream engine ignored it)', () => {
    const w = Wcs.fromHeader(recordHeader(jwst));
    const noPc = Wcs.fromHeader(recordHeader({ ...jwst, PC1_1: 1, PC1_2: 0, PC2_1: 0, PC2_2: 1 }));
    const a = w.pixelToWorld([0, 0]);
    const b = noPc.pixelToWorld([0, 0]);
    assert.ok(Math.abs(a[1]! - b[1]!) > 1e-4);
  });

  it('rejects an unknown projection with a typed error', () => {
    assert.throws(() => Wcs.fromHeader(recordHeader({ ...jwst, CTYPE1: 'RA---XYZ', CTYPE2: 'DEC--XYZ' })), (e: unknown) => e instanceof WcsError && e.httpStatus === 400);
  });

  it('rejects a singular matrix', () => {
    assert.throws(() => Wcs.fromHeader(recordHeader({ ...jwst, PC1_1: 1, PC1_2: 1, PC2_1: 1, PC2_2: 1 })), WcsError);
  });

  it('rejects a header with mismatched projections', () => {
    assert.throws(() => parseWcs(recordHeader({ ...jwst, CTYPE2: 'DEC--SIN' })), WcsError);
  });

  it('gives the celestial plane of a cube and keeps the frame', () => {
    const cube = Wcs.fromHeader(recordHeader({ ...jwst, NAXIS: 3, NAXIS3: 5, CTYPE3: 'WAVE', CUNIT3: 'um', CRVAL3: 2, CDELT3: 0.01, CRPIX3: 1 }));
    assert.equal(cube.naxis, 3);
    assert.equal(cube.definition.cunit[2], 'm');
    assert.ok(Math.abs(cube.pixelToWorld([0, 0, 1])[2]! - 2.01e-6) < 1e-18);
    const plane = cube.celestialPlane();
    assert.equal(plane.naxis, 2);
    assert.deepEqual(plane.celestial!.frame, { system: 'icrs' });
    assert.deepEqual(plane.pixelToWorld([3, 4]), cube.pixelToWorld([3, 4, 0]).slice(0, 2));
  });

  it('reads an alternate description (keywords with the letter suffix)', () => {
    const alt = Wcs.fromHeader(recordHeader({ ...jwst, CTYPE1A: 'GLON-CAR', CTYPE2A: 'GLAT-CAR', CRPIX1A: 1, CRPIX2A: 1, CRVAL1A: 10, CRVAL2A: 0, CDELT1A: -0.1, CDELT2A: 0.1 }), { alt: 'A' });
    assert.deepEqual(alt.celestial!.frame, { system: 'galactic' });
    const w = alt.pixelToWorld([10, 20]);
    assert.ok(Math.abs(w[0]! - 9) < 1e-12 && Math.abs(w[1]! - 2) < 1e-12, String(w));
    assert.throws(() => parseWcs(recordHeader(jwst), { alt: '1' }), WcsError);
  });

  it('returns NaN outside an all-sky projection instead of throwing', () => {
    const ait = Wcs.fromHeader(recordHeader({ NAXIS: 2, CTYPE1: 'RA---AIT', CTYPE2: 'DEC--AIT', CRPIX1: 180.5, CRPIX2: 90.5, CDELT1: -1, CDELT2: 1, CRVAL1: 0, CRVAL2: 0 }));
    const w = ait.pixelToWorld([0, 0]);
    assert.ok(Number.isNaN(w[0]) && Number.isNaN(w[1]));
  });
});
