import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { copyCorpus, writeRamp } from './viewer-files.js';

describe('viewer limits: MAX_FITS_FILE_SIZE_MB and MAX_FITS_ARRAY_ELEMENTS the same way everywhere', () => {
  describe('file size', () => {
    let engine: TestEngine;
    before(async () => {
      engine = await startTestEngine({ MAX_FITS_FILE_SIZE_MB: '1' });
      await writeRamp(engine.dataDir, 'big.fits', 600, 600); // 1.37 MB
    });
    after(async () => engine.dispose());

    it('413 with the upstream message on every endpoint, thumbnail included', async () => {
      const detail = 'File too large: 1.4MB exceeds maximum 1.0MB';
      const urls = [
        '/preview/x?file_path=big.fits', '/histogram/x?file_path=big.fits', '/pixeldata/x?file_path=big.fits',
        '/cubeinfo/x?file_path=big.fits', '/fits/info?file_path=big.fits', '/fits/header?file_path=big.fits',
        '/fits/table?file_path=big.fits', '/fits/cutout?file_path=big.fits&x=0&y=0&width=5&height=5',
      ];
      for (const url of urls) {
        const res = await engine.app.inject({ url });
        assert.equal(res.statusCode, 413, url);
        assert.deepEqual(res.json(), { detail }, url);
      }
      const thumb = await engine.app.inject({ method: 'POST', url: '/thumbnail', payload: { file_path: 'big.fits' } });
      assert.equal(thumb.statusCode, 413);
      assert.deepEqual(thumb.json(), { detail });
    });
  });

  describe('array elements bound what is decoded at once, not what can be previewed', () => {
    let engine: TestEngine;
    let reference: TestEngine;
    const reference_ = { get app() { return reference.app; }, get dataDir() { return reference.dataDir; } };
    before(async () => {
      engine = await startTestEngine({ MAX_FITS_ARRAY_ELEMENTS: '5000' });
      reference = await startTestEngine();
      for (const e of [engine, reference]) {
        await writeRamp(e.dataDir, 'ramp.fits', 300, 200, [0, 30, 0, 20]); // 60 000 pixels, read in 16-row bands
        await writeRamp(e.dataDir, 'tooWide.fits', 6000, 2);
        await copyCorpus(e.dataDir, 'astropy-m13.fits', 'm13.fits'); // 90 000 pixels, no NaN
      }
    });
    after(async () => {
      await engine.dispose();
      await reference.dispose();
    });

    it('a plane over the limit is previewed band by band: same size, and (without NaN) the same zscale', async () => {
      const limited = await engine.app.inject({ url: '/preview/x?file_path=m13.fits&width=150&height=150' });
      const whole = await reference.app.inject({ url: '/preview/x?file_path=m13.fits&width=150&height=150' });
      assert.equal(limited.statusCode, 200);
      const a = await sharp(limited.rawPayload).raw().toBuffer();
      const b = await sharp(whole.rawPayload).raw().toBuffer();
      assert.equal(a.length, b.length);
      let diff = 0;
      for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
      assert.ok(diff <= 1, `band-wise preview differs by ${diff} levels`);
    });

    it('pixeldata and histogram work band by band too; counts cover every finite pixel', async () => {
      const px = await engine.app.inject({ url: '/pixeldata/x?file_path=ramp.fits&max_size=150' });
      const ref = await reference.app.inject({ url: '/pixeldata/x?file_path=ramp.fits&max_size=150' });
      assert.equal(px.statusCode, 200);
      assert.equal(px.json().pixels, ref.json().pixels);
      const h = (await engine.app.inject({ url: '/histogram/x?file_path=ramp.fits&stretch=linear' })).json();
      const hr = (await reference.app.inject({ url: '/histogram/x?file_path=ramp.fits&stretch=linear' })).json();
      assert.deepEqual(h.histogram.counts, hr.histogram.counts);
      assert.equal(h.histogram.counts.reduce((x: number, y: number) => x + y, 0), 60000 - 600);
      assert.ok(Math.abs(h.stats.mean - hr.stats.mean) < 1e-9);
    });

    it('histograms exclude NaN and infinities, whole or band by band (fixture counts)', async () => {
      const { reference, planeOf } = await import('../imaging/reference.js');
      const { encodeFits } = await import('../../src/fits/index.js');
      const { writeFile } = await import('node:fs/promises');
      const c = reference.cases.find((x) => x.name === 'synthetic-nan-inf')!;
      const plane = planeOf(c);
      const bytes = await encodeFits([{ axes: [plane.width, plane.height], data: plane.data }]);
      for (const e of [engine, reference_]) {
        await writeFile(`${e.dataDir}/synthetic.fits`, bytes);
        const body = (await e.app.inject({ url: '/histogram/x?file_path=synthetic.fits&bins=64&stretch=linear' })).json();
        assert.deepEqual(body.raw_histogram.counts, c.raw_histogram.counts);
        assert.equal(body.histogram.counts.reduce((a: number, b: number) => a + b, 0), c.finite_count);
      }
    });

    it('413 when even one row, or a cutout, is over the limit', async () => {
      const wide = await engine.app.inject({ url: '/preview/x?file_path=tooWide.fits' });
      assert.equal(wide.statusCode, 413);
      assert.deepEqual(wide.json(), { detail: 'Image too large: 6,000 pixels exceeds maximum 5,000' });
      const cut = await engine.app.inject({ url: '/fits/cutout?file_path=ramp.fits&x=0&y=0&width=100&height=100' });
      assert.equal(cut.statusCode, 413);
      assert.deepEqual(cut.json(), { detail: 'Image too large: 10,000 pixels exceeds maximum 5,000' });
    });
  });
});
