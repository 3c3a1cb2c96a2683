/**
 * POST /composite/generate: exact sizes with the aspect kept, channel colours (legacy R/G/B and any
 * number of coloured channels), the overall adjustment applied once, AVM read back by exiftool,
 * errors, and the background-job form.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { waitForJob } from './sky-jobs.js';
import { writeTile } from './sky-files.js';

const hasExiftool = spawnSync('exiftool', ['-ver'], { stdio: 'ignore' }).status === 0;

async function pixels(buf: Buffer): Promise<{ width: number; height: number; channels: number; data: Buffer }> {
  const { data, info } = await sharp(buf).raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: info.channels, data };
}

describe('POST /composite/generate', () => {
  let engine: TestEngine;
  const base = { ra: 150.1, dec: 2.2, width: 120, height: 60, scale: 1e-4 };
  before(async () => {
    engine = await startTestEngine();
    // Left half bright in the "red" file, right half bright in the "blue" file, flat "green".
    await writeTile(engine.dataDir, { ...base, name: 'c/red.fits', value: (x) => (x < 60 ? 10 : 1) + 0.001 * x });
    await writeTile(engine.dataDir, { ...base, name: 'c/green.fits', value: (x, y) => 5 + 0.01 * ((x * 7 + y * 3) % 5) });
    await writeTile(engine.dataDir, { ...base, name: 'c/blue.fits', value: (x) => (x >= 60 ? 10 : 1) + 0.001 * x });
    await writeTile(engine.dataDir, { ...base, name: 'c/nowcs.fits', noWcs: true, value: () => 1 });
  });
  after(async () => engine.dispose());

  const channel = (file: string, extra: Record<string, unknown> = {}) => ({ file_paths: [file], stretch: 'linear', ...extra });

  it('keeps the aspect ratio inside the box and colours R/G/B channels', async () => {
    const res = await engine.app.inject({
      method: 'POST',
      url: '/composite/generate',
      payload: { red: channel('c/red.fits'), green: channel('c/green.fits', { white_point: 1, stretch: 'linear' }), blue: channel('c/blue.fits'), width: 400, height: 400, embed_avm: false },
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.headers['content-type'], 'image/png');
    const img = await pixels(res.rawPayload);
    // 120x60 sky fitted in 400x400: 400x200.
    assert.equal(img.width, 400);
    assert.equal(img.height, 200);
    assert.equal(Number(res.headers['x-image-width']), 400);
    const at = (x: number, y: number) => Array.from(img.data.subarray((y * img.width + x) * img.channels, (y * img.width + x) * img.channels + 3));
    const left = at(50, 100);
    const right = at(350, 100);
    assert.ok(left[0]! > 200 && left[2]! < 60, `left is red: ${left}`);
    assert.ok(right[2]! > 200 && right[0]! < 60, `right is blue: ${right}`);
  });

  it('accepts any number of channels with hue, hex or rgb colours', async () => {
    const res = await engine.app.inject({
      method: 'POST',
      url: '/composite/generate',
      payload: {
        channels: [channel('c/red.fits', { color: '#ff8000' }), channel('c/blue.fits', { hue: 200 }), channel('c/green.fits', { rgb: [0.2, 0.2, 0.2] }), channel('c/red.fits', { color: 'magenta' })],
        width: 240, height: 240, embed_avm: false,
      },
    });
    assert.equal(res.statusCode, 200, res.body);
    const img = await pixels(res.rawPayload);
    assert.deepEqual([img.width, img.height], [240, 120]);
  });

  it('applies the overall adjustment once (zscale on display values is not a second stretch)', async () => {
    const payload = { red: channel('c/red.fits'), green: channel('c/green.fits'), blue: channel('c/blue.fits'), width: 120, height: 120, embed_avm: false };
    const plain = await engine.app.inject({ method: 'POST', url: '/composite/generate', payload });
    const withOverall = await engine.app.inject({ method: 'POST', url: '/composite/generate', payload: { ...payload, overall: { stretch: 'zscale' } } });
    assert.equal(withOverall.statusCode, 200);
    assert.deepEqual((await pixels(withOverall.rawPayload)).data, (await pixels(plain.rawPayload)).data);
    const gamma = await engine.app.inject({ method: 'POST', url: '/composite/generate', payload: { ...payload, overall: { stretch: 'linear', gamma: 2 } } });
    assert.notDeepEqual((await pixels(gamma.rawPayload)).data, (await pixels(plain.rawPayload)).data);
  });

  it('crops the common grid before fitting the box', async () => {
    const res = await engine.app.inject({
      method: 'POST',
      url: '/composite/generate',
      payload: { red: channel('c/red.fits'), green: channel('c/green.fits'), blue: channel('c/blue.fits'), width: 300, height: 300, crop: [0, 0, 0.5, 1], embed_avm: false },
    });
    const img = await pixels(res.rawPayload);
    assert.deepEqual([img.width, img.height], [300, 300]);
  });

  for (const format of ['png', 'jpeg'] as const) {
    it(`embeds AVM in ${format} matching the written image`, { skip: hasExiftool ? false : 'exiftool not installed' }, async () => {
      const res = await engine.app.inject({
        method: 'POST',
        url: '/composite/generate',
        payload: { red: channel('c/red.fits'), green: channel('c/green.fits'), blue: channel('c/blue.fits'), width: 300, height: 300, output_format: format, avm_metadata: JSON.stringify({ target_name: 'Test field', filter: 'F200W' }) },
      });
      assert.equal(res.statusCode, 200);
      const path = join(engine.dataDir, `avm.${format}`);
      writeFileSync(path, res.rawPayload);
      const r = spawnSync('exiftool', ['-j', '-G1', '-n', '-XMP:all', path], { encoding: 'utf8' });
      const tags = JSON.parse(r.stdout)[0] as Record<string, unknown>;
      assert.deepEqual(tags['XMP-avm:SpatialReferenceDimension'], [300, 150]);
      assert.equal(tags['XMP-avm:SpatialCoordinateFrame'], 'ICRS');
      const [ra, dec] = tags['XMP-avm:SpatialReferenceValue'] as number[];
      assert.ok(Math.abs(ra! - 150.1) < 1e-3 && Math.abs(dec! - 2.2) < 1e-3);
      assert.ok(Math.abs((tags['XMP-avm:SpatialScale'] as number[])[1]! - (120 * 1e-4) / 300) < 1e-9);
      assert.equal(tags['XMP-dc:Title'], 'Test field');
    });
  }

  it('answers contract errors: 404 missing file, 400 no celestial WCS, 422 validation', async () => {
    const missing = await engine.app.inject({ method: 'POST', url: '/composite/generate', payload: { red: channel('c/none.fits'), green: channel('c/green.fits'), blue: channel('c/blue.fits') } });
    assert.equal(missing.statusCode, 404);
    const nowcs = await engine.app.inject({ method: 'POST', url: '/composite/generate', payload: { red: channel('c/nowcs.fits'), green: channel('c/green.fits'), blue: channel('c/blue.fits') } });
    assert.equal(nowcs.statusCode, 400);
    assert.equal(nowcs.json().detail, 'No celestial WCS found in FITS file: nowcs.fits');
    const gamma = await engine.app.inject({ method: 'POST', url: '/composite/generate', payload: { red: channel('c/red.fits', { gamma: 0 }), green: channel('c/green.fits'), blue: channel('c/blue.fits') } });
    assert.equal(gamma.statusCode, 422);
    const partial = await engine.app.inject({ method: 'POST', url: '/composite/generate', payload: { red: channel('c/red.fits') } });
    assert.equal(partial.statusCode, 422);
    const escape = await engine.app.inject({ method: 'POST', url: '/composite/generate', payload: { red: channel('../x.fits'), green: channel('c/green.fits'), blue: channel('c/blue.fits') } });
    assert.equal(escape.statusCode, 403);
  });

  it('runs as a background job with progress', async () => {
    const res = await engine.app.inject({
      method: 'POST',
      url: '/composite/generate?async=true',
      payload: { red: channel('c/red.fits'), green: channel('c/green.fits'), blue: channel('c/blue.fits'), width: 100, height: 100 },
    });
    assert.equal(res.statusCode, 202);
    const id = res.json().job_id as string;
    const status = await waitForJob(engine, `/composite/jobs/${id}`);
    assert.equal(status.status, 'done');
    assert.equal(status.progress, 100);
    const result = await engine.app.inject({ method: 'GET', url: `/composite/jobs/${id}/result` });
    assert.equal(result.statusCode, 200);
    assert.equal(result.headers['content-type'], 'image/png');
    assert.equal((await engine.app.inject({ method: 'GET', url: '/composite/jobs/nope' })).statusCode, 404);
  });

  it('a failed background job answers its result with the error the request would have had', async () => {
    const res = await engine.app.inject({
      method: 'POST',
      url: '/composite/generate?async=true',
      payload: { red: channel('c/red.fits'), green: channel('c/nowcs.fits'), blue: channel('c/blue.fits'), width: 100, height: 100 },
    });
    assert.equal(res.statusCode, 202);
    const id = res.json().job_id as string;
    const status = await waitForJob(engine, `/composite/jobs/${id}`);
    assert.equal(status.status, 'failed');
    const result = await engine.app.inject({ method: 'GET', url: `/composite/jobs/${id}/result` });
    assert.equal(result.statusCode, 400);
    assert.match(result.json().detail, /No celestial WCS/);
  });
});

describe('POST /composite/generate with inputs larger than MAX_FITS_ARRAY_ELEMENTS', () => {
  let engine: TestEngine;
  before(async () => {
    engine = await startTestEngine({ MAX_FITS_ARRAY_ELEMENTS: '5000' });
    const base = { ra: 150.1, dec: 2.2, width: 120, height: 60, scale: 1e-4 };
    await writeTile(engine.dataDir, { ...base, name: 'big/r.fits', value: (x) => x });
    await writeTile(engine.dataDir, { ...base, name: 'big/g.fits', value: (_x, y) => y });
    await writeTile(engine.dataDir, { ...base, name: 'big/b.fits', value: (x, y) => x + y });
  });
  after(async () => engine.dispose());

  it('streams and block-averages them when the output is coarse, 413 when it is not', async () => {
    const ch = (f: string) => ({ file_paths: [f], stretch: 'linear' });
    const payload = { red: ch('big/r.fits'), green: ch('big/g.fits'), blue: ch('big/b.fits') };
    const coarse = await engine.app.inject({ method: 'POST', url: '/composite/generate', payload: { ...payload, width: 30, height: 30 } });
    assert.equal(coarse.statusCode, 200, coarse.body);
    assert.deepEqual([(await sharp(coarse.rawPayload).metadata()).width, (await sharp(coarse.rawPayload).metadata()).height], [30, 15]);
    const full = await engine.app.inject({ method: 'POST', url: '/composite/generate', payload: { ...payload, width: 120, height: 120 } });
    assert.equal(full.statusCode, 413, full.body);
  });
});
