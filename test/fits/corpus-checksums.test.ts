/** CHECKSUM/DATASUM verification matches astropy (REFERENCE.json `checksums`) on every corpus file that has them. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FitsFile, verifyChecksum } from '../../src/fits/index.js';
import { corpusPath, referenceFiles } from './corpus.js';

describe('corpus checksums match astropy', () => {
  for (const ref of referenceFiles().filter((f) => f.checksums?.length)) {
    it(ref.file, async () => {
      const file = await FitsFile.open(corpusPath(ref.file));
      try {
        for (const c of ref.checksums!) {
          const r = await verifyChecksum(file, file.hdu(c.hdu));
          assert.equal(r.datasum, c.datasum, `HDU ${c.hdu} datasum`);
          assert.equal(r.checksum, c.checksum, `HDU ${c.hdu} checksum`);
        }
      } finally {
        await file.close();
      }
    });
  }
});
