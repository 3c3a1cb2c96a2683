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
