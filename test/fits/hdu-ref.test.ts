/** resolveHdu: the one way the image and table readers turn an HDU reference into an HDU. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveHdu } from '../../src/fits/hdu-ref.js';

interface FakeHdu {
  readonly name: string;
}

describe('resolveHdu', () => {
  const hdus: FakeHdu[] = [{ name: 'PRIMARY' }, { name: 'SCI' }];

  it('returns an HDU given as such', () => {
    const own = { name: 'ELSEWHERE' };
    assert.equal(resolveHdu({ hdus }, own), own);
  });

  it('finds an HDU by index, and says how many there are when the index is wrong', () => {
    assert.equal(resolveHdu({ hdus }, 1), hdus[1]);
    for (const bad of [2, -1, 0.5]) {
      assert.throws(() => resolveHdu({ hdus }, bad), { code: 'FITS_BAD_ARGUMENT', message: `HDU ${bad} does not exist (the file has 2)` });
    }
    assert.throws(() => resolveHdu<FakeHdu>({}, 0), { code: 'FITS_BAD_ARGUMENT', message: 'HDU 0 does not exist' });
  });

  it('looks an EXTNAME up through the file, and refuses names where the file cannot look them up', () => {
    const file = { hdus, hdu: (name: string) => hdus.find((h) => h.name === name)! };
    assert.equal(resolveHdu(file, 'SCI'), hdus[1]);
    assert.throws(() => resolveHdu({ hdus }, 'SCI'), { code: 'FITS_BAD_ARGUMENT' });
  });
});
