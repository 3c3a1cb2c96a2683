/**
 * findOptimalCelestialWcs and reprojectAndCoadd against reproject 0.10 (mean, sum, background
 * matching) and numpy over reproject_interp outputs (median, min, max, first, last).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { coaddBands, findOptimalCelestialWcs, reprojectAndCoadd, type CelestialImage, type CombineMethod } from '../../src/reproject/index.js';
import { Wcs } from '../../src/wcs/index.js';
import { caseNamed, compareCovered, decode, formulaPlane, wcsOf, type FixtureInput } from './fixture.js';

interface CoaddCase {
  inputs: FixtureInput[];
  optimal_header: Record<string, number | string>;
  shape: [number, number];
  [method: string]: unknown;
}
interface BackgroundCase {
  offsets: number[];
  tiles: Array<Record<string, number | string>>;
  optimal_header: Record<string, number | string>;
  shape: [number, number];
  data: Array<number | null>;
  footprint: Array<number | null>;
}

const coadd = caseNamed<CoaddCase>('coadd-3-tiles');
const inputs: CelestialImage[] = coadd.inputs.map((i) => ({ plane: formulaPlane(i), wcs: wcsOf(i.header) }));
const gridInputs = coadd.inputs.map((i) => ({ wcs: wcsOf(i.header), width: i.header.NAXIS1 as number, height: i.header.NAXIS2 as number }));

describe('findOptimalCelestialWcs vs reproject 0.10', () => {
  it('gives the same grid (CRVAL, CRPIX, CDELT, shape)', () => {
    const grid = findOptimalCelestialWcs(gridInputs);
    const ref = coadd.optimal_header;
    assert.equal(grid.width, coadd.shape[1]);
    assert.equal(grid.height, coadd.shape[0]);
    assert.equal(grid.wcs.ctype[0], ref.CTYPE1);
    assert.equal(grid.wcs.ctype[1], ref.CTYPE2);
    for (const [i, k] of [[0, '1'], [1, '2']] as const) {
      assert.ok(Math.abs(grid.wcs.crval[i]! - (ref[`CRVAL${k}`] as number)) < 1e-10, `CRVAL${k}`);
      assert.ok(Math.abs(grid.wcs.crpix[i]! - (ref[`CRPIX${k}`] as number)) < 1e-6, `CRPIX${k} ${grid.wcs.crpix[i]} vs ${ref[`CRPIX${k}`]}`);
      assert.ok(Math.abs(grid.wcs.cdelt[i]! - (ref[`CDELT${k}`] as number)) < 1e-15, `CDELT${k}`);
    }
  });

  it('auto-rotation gives a grid no larger than the unrotated one and still covers every corner', () => {
    const plain = findOptimalCelestialWcs(gridInputs);
    const rotated = findOptimalCelestialWcs(gridInputs, { autoRotate: true });
    assert.ok(rotated.width * rotated.height <= plain.width * plain.height + 2 * (plain.width + plain.height));
    const out = new Wcs(rotated.wcs);
    for (const g of gridInputs) {
      const w = new Wcs(g.wcs);
      for (const [x, y] of [[-0.5, -0.5], [g.width - 0.5, g.height - 0.5]]) {
        const [px, py] = out.worldToPixel(w.pixelToWorld([x!, y!]));
        assert.ok(px! > -1 && px! < rotated.width && py! > -1 && py! < rotated.height);
      }
    }
  });

  it('names the input whose corner is off the sky', () => {
    // a SIN image 400 degrees wide: its corners are beyond the projection's horizon
    const offSky = { wcs: wcsOf({ NAXIS: 2, NAXIS1: 400, NAXIS2: 400, CTYPE1: 'RA---SIN', CTYPE2: 'DEC--SIN', CRPIX1: 200.5, CRPIX2: 200.5, CRVAL1: 10, CRVAL2: 20, CDELT1: -1, CDELT2: 1 }), width: 400, height: 400 };
    assert.throws(() => findOptimalCelestialWcs([gridInputs[0]!, { ...offSky, name: 'wide.fits' }]), /^ReprojectError: wide\.fits: the corner \(-0\.5, -0\.5\) has no sky position$/);
    assert.throws(() => findOptimalCelestialWcs([gridInputs[0]!, offSky]), /image 2: the corner/);
  });

  it('uses the frame asked for', () => {
    const grid = findOptimalCelestialWcs(gridInputs, { frame: { system: 'galactic' } });
    assert.equal(grid.wcs.ctype[0], 'GLON-TAN');
  });
});

describe('reprojectAndCoadd vs reproject 0.10 (and numpy for the methods it lacks)', () => {
  const grid = { wcs: wcsOf(coadd.optimal_header), width: coadd.shape[1], height: coadd.shape[0] };
  for (const method of ['mean', 'sum', 'median', 'min', 'max', 'first', 'last'] as CombineMethod[]) {
    it(method, async () => {
      const ref = coadd[method] as { data: Array<number | null>; footprint: Array<number | null> };
      const result = await reprojectAndCoadd(inputs, grid, { combine: method });
      const wantFp = decode(ref.footprint);
      // reproject writes 0 where nothing covers a pixel; we write NaN (no data is never a zero).
      const want = decode(ref.data).map((v, i) => (wantFp[i]! > 0 ? v : NaN));
      compareCovered(result.data, want, 1e-5, method, result.footprint, wantFp);
      for (let i = 0; i < wantFp.length; i++) assert.equal(result.footprint[i], wantFp[i], `footprint at ${i}`);
      for (let i = 0; i < wantFp.length; i++) if (wantFp[i] === 0) assert.ok(Number.isNaN(result.data[i]!), 'no coverage is NaN');
    });
  }

  it('gives the same answer in small bands (memory-bounded) as in one piece', async () => {
    const whole = await reprojectAndCoadd(inputs, grid, { combine: 'median' });
    let bands = 0;
    const banded = new Float32Array(grid.width * grid.height);
    await coaddBands(inputs, grid, { combine: 'median', bandPixels: grid.width * 3 }, (b) => {
      bands++;
      assert.ok((b.y1 - b.y0) * b.width <= grid.width * 3);
      banded.set(b.data, b.y0 * grid.width);
    });
    assert.ok(bands > 5);
    for (let i = 0; i < banded.length; i++) {
      const a = banded[i]!;
      const b = whole.data[i]!;
      assert.ok(Number.isNaN(a) ? Number.isNaN(b) : Math.abs(a - b) <= 1e-6 * Math.abs(b), `pixel ${i}`);
    }
  });

  it('reads inputs band by band (row sources) with the same result and bounded reads', async () => {
    for (const method of ['bilinear', 'bicubic'] as const) {
      const whole = await reprojectAndCoadd(inputs, grid, { combine: 'mean', method });
      let maxRows = 0;
      const sources = inputs.map((img) => ({
        wcs: img.wcs,
        width: img.plane.width,
        height: img.plane.height,
        readRows: async (y0: number, y1: number) => {
          maxRows = Math.max(maxRows, y1 - y0);
          const w = img.plane.width;
          return { width: w, height: y1 - y0, data: img.plane.data.slice(y0 * w, y1 * w) };
        },
      }));
      const banded = await reprojectAndCoadd(sources, grid, { combine: 'mean', method, bandPixels: grid.width * 4 });
      for (let i = 0; i < banded.data.length; i++) {
        const a = banded.data[i]!;
        const b = whole.data[i]!;
        assert.ok(Number.isNaN(a) ? Number.isNaN(b) : Math.abs(a - b) <= 1e-6 * Math.abs(b), `${method} pixel ${i}: ${a} vs ${b}`);
      }
      // A 4-row output band of these rotated tiles needs ~40 input rows, not whole tiles (up to 64 rows).
      if (method === 'bilinear') assert.ok(maxRows <= 45, `read at most ${maxRows} rows at once`);
    }
  });

  it('matches backgrounds like reproject (least squares instead of its SGD)', async () => {
    const bg = caseNamed<BackgroundCase>('background-match');
    const tiles: CelestialImage[] = bg.tiles.map((h, k) => {
      const w = new Wcs(wcsOf(h));
      const nx = h.NAXIS1 as number;
      const ny = h.NAXIS2 as number;
      const data = new Float64Array(nx * ny);
      for (let y = 0; y < ny; y++) {
        for (let x = 0; x < nx; x++) {
          const [ra, dec] = w.pixelToWorld([x, y]);
          data[y * nx + x] = 5 + 2 * Math.sin(ra! * 300) * Math.cos(dec! * 250) + bg.offsets[k]!;
        }
      }
      return { plane: { width: nx, height: ny, data }, wcs: wcsOf(h) };
    });
    const bgGrid = { wcs: wcsOf(bg.optimal_header), width: bg.shape[1], height: bg.shape[0] };
    const result = await reprojectAndCoadd(tiles, bgGrid, { combine: 'mean', matchBackground: true });
    // Corrections recover the offsets up to their mean.
    const mean = bg.offsets.reduce((a, b) => a + b, 0) / bg.offsets.length;
    result.corrections.forEach((c, k) => assert.ok(Math.abs(c - (bg.offsets[k]! - mean)) < 0.02, `correction ${k}: ${c}`));
    const wantFp = decode(bg.footprint);
    const want = decode(bg.data).map((v, i) => (wantFp[i]! > 0 ? v : NaN));
    compareCovered(result.data, want, 5e-3, 'background-matched mean', result.footprint, wantFp);
  });
});
