/**
 * Lookup-table distortion (D2IMARR + WCSDVARR, with SIP) of astropy-dist_lookup.fits.gz, the tables
 * read by the FITS core, against astropy 8.0.1 (crosscheck/): astropy 5.2.1 reads the tables one
 * table pixel off (astropy PR #16163, see SOURCES.md), so REFERENCE.json is not the reference here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FitsFile, readPlane } from '../../src/fits/index.js';
import { attachLookupTables, headerNumber, parseWcs, Wcs } from '../../src/wcs/index.js';
import { FIXTURES_DIR } from '../helpers/paths.js';
import { assertMatchesReference, type ReferenceFile } from './wcs-reference.js';

const CORPUS = join(FIXTURES_DIR, 'fits-corpus');

describe('lookup-table distortions', () => {
  it('astropy-dist_lookup.fits.gz: SIP + D2IM + CPDIS as astropy 8.0.1', async () => {
    const file = await FitsFile.open(join(CORPUS, 'astropy-dist_lookup.fits.gz'));
    try {
      const base = parseWcs(file.hdus[1]!.header);
      assert.equal(base.lookupRequests?.length, 3);
      const def = await attachLookupTables(base, async (req) => {
        const hdu = file.hdus.find((h) => h.name === req.extname && h.ver === req.extver)!;
        const plane = await readPlane(file, hdu);
        const n = (k: string, d: number) => headerNumber(hdu.header, k) ?? d;
        return {
          width: plane.width,
          height: plane.height,
          data: plane.data,
          crpix: [n('CRPIX1', 0), n('CRPIX2', 0)],
          crval: [n('CRVAL1', 0), n('CRVAL2', 0)],
          cdelt: [n('CDELT1', 1), n('CDELT2', 1)],
        };
      });
      const wcs = new Wcs(def);
      const ref = JSON.parse(readFileSync(join(CORPUS, 'crosscheck/REFERENCE-astropy-8.0.1.json'), 'utf8')) as ReferenceFile;
      const w = ref.files.find((f) => f.file === 'astropy-dist_lookup.fits.gz')!.hdus[1]!.wcs!;
      assertMatchesReference(wcs, w);
    } finally {
      await file.close();
    }
  });
});
