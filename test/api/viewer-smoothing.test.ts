/**
 * GET /preview and GET /histogram with smooth_method / smooth_sigma / smooth_size (upstream
 * section 5): 400 messages, the histogram made from the smoothed full-resolution plane (NaN kept
 * out, never 0), previews that change with the smoothing; the camelCase names of the library
 * facades (upstream §5: smoothMethod, smoothSigma, smoothSize).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { writeFits } from '../../src/fits/writer.js';
import { smoothPlane } from '../../src/imaging/smoothing.js';

const W = 64;
const H = 48;

function image(): Float32Array {
  const data = new Float32Array(W * H);
  let seed = 7;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let i = 0; i < data.length; i++) data[i] = 100 + 20 * (rand() - 0.5);
  for (let y = 20; y < 26; y++) for (let x = 30; x < 40; x++) data[y * W + x] = Number.NaN;
  return data;
}

describe('preview and histogram smoothing', () => {
  let engine: TestEngine;
  const data = image();
  before(async () => {
    engine = await startTestEngine();
    await writeFits(join(engine.dataDir, 'noise.fits'), [{ axes: [W, H], data }]);
  });
  after(async () => engine.dispose());
  const get = (url: string) => engine.app.inject({ method: 'GET', url });

  it('answers 400 with the upstream messages', async () => {
    for (const [q, detail] of [
      ['smooth_method=blur', "Invalid smooth_method 'blur'. Must be empty or one of: gaussian, median, box, astropy_gaussian, astropy_box"],
      ['smooth_method=gaussian&smooth_sigma=20', 'smooth_sigma must be between 0.1 and 10.0'],
      ['smooth_method=median&smooth_size=31', 'smooth_size must be between 1 and 25'],
      ['smooth_method=box&smooth_size=4', 'smooth_size must be odd'],
    ] as const) {
      for (const route of ['preview', 'histogram']) {
        const res = await get(`/${route}/x?file_path=noise.fits&${q}`);
        assert.equal(res.statusCode, 400, `${route} ${q}: ${res.body}`);
        assert.equal(res.json().detail, detail);
      }
    }
  });

  it('histograms the smoothed full-resolution plane, no-data pixels left out', async () => {
    const finite = data.filter((v) => Number.isFinite(v)).length;
    for (const [q, opts] of [
      ['smooth_method=gaussian&smooth_sigma=2', { method: 'gaussian', sigma: 2, size: 0 }],
      ['smooth_method=median&smooth_size=5', { method: 'median', sigma: 0, size: 5 }],
      ['smooth_method=astropy_box&smooth_size=3', { method: 'astropy_box', sigma: 0, size: 3 }],
    ] as const) {
      const res = await get(`/histogram/x?file_path=noise.fits&bins=64&${q}`);
      assert.equal(res.statusCode, 200, res.body);
      const h = res.json() as { raw_histogram: { counts: number[] } };
      assert.equal(h.raw_histogram.counts.reduce((a, b) => a + b, 0), finite, 'every finite pixel once, no NaN turned into a value');
      // the same counts from the library's smoothed plane
      const sm = smoothPlane({ width: W, height: H, data }, opts);
      let min = Infinity;
      let max = -Infinity;
      for (const v of sm) if (Number.isFinite(v)) [min, max] = [Math.min(min, v), Math.max(max, v)];
      const expected = new Array<number>(64).fill(0);
      for (const v of sm) if (Number.isFinite(v)) expected[Math.min(63, Math.floor(((v - min) / (max - min)) * 64))]! += 1;
      const diff = expected.reduce((s, c, i) => s + Math.abs(c - h.raw_histogram.counts[i]!), 0);
      assert.ok(diff <= 2, `${q}: counts differ by ${diff}`);
    }
    const plain = (await get('/histogram/x?file_path=noise.fits&bins=64')).json() as { raw_histogram: { counts: number[] } };
    const empty = (await get('/histogram/x?file_path=noise.fits&bins=64&smooth_method=')).json() as { raw_histogram: { counts: number[] } };
    assert.deepEqual(empty.raw_histogram.counts, plain.raw_histogram.counts, 'an empty smooth_method is off');
  });

  it('renders smoothed previews (a different image, its own cache entry)', async () => {
    const plain = await get('/preview/x?file_path=noise.fits&width=64&height=48');
    const smooth = await get('/preview/x?file_path=noise.fits&width=64&height=48&smooth_method=box&smooth_size=5');
    assert.equal(smooth.statusCode, 200, smooth.body.slice(0, 200));
    assert.match(String(smooth.headers['content-type']), /image\/png/);
    assert.notEqual(smooth.headers.etag, plain.headers.etag);
    assert.notDeepEqual(smooth.rawPayload, plain.rawPayload);
  });

  it('takes smoothMethod / smoothSigma / smoothSize on the library facades (/api/jwstdata/{id}/histogram, /preview)', async () => {
    assert.equal((await engine.app.inject({ method: 'POST', url: '/api/jwstdata/scan' })).statusCode, 200);
    let id: string | undefined;
    for (let i = 0; i < 200 && id === undefined; i++) {
      const list = (await get('/api/jwstdata')).json() as Array<{ id: string; fileName: string }>;
      id = list.find((r) => r.fileName === 'noise.fits')?.id;
      if (id === undefined) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(id, 'the record of noise.fits');
    const facade = await get(`/api/jwstdata/${id}/histogram?bins=64&smoothMethod=gaussian&smoothSigma=2`);
    assert.equal(facade.statusCode, 200, facade.body);
    const direct = (await get('/histogram/x?file_path=noise.fits&bins=64&smooth_method=gaussian&smooth_sigma=2')).json() as { raw_histogram: { counts: number[] } };
    assert.deepEqual((facade.json() as { raw_histogram: { counts: number[] } }).raw_histogram.counts, direct.raw_histogram.counts);
    const bad = await get(`/api/jwstdata/${id}/preview?smoothMethod=median&smoothSize=4`);
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().detail, 'smooth_size must be odd');
    const box = await get(`/api/jwstdata/${id}/preview?width=64&height=48&smoothMethod=box&smoothSize=5`);
    const boxDirect = await get('/preview/x?file_path=noise.fits&width=64&height=48&smooth_method=box&smooth_size=5');
    assert.equal(box.statusCode, 200);
    assert.deepEqual(box.rawPayload, boxDirect.rawPayload);
  });
});
