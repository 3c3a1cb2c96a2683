import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { angularSeparationDeg, parseAngle, normalizeRa, toMjd, fromMjd, MastInputError } from '../../src/mast/index.js';
import { TtlCache } from '../../src/mast/cache.js';
import { nameVariants, normalizeName } from '../../src/mast/resolver.js';
import { pyQuote } from '../../src/mast/invoke.js';
import { downloadUrl, isValidMastUri } from '../../src/mast/urls.js';

describe('angularSeparationDeg', () => {
  it('is a great circle, across RA 0/360 and over the poles', () => {
    assert.ok(Math.abs(angularSeparationDeg(359.95, 0, 0.05, 0) - 0.1) < 1e-9);
    assert.ok(Math.abs(angularSeparationDeg(10, 89.95, 190, 89.95) - 0.1) < 1e-9);
    assert.ok(Math.abs(angularSeparationDeg(0, -90, 123, -89) - 1) < 1e-9);
    // At Dec 60 one degree of RA is half a degree on the sky.
    assert.ok(Math.abs(angularSeparationDeg(100, 60, 101, 60) - 0.49999) < 1e-4);
    assert.equal(angularSeparationDeg(42, -12, 42, -12), 0);
  });
  it('normalizes RA into [0, 360)', () => {
    assert.equal(normalizeRa(-0.5), 359.5);
    assert.equal(normalizeRa(360), 0);
    assert.equal(normalizeRa(725), 5);
  });
});

describe('parseAngle', () => {
  it('reads degrees as numbers and strings', () => {
    assert.equal(parseAngle(151.755, 'ra'), 151.755);
    assert.equal(parseAngle('151.755', 'ra'), 151.755);
    assert.equal(parseAngle('-40.437d', 'dec'), -40.437);
    assert.equal(parseAngle('151.755 deg', 'ra'), 151.755);
  });
  it('reads sexagesimal RA as hours and Dec as degrees', () => {
    assert.ok(Math.abs(parseAngle('10:07:01.764', 'ra') - 151.75735) < 1e-6);
    assert.ok(Math.abs(parseAngle('10h07m01.764s', 'ra') - 151.75735) < 1e-6);
    assert.ok(Math.abs(parseAngle('10 07 01.764', 'ra') - 151.75735) < 1e-6);
    assert.ok(Math.abs(parseAngle('-40:26:11.06', 'dec') - -40.436406) < 1e-6);
    assert.ok(Math.abs(parseAngle('-40d26m11.06s', 'dec') - -40.436406) < 1e-6);
    assert.ok(Math.abs(parseAngle('-00:30:00', 'dec') - -0.5) < 1e-12);
    assert.ok(Math.abs(parseAngle('151d45m18s', 'ra') - 151.755) < 1e-9);
  });
  it('rejects nonsense with a typed error naming the field', () => {
    assert.throws(() => parseAngle('ten past seven', 'ra'), (e: unknown) => e instanceof MastInputError && e.field === 'ra');
    assert.throws(() => parseAngle('10:75:00', 'ra'), /below 60/);
    assert.throws(() => parseAngle('10h00m', 'dec'), /hours/);
    assert.throws(() => parseAngle(Number.NaN, 'dec'), /finite/);
  });
  it('rejects positions off the sky: RA outside [0, 360), Dec outside [-90, 90]', () => {
    assert.throws(() => parseAngle(360, 'ra'), (e: unknown) => e instanceof MastInputError && e.field === 'ra' && /\[0, 360\)/.test(e.message));
    assert.throws(() => parseAngle('24:00:00', 'ra'), (e: unknown) => e instanceof MastInputError && e.field === 'ra');
    assert.throws(() => parseAngle('-90:00:01', 'dec'), (e: unknown) => e instanceof MastInputError && e.field === 'dec' && /\[-90, 90\]/.test(e.message));
    assert.equal(parseAngle(0, 'ra'), 0);
    assert.equal(parseAngle('-90', 'dec'), -90);
  });
});

describe('MJD', () => {
  it('round-trips and matches known dates', () => {
    assert.equal(toMjd(Date.UTC(2022, 6, 12)), 59772);
    assert.equal(fromMjd(59772.5).toISOString(), '2022-07-12T12:00:00.000Z');
  });
});

describe('TtlCache', () => {
  it('expires entries and bounds count and bytes (LRU)', () => {
    let now = 0;
    const c = new TtlCache<string>({ ttlMs: 100, maxEntries: 2, maxBytes: 20, now: () => now, sizeOf: (v) => String(v).length });
    c.set('a', 'aaaa');
    c.set('b', 'bbbb');
    assert.equal(c.get('a'), 'aaaa'); // a is now most recent
    c.set('c', 'cccc');
    assert.equal(c.get('b'), undefined, 'least recently used evicted');
    c.set('big', 'x'.repeat(21));
    assert.equal(c.get('big'), undefined, 'too big to cache');
    c.set('d', 'd'.repeat(18));
    assert.ok(c.stats().bytes <= 20);
    now = 1000;
    assert.equal(c.get('d'), undefined, 'expired');
  });
});

describe('names, quoting and URIs', () => {
  it('normalizes names and proposes spelling variants', () => {
    assert.equal(normalizeName('  NGC   3132 '), 'ngc 3132');
    assert.deepEqual(nameVariants('NGC3132'), ['NGC3132', 'NGC 3132']);
    assert.deepEqual(nameVariants('NGC-3132'), ['NGC-3132', 'NGC 3132', 'NGC3132']);
  });
  it("quotes like Python's urllib.parse.quote(safe='/')", () => {
    assert.equal(pyQuote('{"a": "NIRCAM/IMAGE*"}'), '%7B%22a%22%3A%20%22NIRCAM/IMAGE%2A%22%7D');
  });
  it('validates mast: URIs and builds Download/file URLs', () => {
    assert.ok(isValidMastUri('mast:JWST/product/jw02733-o001_t001_nircam_clear-f090w_i2d.fits'));
    for (const bad of ['http://evil/x', 'mast:', 'mast:../etc/passwd', 'mast:JWST/product/a b.fits', 'mast:x?y', 'mast:x.fits\n']) assert.equal(isValidMastUri(bad), false, bad);
    assert.equal(downloadUrl('https://mast.stsci.edu/', 'mast:JWST/product/x_i2d.fits'), 'https://mast.stsci.edu/api/v0.1/Download/file?uri=mast%3AJWST/product/x_i2d.fits');
  });
});
