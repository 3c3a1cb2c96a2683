/** Card and header parsing/formatting: fixed and free format, strings, CONTINUE, HIERARCH, numbers, editing. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FitsError, Header, formatCard, parseCard } from '../../src/fits/index.js';

const rec = (s: string): string => s.padEnd(80, ' ');

describe('card parsing', () => {
  it('fixed and free format values', () => {
    assert.equal(parseCard([rec('NAXIS1  =                  512 / width')]).value, 512);
    assert.equal(parseCard([rec('EXPTIME =   1.5 / free format')]).value, 1.5);
    assert.equal(parseCard([rec('EXPTIME = 1.5D+02')]).value, 150);
    assert.equal(parseCard([rec('SIMPLE  =                    T')]).value, true);
    assert.equal(parseCard([rec('FLAG    = F / no')]).value, false);
    assert.equal(parseCard([rec('UNDEF   =                      / nothing')]).value, null);
    assert.deepEqual(parseCard([rec('CPLX    = (1.5, -2) / complex')]).value, { re: 1.5, im: -2 });
  });

  it('integers beyond 2^53 become bigint', () => {
    assert.equal(parseCard([rec('BIG     =  9223372036854775807')]).value, 9223372036854775807n);
    assert.equal(parseCard([rec('SAFE    =     9007199254740991')]).value, 9007199254740991);
  });

  it("strings: '' escapes, trailing spaces dropped, leading kept, comments with slashes", () => {
    const c = parseCard([rec("OBJECT  = ' It''s M31  '   / a / comment")]);
    assert.equal(c.value, " It's M31");
    assert.equal(c.comment, 'a / comment');
    assert.equal(parseCard([rec("EMPTY   = '        '")]).value, '');
  });

  it('CONTINUE long strings join and keep all comments', () => {
    const h = Header.fromRecords([rec("LONG    = 'abc&'  / first"), rec("CONTINUE  'def&'"), rec("CONTINUE  'ghi' / last")]);
    assert.equal(h.length, 1);
    assert.equal(h.get('LONG'), 'abcdefghi');
    assert.equal(h.cards[0]!.comment, 'first last');
    assert.equal(h.rawRecordCount, 3);
  });

  it('HIERARCH keywords without the prefix, case-insensitive look-up', () => {
    const h = Header.fromRecords([rec('HIERARCH ESO DET CHIPS = 2 / chips'), rec("HIERARCH ESO LONG = 'x&'"), rec("CONTINUE  'y'")]);
    assert.equal(h.get('ESO DET CHIPS'), 2);
    assert.equal(h.get('hierarch eso det chips'), 2);
    assert.equal(h.get('ESO LONG'), 'xy');
    assert.equal(h.cards[0]!.hierarch, true);
  });

  it('COMMENT, HISTORY, blank and indicator-less cards are commentary text', () => {
    const h = Header.fromRecords([rec('COMMENT   hello'), rec('HISTORY step 1'), rec(''), rec("FILTER   ='x'")]);
    assert.deepEqual(h.cards.map((c) => [c.keyword, c.value, c.kind]), [
      ['COMMENT', '  hello', 'commentary'],
      ['HISTORY', 'step 1', 'commentary'],
      ['', '', 'commentary'],
      ['FILTER', " ='x'", 'commentary'],
    ]);
    assert.deepEqual(h.getAll('HISTORY'), ['step 1']);
  });

  it('unparseable values are kept as text and flagged', () => {
    const c = parseCard([rec('BAD     = 1.2.3 / oops')]);
    assert.equal(c.value, '1.2.3');
    assert.ok(c.invalid);
  });

  it('record-valued keywords are reachable by their dotted name', () => {
    const h = Header.fromRecords([rec("DP1     = 'AXIS.1: 1'"), rec("DP1     = 'NAXES: 2'")]);
    assert.equal(h.get('DP1.AXIS.1'), 1);
    assert.equal(h.get('DP1.NAXES'), 2);
  });
});

describe('card formatting', () => {
  it('formats values in fixed format and parses them back', () => {
    for (const [value, expected] of [
      [42, 42],
      [1.5, 1.5],
      [1e-30, 1e-30],
      [true, true],
      ["it's", "it's"],
      [12345678901234567890n, 12345678901234567890n],
      [{ re: 1, im: -2.5 }, { re: 1, im: -2.5 }],
      [null, null],
    ] as const) {
      const records = formatCard({ keyword: 'KEY', value, comment: 'c' });
      assert.equal(records.length, 1);
      assert.equal(records[0]!.length, 80);
      assert.deepEqual(parseCard(records).value, expected);
    }
    assert.equal(formatCard({ keyword: 'NAXIS', value: 2 })[0]!.slice(0, 30), 'NAXIS   =                    2');
    assert.equal(formatCard({ keyword: 'BSCALE', value: 1, float: true })[0]!.slice(10, 30).trim(), '1.0');
  });

  it('long strings use CONTINUE and come back equal', () => {
    const value = "x'".repeat(100);
    const records = formatCard({ keyword: 'LONG', value, comment: 'long' });
    assert.ok(records.length > 1);
    assert.equal(Header.fromRecords(records).get('LONG'), value);
  });

  it('long keywords use HIERARCH; non-ASCII and non-finite values are refused', () => {
    const r = formatCard({ keyword: 'ESO DET CHIP1 NAME', value: 'CCD' });
    assert.match(r[0]!, /^HIERARCH ESO DET CHIP1 NAME = 'CCD/);
    assert.throws(() => formatCard({ keyword: 'X', value: 'é' }), FitsError);
    assert.throws(() => formatCard({ keyword: 'X', value: NaN }), FitsError);
  });
});

describe('header editing', () => {
  it('set replaces in place, inserts before/after, remove drops every occurrence', () => {
    const h = new Header();
    h.set('A', 1).set('C', 3).set('B', 2, 'bee', { before: 'C' }).set('A', 10);
    assert.deepEqual(h.cards.map((c) => [c.keyword, c.value]), [['A', 10], ['B', 2], ['C', 3]]);
    h.add({ keyword: 'HISTORY', value: 'one' }).add({ keyword: 'HISTORY', value: 'two' });
    assert.equal(h.remove('HISTORY'), 2);
    assert.equal(h.toBuffer().length, 2880);
    assert.equal(Header.fromString(h.toBuffer().toString('latin1')).get('B'), 2);
  });
});
