import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import sharp from 'sharp';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { CORPUS, copyCorpus } from './viewer-files.js';
import { FitsFile, firstImageHdu, readPlane } from '../../src/fits/index.js';
import { chooseSlice } from '../../src/imaging/cube-info.js';
import { ZScaleInterval } from '../../src/imaging/intervals.js';
import { reference } from '../imaging/reference.js';
import { join } from 'node:path';

const files = readdirSync(CORPUS).filter((f) => /\.(fits|fz|gz|z|fits)$/i.test(f) && !f.endsWith('.json'));

describe('every corpus file: a preview, or a clear 4xx, never a crash', () => {
  let engine: TestEngine;
  before(async () => {
    engine = await startTestEngine();
    for (const f of files) await copyCorpus(engine.dataDir, f);
  });
  after(async () => engine.dispose());

  it('GET /preview and /histogram answer 200 with an exact-size image, or 400/413 with a detail', async () => {
    let rendered = 0;
    for (const f of files) {
      const res = await engine.app.inject({ url: `/preview/x?file_path=${encodeURIComponent(f)}&width=120&height=120` });
      if (res.statusCode === 200) {
        rendered++;
        const meta = await sharp(res.rawPayload).metadata();
        assert.ok(meta.width === 120 || meta.height === 120, `${f}: ${meta.width}x${meta.height}`);
        const h = await engine.app.inject({ url: `/histogram/x?file_path=${encodeURIComponent(f)}&bins=10` });
        assert.equal(h.statusCode, 200, `${f}: histogram ${h.body}`);
      } else {
        assert.ok([400, 413].includes(res.statusCode), `${f}: ${res.statusCode} ${res.body}`);
        assert.equal(typeof res.json().detail, 'string');
      }
    }
    assert.ok(rendered >= 40, `only ${rendered} corpus files rendered`);
  });

  it('tile-compressed (RICE, GZIP, PLIO) previews equal the uncompressed original', async () => {
    const original = (await engine.app.inject({ url: '/preview/x?file_path=astropy-m13.fits&width=150&height=150' })).rawPayload;
    const want = await sharp(original).raw().toBuffer();
    for (const f of ['astropy-m13_rice.fits', 'astropy-m13_gzip.fits', 'astropy-m13_plio.fits']) {
      const res = await engine.app.inject({ url: `/preview/x?file_path=${f}&width=150&height=150` });
      assert.equal(res.statusCode, 200, f);
      assert.deepEqual(await sharp(res.rawPayload).raw().toBuffer(), want, f);
    }
  });
});

describe('the FITS reader feeds the imaging core the pixels astropy sees', () => {
  for (const c of reference.cases.filter((x) => x.name.endsWith('.fits'))) {
    it(`${c.name}: zscale limits from readPlane equal astropy's`, async () => {
      const file = await FitsFile.open(join(CORPUS, c.name));
      try {
        const hdu = firstImageHdu(file)!;
        const plane = await readPlane(file, hdu, { plane: chooseSlice(hdu.axes, -1).plane });
        assert.deepEqual([plane.width, plane.height], [c.width, c.height]);
        const { vmin, vmax } = new ZScaleInterval().getLimits(plane.data);
        assert.ok(Math.abs(vmin - c.zscale[0]) <= 1e-6 * Math.max(1e-12, Math.abs(c.zscale[0])), `${vmin} vs ${c.zscale[0]}`);
        assert.ok(Math.abs(vmax - c.zscale[1]) <= 1e-6 * Math.max(1e-12, Math.abs(c.zscale[1])), `${vmax} vs ${c.zscale[1]}`);
      } finally {
        await file.close();
      }
    });
  }
});
