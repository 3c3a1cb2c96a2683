import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FitsFile, firstImageHdu } from '../../src/fits/index.js';
import { pixelWcsBlock } from '../../src/imaging/wcs-block.js';
import { FIXTURES_DIR } from '../helpers/paths.js';

interface Case { file: string; cd: number[]; crpix: number[]; crval: number[]; ctype: string[] }
const fixture = JSON.parse(readFileSync(new URL('../fixtures/imaging/wcs-blocks.json', import.meta.url), 'utf8')) as { cases: Case[] };

describe('pixel WCS block on corpus headers equals astropy pixel_scale_matrix (make-wcs-block-fixtures.py)', () => {
  for (const c of fixture.cases) {
    it(c.file, async () => {
      const file = await FitsFile.open(join(FIXTURES_DIR, 'fits-corpus', c.file));
      try {
        const w = pixelWcsBlock(firstImageHdu(file)!.header)!;
        assert.ok(w, 'a WCS block');
        const got = [w.cd1_1, w.cd1_2, w.cd2_1, w.cd2_2];
        got.forEach((v, i) => assert.ok(Math.abs(v - c.cd[i]!) <= 1e-12 * Math.max(1e-6, Math.abs(c.cd[i]!)) + 1e-18, `cd[${i}] ${v} vs ${c.cd[i]}`));
        assert.deepEqual([w.crpix1, w.crpix2], c.crpix);
        assert.deepEqual([w.crval1, w.crval2], c.crval);
        assert.deepEqual([w.ctype1, w.ctype2], c.ctype);
      } finally {
        await file.close();
      }
    });
  }
});
