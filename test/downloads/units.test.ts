import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { addRange, coveredBytes, missingRanges, splitIntoChunks, clipRanges } from '../../src/downloads/byte-ranges.js';
import { parseContentRange, rangeHeader, isStrongEtag } from '../../src/downloads/http-range.js';
import { SpeedMeter, etaSeconds } from '../../src/downloads/speed-meter.js';
import { sanitizeFilename, validateObsId, validateProductSelection } from '../../src/downloads/paths.js';
import { ValidationError } from '../../src/errors.js';
import { mastDownloadUrl, productsFromRows } from '../../src/downloads/product-source.js';
import { toDownloadError } from '../../src/downloads/chunk-fetcher.js';
import { NetworkError } from '../../src/downloads/errors.js';

describe('byte ranges', () => {
  it('merges, measures and finds gaps (property)', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(1000), fc.nat(200)), { maxLength: 30 }), (pieces) => {
      let ranges: Array<readonly [number, number]> = [];
      const truth = new Uint8Array(1300);
      for (const [s, len] of pieces) {
        ranges = addRange(ranges, s, s + len);
        truth.fill(1, s, s + len);
      }
      assert.equal(coveredBytes(ranges), truth.reduce((a, b) => a + b, 0));
      for (let i = 1; i < ranges.length; i++) assert.ok(ranges[i]![0] > ranges[i - 1]![1], 'sorted and disjoint');
      const gaps = missingRanges(ranges, 1300);
      assert.equal(coveredBytes(gaps) + coveredBytes(ranges), 1300);
      for (const [a, b] of gaps) for (let i = a; i < b; i++) assert.equal(truth[i], 0);
    }));
  });

  it('splits gaps into chunks and clips to the file on disk', () => {
    assert.deepEqual(splitIntoChunks([[0, 10], [20, 25]], 4), [[0, 4], [4, 8], [8, 10], [20, 24], [24, 25]]);
    assert.deepEqual(clipRanges([[0, 10], [20, 30]], 25), [[0, 10], [20, 25]]);
  });
});

describe('HTTP range headers', () => {
  it('parses Content-Range forms and rejects nonsense', () => {
    assert.equal(rangeHeader(5, 9), 'bytes=5-9');
    assert.equal(rangeHeader(5), 'bytes=5-');
    assert.deepEqual(parseContentRange('bytes 0-99/1000'), { start: 0, end: 99, total: 1000 });
    assert.deepEqual(parseContentRange('bytes 10-19/*'), { start: 10, end: 19, total: undefined });
    assert.deepEqual(parseContentRange('bytes */1000'), { start: undefined, end: undefined, total: 1000 });
    for (const bad of ['bytes 9-1/100', 'bytes 0-100/100', 'items 0-1/2', 'bytes */*', '', undefined]) assert.equal(parseContentRange(bad), undefined, String(bad));
    assert.equal(isStrongEtag('"x"'), true);
    assert.equal(isStrongEtag('W/"x"'), false);
  });
});

describe('speed and ETA', () => {
  it('measures over a sliding window, with no spike from resumed bytes', () => {
    let t = 0;
    const meter = new SpeedMeter({ windowMs: 5000, now: () => t });
    // A resume: the 1 GB already on disk is never added; 1 MB/s from now on.
    for (let i = 0; i < 20; i++) {
      t += 250;
      meter.add(250_000);
      assert.ok(Math.abs(meter.rate() - 1_000_000) < 1, `t=${t} rate=${meter.rate()}`);
    }
    t += 10_000;
    assert.equal(meter.rate(), 0, 'nothing in the window');
    assert.equal(etaSeconds(5_000_000, 1_000_000), 5);
    assert.equal(etaSeconds(0, 0), 0);
    assert.equal(etaSeconds(10, 0), undefined);
  });
});

describe('paths and names', () => {
  it('sanitizes product names into one safe component, refusing empty ones', () => {
    assert.equal(sanitizeFilename('jw02733-o001_t001_nircam_clear-f090w_i2d.fits'), 'jw02733-o001_t001_nircam_clear-f090w_i2d.fits');
    assert.equal(sanitizeFilename('../../etc/passwd'), 'passwd');
    assert.equal(sanitizeFilename('..%2F..%2Fsecret.fits'), 'secret.fits');
    assert.equal(sanitizeFilename('a..b.fits'), 'a..b.fits', 'no silent renaming of inner dots');
    assert.equal(sanitizeFilename('C:\\x\\y z.fits'), 'y_z.fits');
    for (const bad of ['', '..', '.', '/', '%2e%2e']) assert.throws(() => sanitizeFilename(bad), { code: 'DOWNLOAD_BAD_NAME' }, bad);
  });
  it('validates obs_id like the contract, without . and ..', () => {
    validateObsId('jw02733-o001_t001_nircam_clear-f090w');
    for (const bad of ['.', '..', 'a/b', 'a b', 'x\n', '']) assert.throws(() => validateObsId(bad), { httpStatus: 422 }, JSON.stringify(bad));
  });
  it('builds MAST download URLs like astroquery and filters product rows', () => {
    assert.equal(mastDownloadUrl('https://mast.stsci.edu/', 'mast:JWST/product/x_i2d.fits'), 'https://mast.stsci.edu/api/v0.1/Download/file?uri=mast:JWST/product/x_i2d.fits');
    const rows = [
      { productFilename: 'a_i2d.fits', dataURI: 'mast:JWST/product/a_i2d.fits', size: 10, productType: 'SCIENCE', calib_level: 3, productSubGroupDescription: 'I2D' },
      { productFilename: 'a_cal.fits', dataURI: 'mast:JWST/product/a_cal.fits', size: 20, productType: 'SCIENCE', calib_level: 2, productSubGroupDescription: 'CAL' },
      { productFilename: 'a.jpg', dataURI: 'mast:JWST/product/a.jpg', size: 5, productType: 'PREVIEW', calib_level: 3, productSubGroupDescription: null },
    ];
    const q = { productType: ['SCIENCE'], calibLevel: null, subgroup: null, productId: null };
    assert.deepEqual(productsFromRows(rows, q, 'http://m').map((p) => p.filename), ['a_i2d.fits', 'a_cal.fits']);
    assert.deepEqual(productsFromRows(rows, { ...q, calibLevel: [2] }, 'http://m').map((p) => p.filename), ['a_cal.fits']);
    assert.deepEqual(productsFromRows(rows, { ...q, subgroup: ['i2d'] }, 'http://m').map((p) => p.filename), ['a_i2d.fits']);
    // every type, but still the default extension (fits); every type and extension with '*'
    assert.deepEqual(productsFromRows(rows, { ...q, productType: ['ALL'] }, 'http://m').length, 2);
    assert.deepEqual(productsFromRows(rows, { ...q, productType: ['ALL'], extension: ['*'] }, 'http://m').length, 3);
    // A selection names exact products: the type, level, subgroup and extension filters do not apply to it.
    assert.deepEqual(productsFromRows(rows, { ...q, calibLevel: [2], filenames: ['a.jpg', 'a_i2d.fits'] }, 'http://m').map((p) => p.filename), ['a_i2d.fits', 'a.jpg']);
  });
  it('validates a product selection: plain file names, at least one, at most 1000, duplicates dropped', () => {
    assert.deepEqual(validateProductSelection(['a_i2d.fits', 'b.fits', 'a_i2d.fits']), ['a_i2d.fits', 'b.fits']);
    for (const bad of [['../x.fits'], ['a/b.fits'], ['.hidden'], [''], ['a b.fits'], ['x'.repeat(256)]]) {
      assert.throws(() => validateProductSelection(bad), (err: unknown) => err instanceof ValidationError && /not a plain file name/.test(err.message), JSON.stringify(bad));
    }
    assert.throws(() => validateProductSelection([]), /at least one/);
    assert.throws(() => validateProductSelection(Array.from({ length: 1001 }, (_, i) => `f${i}.fits`)), /at most 1000/);
  });
});

describe('toDownloadError', () => {
  const sys = (code: string, extra: Record<string, string>) => Object.assign(new Error(`${code}: boom`), { code, ...extra });
  it('keeps a file-system error (it names a path) as it is: the disk\'s fault is not retried as the network\'s', () => {
    const err = sys('EIO', { syscall: 'write', path: '/data/mast/x.fits.part' });
    assert.equal(toDownloadError(err, undefined, 1000), err);
    const byDescriptor = sys('EIO', { syscall: 'write' }); // a write to an open handle names no path
    assert.equal(toDownloadError(byDescriptor, undefined, 1000), byDescriptor);
  });
  it('turns a socket error into a retryable NetworkError', () => {
    const mapped = toDownloadError(sys('ECONNRESET', { syscall: 'read' }), undefined, 1000);
    assert.ok(mapped instanceof NetworkError);
    assert.equal(mapped.retryable, true);
  });
});
