/** Binning, grid fitting/cropping and footprints: the sky stays where it was. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { binPlane, binWcs } from '../../src/reproject/bin.js';
import { boundingBox, footprintOf, pairwiseOverlaps } from '../../src/reproject/footprint.js';
import { cropGrid, fitGridInBox } from '../../src/reproject/grid-fit.js';
import { parseWcs, recordHeader, Wcs } from '../../src/wcs/index.js';

const sip = parseWcs(recordHeader({
  NAXIS: 2, NAXIS1: 100, NAXIS2: 80, CTYPE1: 'RA---TAN-SIP', CTYPE2: 'DEC--TAN-SIP', CRPIX1: 50.3, CRPIX2: 40.7, CRVAL1: 150, CRVAL2: 2,
  CD1_1: -1e-4, CD1_2: 2e-5, CD2_1: 2e-5, CD2_2: 1e-4, A_ORDER: 2, B_ORDER: 2, A_2_0: 1e-5, A_1_1: -2e-5, B_0_2: 3e-5, B_1_1: 1e-5,
}));

const near = (a: number[], b: number[], tol: number) => a.every((v, i) => Math.abs(v - b[i]!) < tol);

describe('binning keeps the sky', () => {
  it('binWcs: the centre of a k x k block maps where the block centre did (SIP scaled too)', () => {
    const k = 4;
    const full = new Wcs(sip);
    const binned = new Wcs(binWcs(sip, k));
    for (const [bx, by] of [[0, 0], [10, 7], [24, 19]]) {
      const cx = bx! * k + (k - 1) / 2;
      const cy = by! * k + (k - 1) / 2;
      assert.ok(near(binned.pixelToWorld([bx!, by!]), full.pixelToWorld([cx, cy]), 1e-12));
    }
  });

  it('binWcs keeps a DSS plate solution on the sky', async () => {
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { FIXTURES_DIR } = await import('../helpers/paths.js');
    const ref = JSON.parse(readFileSync(join(FIXTURES_DIR, 'fits-corpus/REFERENCE.json'), 'utf8')) as { files: Array<{ file: string; hdus: Array<{ cards: Array<[string, string | number]> }> }> };
    const cards = ref.files.find((f) => f.file === 'astropy-dss.14.29.56-62.41.05.fits.gz')!.hdus[0]!.cards;
    const def = parseWcs(recordHeader(cards.map((c) => [c[0], c[1]] as const)));
    assert.ok(def.dss);
    const k = 5;
    const full = new Wcs(def);
    const binned = new Wcs(binWcs(def, k));
    assert.ok(near(binned.pixelToWorld([3, 7]), full.pixelToWorld([3 * k + 2, 7 * k + 2]), 1e-11));
  });

  it('binPlane averages finite values only', () => {
    const plane = { width: 3, height: 2, data: Float32Array.of(1, NaN, 5, 3, 4, NaN) };
    const b = binPlane(plane, 2);
    assert.deepEqual([b.width, b.height], [2, 1]);
    assert.deepEqual(Array.from(b.data), [Math.fround(8 / 3), 5]);
  });

  it('loadCelestialImageBinned streams bands that do not align with the blocks into binPlane\'s answer', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { writeTile } = await import('../api/sky-files.js');
    const { loadCelestialImage, loadCelestialImageBinned } = await import('../../src/reproject/load.js');
    const dir = await mkdtemp(join(tmpdir(), 'bin-'));
    try {
      const value = (x: number, y: number) => (x > 20 && x < 26 && y > 4 && y < 9 ? NaN : x * 0.5 + y * y * 0.01);
      await writeTile(dir, { name: 't.fits', ra: 10, dec: 20, width: 50, height: 31, scale: 1e-4, value });
      const path = join(dir, 't.fits');
      const whole = await loadCelestialImage(path, { maxFileBytes: 1e9, maxElements: 1e9 });
      // 350 elements per read: bands of 7 rows against blocks of 3
      const streamed = await loadCelestialImageBinned(path, { maxFileBytes: 1e9, maxElements: 350, inMemoryElements: 0 }, 3);
      const expected = binPlane(whole.plane, 3);
      assert.deepEqual([streamed.plane.width, streamed.plane.height], [expected.width, expected.height]);
      assert.deepEqual(Array.from(streamed.plane.data), Array.from(expected.data));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('grid fitting and cropping', () => {
  const grid = { wcs: parseWcs(recordHeader({ NAXIS: 2, CTYPE1: 'RA---TAN', CTYPE2: 'DEC--TAN', CRPIX1: 100.5, CRPIX2: 50.5, CRVAL1: 10, CRVAL2: 20, CDELT1: -1e-4, CDELT2: 1e-4, PC1_1: 0.8, PC1_2: -0.6, PC2_1: 0.6, PC2_2: 0.8 })), width: 200, height: 100 };
  it('fits a box keeping the aspect and the outer edges', () => {
    const small = fitGridInBox(grid, 50, 50);
    assert.deepEqual([small.width, small.height], [50, 25]);
    const a = new Wcs(grid.wcs);
    const b = new Wcs(small.wcs);
    assert.ok(near(a.pixelToWorld([-0.5, -0.5]), b.pixelToWorld([-0.5, -0.5]), 1e-12));
    assert.ok(near(a.pixelToWorld([199.5, 99.5]), b.pixelToWorld([49.5, 24.5]), 1e-12));
    assert.ok(Math.abs(b.pixelScales()[0] - 4e-4) < 1e-15, 'CDELT carries the scale, PC stays a rotation');
    const wide = fitGridInBox(grid, 400);
    assert.deepEqual([wide.width, wide.height], [400, 200]);
  });
  it('crops', () => {
    const c = cropGrid(grid, 20, 10, 120, 60);
    assert.deepEqual([c.width, c.height], [100, 50]);
    assert.ok(near(new Wcs(c.wcs).pixelToWorld([0, 0]), new Wcs(grid.wcs).pixelToWorld([20, 10]), 1e-12));
  });
});

describe('footprints', () => {
  const tile = (ra: number, dec: number) => ({
    wcs: parseWcs(recordHeader({ NAXIS: 2, NAXIS1: 100, NAXIS2: 100, CTYPE1: 'RA---TAN', CTYPE2: 'DEC--TAN', CRPIX1: 50.5, CRPIX2: 50.5, CRVAL1: ra, CRVAL2: dec, CDELT1: -1e-3, CDELT2: 1e-3 })),
    width: 100,
    height: 100,
  });
  it('a footprint around the pole spans all RA', () => {
    const bb = boundingBox([footprintOf(tile(0, 89.99))]);
    assert.deepEqual([bb.minRa, bb.maxRa, bb.maxDec], [0, 360, 90]);
  });
  it('a box away from RA 0 does not wrap', () => {
    const bb = boundingBox([footprintOf(tile(180, 0))]);
    assert.equal(bb.wrapsRa, false);
    assert.ok(Math.abs(bb.maxRa - bb.minRa - 0.1) < 1e-3);
  });
  it('overlap fractions of half-overlapping tiles are one half', () => {
    const ov = pairwiseOverlaps([footprintOf(tile(100, 0)), footprintOf(tile(100.05, 0))]);
    assert.equal(ov.length, 1);
    assert.ok(Math.abs(ov[0]!.fractionOfA - 0.5) < 1e-3 && Math.abs(ov[0]!.fractionOfB - 0.5) < 1e-3);
    assert.ok(Math.abs(ov[0]!.areaDeg2 - 0.005) < 1e-4);
  });
});
