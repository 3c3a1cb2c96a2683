import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ALL_PRODUCTS, selectProducts } from '../../src/mast/product-selection.js';

const row = (productFilename: string, productType: string, calib_level: number | null, sub: string | null, extra: Record<string, unknown> = {}) =>
  ({ productFilename, dataURI: `mast:JWST/product/${productFilename}`, productType, calib_level, productSubGroupDescription: sub, ...extra });

const ROWS = [
  row('o_i2d.fits', 'SCIENCE', 3, 'I2D', { productGroupDescription: 'Minimum Recommended Products' }),
  row('o_segm.fits', 'SCIENCE', 3, 'SEGM'),
  row('o_cat.ecsv', 'SCIENCE', 3, 'CAT', { productGroupDescription: 'Minimum Recommended Products' }),
  row('o_i2d.jpg', 'PREVIEW', 3, null),
  row('o_asn.json', 'INFO', 3, 'ASN'),
  row('e_cal.fits', 'SCIENCE', 2, 'CAL'),
  row('e_uncal.fits.gz', 'SCIENCE', 1, 'UNCAL'),
  // the same file listed again under another obsid / URI spelling
  { ...row('e_cal.fits', 'SCIENCE', 2, 'CAL'), dataURI: 'mast:jwst/product/e_cal.fits', obsID: 2 },
  { productFilename: 'no_uri.fits', productType: 'SCIENCE' },
];
const names = (sel: Parameters<typeof selectProducts>[1]) => selectProducts(ROWS, sel).map((r) => r.productFilename);

describe('the one product-selection rule', () => {
  it('defaults to SCIENCE .fits, one row per file name (no _cat.ecsv, previews or .fits.gz)', () => {
    assert.deepEqual(names({}), ['o_i2d.fits', 'o_segm.fits', 'e_cal.fits']);
    assert.deepEqual(names({ productType: null, extension: [], calibLevel: null }), names({}));
  });
  it('asks for everything with ALL and *', () => {
    assert.deepEqual(names(ALL_PRODUCTS), ['o_i2d.fits', 'o_segm.fits', 'o_cat.ecsv', 'o_i2d.jpg', 'o_asn.json', 'e_cal.fits', 'e_uncal.fits.gz']);
    assert.deepEqual(names({ productType: ['*'], extension: ['*'] }), names(ALL_PRODUCTS));
    // ALL types but the default extension
    assert.deepEqual(names({ productType: ['all'] }), ['o_i2d.fits', 'o_segm.fits', 'e_cal.fits']);
  });
  it('filters by extension (with or without the dot, case-insensitive), type, level, subgroup, MRP', () => {
    assert.deepEqual(names({ extension: ['fits', '.ECSV'] }), ['o_i2d.fits', 'o_segm.fits', 'o_cat.ecsv', 'e_cal.fits']);
    assert.deepEqual(names({ extension: ['fits.gz'] }), ['e_uncal.fits.gz']);
    assert.deepEqual(names({ productType: ['preview'], extension: ['jpg'] }), ['o_i2d.jpg']);
    assert.deepEqual(names({ calibLevel: [2] }), ['e_cal.fits']);
    assert.deepEqual(names({ subgroup: ['segm'] }), ['o_segm.fits']);
    assert.deepEqual(names({ mrpOnly: true, extension: ['*'] }), ['o_i2d.fits', 'o_cat.ecsv']);
  });
  it('an exact selection of file names ignores the other filters; productId narrows to one product', () => {
    assert.deepEqual(names({ filenames: ['o_i2d.jpg', 'o_cat.ecsv'], calibLevel: [2] }), ['o_cat.ecsv', 'o_i2d.jpg']);
    assert.deepEqual(names({ productId: 'mast:JWST/product/o_segm.fits' }), ['o_segm.fits']);
    assert.deepEqual(names({ productId: 'o_i2d.jpg' }), []);
    assert.deepEqual(names({ productId: 'o_i2d.jpg', productType: ['ALL'], extension: ['*'] }), ['o_i2d.jpg']);
  });
});
