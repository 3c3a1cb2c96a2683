/** The streaming CHECKSUM/DATASUM verifier against astropy 5.2.1's verdicts for the shared corpus. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { FitsChecksumAccumulator } from '../../src/downloads/fits-checksum.js';

const corpus = new URL('../fixtures/fits-corpus/', import.meta.url);
interface RefFile { file: string; checksums?: Array<{ hdu: number; checksum: string; datasum: string }> }
const reference = JSON.parse(readFileSync(new URL('REFERENCE.json', corpus), 'utf8')) as { files: RefFile[] };

function verify(bytes: Uint8Array, piece: number) {
  const acc = new FitsChecksumAccumulator();
  for (let i = 0; i < bytes.length; i += piece) acc.update(bytes.subarray(i, i + piece));
  return acc.finish();
}

describe('FITS CHECKSUM/DATASUM (streaming) agrees with astropy on the corpus', () => {
  const files = reference.files.filter((f) => f.checksums && f.checksums.length > 0 && /\.fits$/i.test(f.file));
  it('covers files with valid and invalid sums', () => {
    assert.ok(files.length >= 5);
  });
  for (const ref of files) {
    it(ref.file, () => {
      const bytes = readFileSync(new URL(ref.file, corpus));
      for (const piece of [bytes.length, 7, 4096]) {
        const report = verify(bytes, piece);
        assert.equal(report.isFits, true);
        for (const want of ref.checksums!) {
          const got = report.hdus[want.hdu];
          assert.ok(got, `HDU ${want.hdu} seen`);
          assert.equal(got.checksum, want.checksum, `HDU ${want.hdu} CHECKSUM (piece ${piece})`);
          assert.equal(got.datasum, want.datasum, `HDU ${want.hdu} DATASUM (piece ${piece})`);
        }
      }
    });
  }

  it('notices one flipped data byte', () => {
    const bytes = new Uint8Array(readFileSync(new URL('astropy-checksum.fits', corpus)));
    bytes[bytes.length - 100]! ^= 0x40;
    const report = verify(bytes, 65536);
    assert.ok(report.hdus.some((h) => h.checksum === 'invalid' || h.datasum === 'invalid'));
  });

  it('says "not FITS" for other bytes', () => {
    assert.equal(verify(Buffer.from('hello world'.repeat(400)), 100).isFits, false);
  });
});
