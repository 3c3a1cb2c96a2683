/** The checksum encoding reproduces stored CHECKSUM values, and applyChecksum makes an HDU verify. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FitsFile, Header, OnesComplementSum, addSums, applyChecksum, computeDataSum, encodeChecksum, onesComplementSum } from '../../src/fits/index.js';
import { corpusPath } from './corpus.js';

describe('checksum', () => {
  it('re-encodes the stored CHECKSUM of astropy-checksum.fits from the header with a zeroed field', async () => {
    const file = await FitsFile.open(corpusPath('astropy-checksum.fits'));
    try {
      for (const hdu of file.hdus) {
        const stored = hdu.header.getString('CHECKSUM')!;
        const bytes = Buffer.from(await file.readBytes(hdu.headerOffset, hdu.headerBlocks * 2880));
        const text = bytes.toString('latin1');
        const at = text.indexOf(`'${stored}'`);
        assert.ok(at > 0);
        bytes.write('0000000000000000', at + 1, 'latin1');
        const total = addSums(onesComplementSum(bytes), await computeDataSum(file, hdu));
        assert.equal(encodeChecksum(total), stored);
      }
    } finally {
      await file.close();
    }
  });

  it('sums in any chunking', () => {
    const buf = Buffer.alloc(1003);
    for (let i = 0; i < buf.length; i++) buf[i] = (i * 7919) & 0xff;
    const whole = onesComplementSum(buf);
    const s = new OnesComplementSum();
    for (let i = 0; i < buf.length; i += 13) s.add(buf.subarray(i, i + 13));
    assert.equal(s.value(), whole);
    assert.equal(onesComplementSum(Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1])), 1);
  });

  it('the WebAssembly sum equals a word-by-word BigInt sum (lengths across its SIMD steps and 1 MiB pieces, all-zero, all-ones)', () => {
    const reference = (buf: Uint8Array): number => {
      let acc = 0n;
      let nonzero = false;
      for (let i = 0; i < buf.length; i += 4) {
        const w = BigInt((((buf[i] ?? 0) << 24) | ((buf[i + 1] ?? 0) << 16) | ((buf[i + 2] ?? 0) << 8) | (buf[i + 3] ?? 0)) >>> 0);
        if (w !== 0n) nonzero = true;
        acc = (acc + w) % 0xffffffffn;
      }
      return acc === 0n && nonzero ? 0xffffffff : Number(acc);
    };
    let seed = 5;
    const rnd = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) >>> 24;
    for (const n of [0, 1, 4, 28, 31, 32, 33, 36, 100, 1027, (1 << 20) + 8, (1 << 20) * 2 + 5]) {
      const random = Uint8Array.from({ length: n }, rnd);
      assert.equal(onesComplementSum(random), reference(random), `random, ${n} bytes`);
      assert.equal(onesComplementSum(new Uint8Array(n)), 0, `zeros, ${n} bytes`);
      if (n >= 4) assert.equal(onesComplementSum(new Uint8Array(n - (n % 4)).fill(0xff)), 0xffffffff, `ones, ${n} bytes`);
    }
    // an odd start (the word boundary of the stream, not of memory) and the caller's bytes untouched
    const buf = Uint8Array.from({ length: 4099 }, rnd);
    const copy = buf.slice();
    const s = new OnesComplementSum().add(buf.subarray(0, 3)).add(buf.subarray(3), true);
    assert.equal(s.value(), reference(buf));
    assert.deepEqual(buf, copy);
  });

  it('applyChecksum makes header + data sum to -0', () => {
    const h = new Header();
    h.set('SIMPLE', true).set('BITPIX', 8).set('NAXIS', 1).set('NAXIS1', 4);
    const data = Buffer.alloc(2880);
    data.set([1, 2, 3, 4]);
    const ds = onesComplementSum(data);
    applyChecksum(h, ds);
    assert.equal(addSums(onesComplementSum(h.toBuffer()), ds), 0xffffffff);
    assert.equal(h.getString('DATASUM'), String(ds));
    assert.match(h.getString('CHECKSUM')!, /^[0-9A-Za-z]{16}$/);
  });
});
