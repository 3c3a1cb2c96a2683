import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pixelWcsBlock } from '../../src/imaging/wcs-block.js';
import { chooseSlice, cubeInfo } from '../../src/imaging/cube-info.js';

const header = (cards: Record<string, unknown>) => ({ get: (k: string) => cards[k] });

describe('pixel WCS block: every form becomes the CD matrix', () => {
  it('PC + CDELT (JWST i2d) is rotated, not ignored', () => {
    const t = (30 * Math.PI) / 180;
    const w = pixelWcsBlock(header({
      CTYPE1: 'RA---TAN', CTYPE2: 'DEC--TAN', CRPIX1: 512.5, CRPIX2: 400, CRVAL1: 83.8, CRVAL2: -5.4,
      CDELT1: -1e-5, CDELT2: 1e-5, PC1_1: Math.cos(t), PC1_2: -Math.sin(t), PC2_1: Math.sin(t), PC2_2: Math.cos(t),
    }))!;
    assert.ok(Math.abs(w.cd1_1 - -1e-5 * Math.cos(t)) < 1e-20);
    assert.ok(Math.abs(w.cd1_2 - 1e-5 * Math.sin(t)) < 1e-20);
    assert.ok(Math.abs(w.cd2_1 - 1e-5 * Math.sin(t)) < 1e-20);
    assert.ok(Math.abs(w.cd2_2 - 1e-5 * Math.cos(t)) < 1e-20);
    assert.equal(w.cdelt1, -1e-5);
    assert.equal(w.ctype1, 'RA---TAN');
    assert.equal(w.crpix1, 512.5);
  });
  it('CD as given; CDELT alone becomes a diagonal CD', () => {
    const cd = pixelWcsBlock(header({ CTYPE1: 'RA---TAN', CRVAL1: 1, CRVAL2: 2, CRPIX1: 3, CRPIX2: 4, CD1_1: -2e-4, CD1_2: 1e-5, CD2_1: 1e-5, CD2_2: 2e-4, CDELT1: 99 }))!;
    assert.deepEqual([cd.cd1_1, cd.cd1_2, cd.cd2_1, cd.cd2_2], [-2e-4, 1e-5, 1e-5, 2e-4]);
    const d = pixelWcsBlock(header({ CTYPE1: 'GLON-CAR', CTYPE2: 'GLAT-CAR', CDELT1: -0.1, CDELT2: 0.1 }))!;
    assert.deepEqual([d.cd1_1, d.cd1_2, d.cd2_1, d.cd2_2, d.cdelt1, d.cdelt2], [-0.1, 0, 0, 0.1, -0.1, 0.1]);
  });
  it('keeps a WCS at the celestial origin (CRPIX1 = CRVAL1 = 0); null without WCS keywords', () => {
    assert.ok(pixelWcsBlock(header({ CTYPE1: 'RA---TAN', CRPIX1: 0, CRVAL1: 0, CDELT1: 1, CDELT2: 1 })));
    assert.equal(pixelWcsBlock(header({ BUNIT: 'MJy/sr', CDELT1: 1 })), null);
  });
});

describe('cube info and slice choice (contract §1.1)', () => {
  it('labels and units from CTYPE3/CUNIT3; axis3 from CRVAL3 and CDELT3 x PC3_3', () => {
    const info = cubeInfo(header({ CTYPE3: 'WAVE', CUNIT3: 'um', CRVAL3: 4.9, CDELT3: 0.001, PC3_3: 1, CRPIX3: 1 }), [40, 40, 900]);
    assert.deepEqual(info, {
      is_cube: true, n_slices: 900, slice_unit: 'um', slice_label: 'Wavelength',
      axis3: { crval3: 4.9, cdelt3: 0.001, crpix3: 1, cunit3: 'um', ctype3: 'WAVE' },
    });
    assert.equal(cubeInfo(header({ CTYPE3: 'FREQ', CUNIT3: 'Hertz' }), [2, 2, 3]).slice_unit, 'Hz');
    assert.equal(cubeInfo(header({ CTYPE3: 'VOPT' }), [2, 2, 3]).slice_label, 'VOPT');
    assert.equal(cubeInfo(header({ CTYPE3: 'VELO-LSR' }), [2, 2, 3]).slice_label, 'Velocity');
    assert.equal(cubeInfo(header({}), [2, 2, 3]).axis3, null);
    assert.equal(cubeInfo(header({ CUNIT3: 'Angstrom', CRVAL3: 1, CD3_3: 2 }), [2, 2, 3]).axis3?.cdelt3, 2);
  });
  it('slices the last axis: -1 -> middle, clamped; middle of axes in between', () => {
    assert.deepEqual(chooseSlice([10, 20], -1), { nSlices: 1, current: 0, plane: [] });
    assert.deepEqual(chooseSlice([10, 20, 7], -1), { nSlices: 7, current: 3, plane: [3] });
    assert.deepEqual(chooseSlice([10, 20, 7], 99), { nSlices: 7, current: 6, plane: [6] });
    assert.deepEqual(chooseSlice([128, 128, 2, 6], 1), { nSlices: 6, current: 1, plane: [1, 1] });
  });
});
