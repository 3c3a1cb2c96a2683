/** The resumable SHA-256 and FITS sums: equal to node:crypto and the streaming accumulator, also when continued from a saved state. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ResumableDigest, Sha256 } from '../../src/downloads/resumable-digest.js';
import { ContentDigest } from '../../src/downloads/content-digest.js';
import { readFileSync } from 'node:fs';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

describe('Sha256', () => {
  it('equals node:crypto for lengths around the block and padding edges, fed in pieces of any size', () => {
    for (const n of [0, 1, 3, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 4096, 100_003]) {
      const data = bytes(n, n + 7);
      assert.equal(new Sha256().update(data).digestHex(), sha(data), `length ${n}`);
      const s = new Sha256();
      for (let i = 0; i < n; i += 37) s.update(data.subarray(i, Math.min(n, i + 37)));
      assert.equal(s.digestHex(), sha(data), `length ${n} in pieces`);
    }
  });

  it('continues from a saved state (through JSON) at any offset', () => {
    const data = bytes(10_000, 99);
    for (const cut of [0, 1, 63, 64, 65, 5000, 9999, 10_000]) {
      const a = new Sha256().update(data.subarray(0, cut));
      const b = Sha256.fromState(JSON.parse(JSON.stringify(a.state())));
      assert.equal(b.update(data.subarray(cut)).digestHex(), sha(data), `cut at ${cut}`);
    }
  });

  it('refuses a state that is not one', () => {
    assert.throws(() => Sha256.fromState({ h: [1, 2], bytes: 0, tail: '' }), TypeError);
    assert.throws(() => Sha256.fromState({ h: [0, 0, 0, 0, 0, 0, 0, 0], bytes: 3, tail: '' }), TypeError);
  });
});

describe('ResumableDigest', () => {
  it('gives what ContentDigest gives (SHA-256 and FITS verdicts), also resumed mid-header and mid-data', () => {
  for (const name of ['astropy-checksum.fits', 'astropy-checksum_false.fits']) {
    const fits = readFileSync(new URL(`../fixtures/fits-corpus/${name}`, import.meta.url));
    const whole = new ContentDigest();
    whole.update(fits);
    const expected = whole.finish();
    for (const cut of [0, 100, 2880, 4000, fits.length - 10, fits.length]) {
      const d = ResumableDigest.create();
      d.update(fits.subarray(0, cut));
      const resumed = ResumableDigest.fromState(JSON.parse(JSON.stringify(d.state())));
      resumed.update(fits.subarray(cut));
      assert.deepEqual(resumed.finish(), expected, `${name} cut at ${cut}`);
    }
  }
  });
});
