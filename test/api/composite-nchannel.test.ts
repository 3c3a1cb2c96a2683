/**
 * POST /composite/generate-nchannel and its companions (upstream-latest §1): the default exposure
 * of a synthetic NIRCam 3-filter nebula is measured (median luminance, white clipping outside
 * stars, neutral sky), a composite with one channel per colour equals the stacked per-channel
 * stretches computed here by hand, 90-degree rotation is an exact pixel permutation, validation
 * messages, quality/budget headers, LRGB, the NDJSON stream, estimate and analyze-channels.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { writeNebulaScene, type WrittenScene } from '../helpers/nebula-scene.js';
import { measureExposure } from '../helpers/exposure.js';
import { writeTile } from './sky-files.js';

interface Raw { width: number; height: number; channels: number; data: Buffer }

async function pixels(buf: Buffer): Promise<Raw> {
  const { data, info } = await sharp(buf).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: info.channels, data };
}

/** numpy's linear percentile of a sorted array. */
function percentile(sorted: Float64Array, q: number): number {
  const pos = (q / 100) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

const srgb = (x: number) => (x <= 0.0031308 ? 12.92 * x : 1.055 * x ** (1 / 2.4) - 0.055);
const clip01 = (x: number) => Math.min(1, Math.max(0, x));

describe('POST /composite/generate-nchannel', () => {
  let engine: TestEngine;
  let scene: WrittenScene;
  const W = 60;
  const H = 40;
  const fRed = (x: number, y: number) => (x < 30 ? 10 : 1) + 0.05 * x + 0.02 * y;
  const fGreen = (x: number, y: number) => 5 + 0.3 * Math.sin(x / 5) * Math.cos(y / 7);
  const fBlue = (x: number, y: number) => (x >= 30 ? 10 : 1) + 0.03 * y;
  before(async () => {
    engine = await startTestEngine();
    scene = await writeNebulaScene(engine.dataDir, 'ngc3132', undefined, 0.4);
    const base = { ra: 150.1, dec: 2.2, width: W, height: H, scale: 1e-4 };
    await writeTile(engine.dataDir, { ...base, name: 'c/red.fits', value: fRed });
    await writeTile(engine.dataDir, { ...base, name: 'c/green.fits', value: fGreen });
    await writeTile(engine.dataDir, { ...base, name: 'c/blue.fits', value: fBlue });
    await writeTile(engine.dataDir, { ...base, width: 40, height: 40, name: 'c/square-r.fits', value: (x, y) => x + 3 * y });
    await writeTile(engine.dataDir, { ...base, width: 40, height: 40, name: 'c/square-g.fits', value: (x, y) => 2 + Math.sin(x * y / 50) });
  });
  after(async () => engine.dispose());

  const post = (payload: unknown, url = '/composite/generate-nchannel') => engine.app.inject({ method: 'POST', url, payload: payload as Record<string, unknown> });

  it('exposes a NIRCam 3-filter nebula well with nothing but files and colours', async () => {
    const size = 300;
    const res = await post({ channels: scene.files.map((f) => ({ file_paths: [f.path], color: { hue: f.filter.hue } })), width: size, height: size });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.headers['content-type'], 'image/png');
    const img = await pixels(res.rawPayload);
    assert.deepEqual([img.width, img.height], [size, size]);
    const e = measureExposure(img, scene.stars);
    assert.ok(e.medianLuminance >= 0.15 && e.medianLuminance <= 0.5, `median luminance ${e.medianLuminance}`);
    assert.ok(e.clippedFraction < 0.005, `white-clipped outside stars: ${(100 * e.clippedFraction).toFixed(2)} %`);
    assert.ok(e.skyPixels > 1000, `sky pixels measured: ${e.skyPixels}`);
    assert.ok(Math.max(...e.skyMedians) - Math.min(...e.skyMedians) <= 0.02, `sky medians ${e.skyMedians}`);
    const score = Number(res.headers['x-quality-score']);
    assert.ok(score >= 1 && score <= 5, `score ${score}`);
    for (const h of ['x-quality-snr', 'x-quality-balance', 'x-quality-spread', 'x-quality-coverage']) assert.ok(Number.isFinite(Number(res.headers[h])), h);
    assert.equal(res.headers['x-composite-budget-status'], 'ok');
    assert.equal(res.headers['x-composite-auto-feather'], 'false');
    assert.equal(res.headers['x-composite-feather-strength'], '0.000');
  });

  const rgbPayload = (extra: Record<string, unknown> = {}) => ({
    channels: [
      { file_paths: ['c/red.fits'], color: { rgb: [1, 0, 0] }, stretch: 'linear' },
      { file_paths: ['c/green.fits'], color: { rgb: [0, 1, 0] }, stretch: 'asinh', asinh_a: 0.1 },
      { file_paths: ['c/blue.fits'], color: { rgb: [0, 0, 1] }, stretch: 'sqrt', gamma: 2 },
    ],
    background_neutralization: false,
    width: W,
    height: H,
    embed_avm: false,
    ...extra,
  });

  it('takes an explicit null like an absent field (null colour arrays are not coerced to [0])', async () => {
    const withNulls = rgbPayload({ channels: rgbPayload().channels.map((c, i) => ({ ...c, color: { hue: i * 120, rgb: null }, weight: null })) });
    const without = rgbPayload({ channels: rgbPayload().channels.map((c, i) => ({ ...c, color: { hue: i * 120 } })) });
    const a = await post(withNulls);
    const b = await post(without);
    assert.equal(a.statusCode, 200, a.body);
    assert.equal(b.statusCode, 200, b.body);
    assert.ok(a.rawPayload.equals(b.rawPayload));
  });

  it('with one channel per colour equals the per-channel stretches stacked', async () => {
    const res = await post(rgbPayload());
    assert.equal(res.statusCode, 200, res.body);
    const img = await pixels(res.rawPayload);
    assert.deepEqual([img.width, img.height], [W, H]);
    assert.equal(res.headers['x-composite-picture-size'], `${W},${H}`, 'the picture before placement: the grid, unrotated');
    const stretch = (f: (x: number, y: number) => number, kind: 'linear' | 'asinh' | 'sqrt') => {
      const values = new Float64Array(W * H);
      for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) values[y * W + x] = Math.fround(f(x, y));
      const sorted = Float64Array.from(values).sort();
      const [lo, hi] = kind === 'linear' ? [sorted[0]!, sorted[sorted.length - 1]!] : [percentile(sorted, 0.1), percentile(sorted, 99.9)];
      return (x: number, y: number) => {
        const t = clip01((values[y * W + x]! - lo) / (hi - lo));
        if (kind === 'linear') return t;
        if (kind === 'asinh') return Math.asinh(t / 0.1) / Math.asinh(1 / 0.1);
        return Math.sqrt(t) ** (1 / 2);
      };
    };
    const planes = [stretch(fRed, 'linear'), stretch(fGreen, 'asinh'), stretch(fBlue, 'sqrt')];
    let worst = 0;
    for (let row = 0; row < H; row++) {
      const y = H - 1 - row; // FITS row 1 at the bottom
      for (let x = 0; x < W; x++) {
        for (let k = 0; k < 3; k++) {
          const want = Math.round(srgb(planes[k]!(x, y)) * 255);
          worst = Math.max(worst, Math.abs(img.data[(row * W + x) * img.channels + k]! - want));
        }
      }
    }
    assert.equal(worst, 0, `largest difference ${worst} levels`);
  });

  it('turns clockwise: 90 degrees is an exact pixel permutation', async () => {
    const payload = (rotation: number) => ({
      channels: [
        { file_paths: ['c/square-r.fits'], color: { hue: 0 }, stretch: 'linear' },
        { file_paths: ['c/square-g.fits'], color: { hue: 120 }, stretch: 'linear' },
      ],
      background_neutralization: false, width: 40, height: 40, embed_avm: false, rotation_degrees: rotation,
    });
    const plain = await pixels((await post(payload(0))).rawPayload);
    const turned = await pixels((await post(payload(90))).rawPayload);
    const n = 40;
    let worst = 0;
    for (let yo = 0; yo < n; yo++) {
      for (let xo = 0; xo < n; xo++) {
        // clockwise: the input pixel (xi, yi) lands at (n-1-yi, xi)
        const xi = yo;
        const yi = n - 1 - xo;
        for (let k = 0; k < 3; k++) worst = Math.max(worst, Math.abs(turned.data[(yo * n + xo) * 3 + k]! - plain.data[(yi * n + xi) * 3 + k]!));
      }
    }
    assert.ok(worst <= 1, `largest difference ${worst}`);
    // top-left of the plain picture (bright red: x + 3y is largest at the top) is at the top right
    assert.ok(plain.data[0]! > 200 && turned.data[(n - 1) * 3]! > 200);
  });

  it('zoom 2 panned to the top-left shows that quarter enlarged', async () => {
    const base = rgbPayload({ width: 60, height: 40 });
    const plain = await pixels((await post(base)).rawPayload);
    const zoomed = await pixels((await post({ ...base, crop_zoom: 2, crop_center_x: 0, crop_center_y: 0 })).rawPayload);
    let worst = 0;
    for (let y = 2; y < 38; y++) {
      for (let x = 2; x < 58; x++) {
        // canvas pixel x shows the plain picture at (x + 0.5) / 2 - 0.5, bilinear
        const sx = (x + 0.5) / 2 - 0.5;
        const sy = (y + 0.5) / 2 - 0.5;
        const x0 = Math.floor(sx), y0 = Math.floor(sy);
        for (let k = 0; k < 3; k++) {
          const at = (xx: number, yy: number) => plain.data[(yy * 60 + xx) * 3 + k]!;
          const fx = sx - x0, fy = sy - y0;
          const want = (1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x0 + 1, y0)) + fy * ((1 - fx) * at(x0, y0 + 1) + fx * at(x0 + 1, y0 + 1));
          worst = Math.max(worst, Math.abs(zoomed.data[(y * 60 + x) * 3 + k]! - want));
        }
      }
    }
    // the zoomed render resamples float values, the reference resamples rounded bytes
    assert.ok(worst <= 1.5, `largest difference ${worst}`);
  });

  it('validates channel colours and labels before reading files', async () => {
    const ch = (color: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ file_paths: ['c/red.fits'], color, ...extra });
    const cases: Array<[unknown[], RegExp]> = [
      [[ch({})], /Provide one of: hue, rgb, or luminance=true/],
      [[ch({ hue: 10, rgb: [1, 0, 0] })], /Provide only one of/],
      [[ch({ rgb: [1, 1.5, 0] })], /RGB component 1 value 1.5 outside \[0, 1\]/],
      [[ch({ hue: 0 }), ch({ luminance: true }), ch({ luminance: true }, { label: 'b' })], /At most one luminance channel/],
      [[ch({ luminance: true })], /At least one color channel/],
      [[ch({ hue: 0 }, { label: 'a' }), ch({ hue: 120 }, { label: 'a' })], /Duplicate channel label 'a'/],
    ];
    for (const [channels, message] of cases) {
      const res = await post({ channels });
      assert.equal(res.statusCode, 422, res.body);
      assert.match(res.json().detail, message);
    }
    const missing = await post({ channels: [ch({ hue: 0 }, { file_paths: ['c/none.fits'] })] });
    assert.equal(missing.statusCode, 404);
  });

  it('reports unknown stretch names as zscale fallbacks and renders JPEG', async () => {
    const res = await post({ channels: [{ file_paths: ['c/red.fits'], color: { hue: 0 }, stretch: 'bogus', label: 'F200W' }, { file_paths: ['c/blue.fits'], color: { hue: 240 } }], output_format: 'jpeg', width: 50, height: 50 });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.headers['content-type'], 'image/jpeg');
    assert.equal(res.headers['x-composite-stretch-fallbacks'], 'F200W:bogus->zscale');
    const img = await pixels(res.rawPayload);
    assert.deepEqual([img.width, img.height], [50, 50]);
  });

  it('blends a luminance channel (weight 0 leaves the colour as it was)', async () => {
    const base = rgbPayload();
    const plain = await pixels((await post(base)).rawPayload);
    const lum0 = await post({ ...base, channels: [...base.channels, { file_paths: ['c/green.fits'], color: { luminance: true }, weight: 0, stretch: 'linear' }] });
    assert.equal(lum0.statusCode, 200, lum0.body);
    const same = await pixels(lum0.rawPayload);
    let worst = 0;
    for (let i = 0; i < same.data.length; i++) worst = Math.max(worst, Math.abs(same.data[i]! - plain.data[i]!));
    assert.ok(worst <= 1, `weight 0 changed the picture by ${worst}`);
    const lum1 = await pixels((await post({ ...base, channels: [...base.channels, { file_paths: ['c/green.fits'], color: { luminance: true }, weight: 1, stretch: 'linear' }] })).rawPayload);
    assert.notDeepEqual(lum1.data, plain.data);
  });

  it('applies sharpening, saturation and hue shift only when asked', async () => {
    const plain = await pixels((await post(rgbPayload())).rawPayload);
    const neutral = await pixels((await post(rgbPayload({ sharpening: { amount: 0 }, saturation: { saturation: 1 } }))).rawPayload);
    assert.deepEqual(neutral.data, plain.data);
    const grey = await pixels((await post(rgbPayload({ saturation: { saturation: 0 } }))).rawPayload);
    for (let i = 0; i < grey.data.length; i += 3) assert.ok(Math.abs(grey.data[i]! - grey.data[i + 1]!) <= 1 && Math.abs(grey.data[i]! - grey.data[i + 2]!) <= 1);
    const sharp2 = await pixels((await post(rgbPayload({ sharpening: { amount: 2, radius: 2 } }))).rawPayload);
    assert.notDeepEqual(sharp2.data, plain.data);
  });

  it('streams NDJSON progress events in stage order, then the image', async () => {
    const res = await post({ channels: scene.files.map((f) => ({ file_paths: [f.path], color: { hue: f.filter.hue }, label: f.filter.filter })), width: 120, height: 100 }, '/composite/generate-nchannel-stream');
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /application\/x-ndjson/);
    const events = res.body.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const stages = events.filter((e) => e.event === 'progress').map((e) => e.stage);
    const order = ['reproject', 'background_neutralize', 'stretch', 'combine', 'encode'];
    assert.deepEqual([...new Set(stages)], order);
    const firstReproject = events.find((e) => e.stage === 'reproject')!;
    assert.deepEqual([firstReproject.filter, firstReproject.index, firstReproject.total], ['F090W', 1, 3]);
    const done = events.at(-1)!;
    assert.equal(done.event, 'complete');
    assert.equal(done.content_type, 'image/png');
    const headers = done.headers as Record<string, string>;
    const image = Buffer.from(done.image_b64 as string, 'base64');
    assert.equal(headers['content-length'], String(image.length));
    assert.ok(headers['x-quality-score']);
    const img = await pixels(image);
    assert.deepEqual([img.width, img.height], [120, 100]);
  });

  it('streams errors as an error event', async () => {
    const res = await post({ channels: [{ file_paths: ['c/none.fits'], color: { hue: 0 } }] }, '/composite/generate-nchannel-stream');
    assert.equal(res.statusCode, 200);
    const events = res.body.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(events.map((e) => e.event), ['error']);
    assert.equal(events[0]!.status_code, 404);
    const invalid = await post({ channels: [] }, '/composite/generate-nchannel-stream');
    assert.equal(invalid.statusCode, 422);
  });

  it('estimates the grid: ok for a small request', async () => {
    const res = await post({ channels: scene.files.map((f) => ({ file_paths: [f.path], color: { hue: f.filter.hue } })), width: 200, height: 200 }, '/composite/estimate');
    assert.equal(res.statusCode, 200, res.body);
    const e = res.json();
    assert.equal(e.status, 'ok');
    assert.deepEqual(e.output_shape, e.original_shape);
    assert.ok(e.original_shape[0] <= 200 && e.original_shape[1] <= 200);
    assert.equal(e.side_factor, 1);
    assert.equal(e.detail, '');
    assert.equal(e.memory_limit_mb, 3000);
    assert.equal(e.fail_threshold, 0.85);
  });

  it('analyses channels: histogram, statistics and auto-stretch suggestions', async () => {
    const res = await post({ channels: scene.files.map((f) => ({ file_paths: [f.path], color: { hue: f.filter.hue }, label: f.filter.filter })) }, '/composite/analyze-channels');
    assert.equal(res.statusCode, 200, res.body);
    const { channels } = res.json() as { channels: Array<Record<string, any>> };
    assert.deepEqual(channels.map((c) => c.label), ['F090W', 'F187N', 'F444W']);
    for (const c of channels) {
      assert.equal(c.histogram.n_bins, 100);
      assert.equal(c.histogram.counts.length, 100);
      assert.equal(c.histogram.bin_edges.length, 101);
      assert.equal(c.params.stretch, 'asinh');
      assert.ok(c.params.gamma >= 0.6 && c.params.gamma <= 5);
      assert.ok(c.meta.valid_pixels > 100);
      assert.ok(c.stats.max > c.stats.min);
    }
  });
});

describe('composite memory budget', () => {
  let engine: TestEngine;
  before(async () => {
    // 100 MB leaves 100e6 / 48 bytes per pixel (2 channels) ~ 2 M grid pixels
    engine = await startTestEngine({ MAX_COMPOSITE_MEMORY_BYTES: '100000000' });
    const base = { ra: 150.1, dec: 2.2, width: 2000, height: 2000, scale: 1e-5 };
    await writeTile(engine.dataDir, { ...base, name: 'big/a.fits', value: (x, y) => x + y });
    await writeTile(engine.dataDir, { ...base, name: 'big/b.fits', value: (x, y) => x - y });
  });
  after(async () => engine.dispose());

  const body = (extra: Record<string, unknown> = {}) => ({
    channels: [{ file_paths: ['big/a.fits'], color: { hue: 0 } }, { file_paths: ['big/b.fits'], color: { hue: 200 } }],
    width: 2000, height: 2000, ...extra,
  });

  it('estimate says fail, generate answers 413 unless a forced downscale is allowed', async () => {
    const est = (await engine.app.inject({ method: 'POST', url: '/composite/estimate', payload: body() })).json();
    assert.equal(est.status, 'fail');
    assert.deepEqual(est.original_shape, [2000, 2000]);
    assert.ok(est.side_factor < 0.85);
    assert.match(est.detail, /MAX_COMPOSITE_MEMORY_BYTES/);
    const refused = await engine.app.inject({ method: 'POST', url: '/composite/generate-nchannel', payload: body() });
    assert.equal(refused.statusCode, 413);
    assert.match(refused.json().detail, /Composite output would shrink to/);
    const forced = await engine.app.inject({ method: 'POST', url: '/composite/generate-nchannel', payload: body({ allow_force_downscale: true, width: 300, height: 300 }) });
    // a 300 px canvas needs no more than 300 x 300 grid pixels: the grid is sized from the output
    assert.equal(forced.statusCode, 200, forced.body);
    assert.equal(forced.headers['x-composite-budget-status'], 'ok');
    const big = await engine.app.inject({ method: 'POST', url: '/composite/generate-nchannel', payload: body({ allow_force_downscale: true, width: 1600, height: 1600, embed_avm: false }) });
    assert.equal(big.statusCode, 200, big.body);
    assert.equal(big.headers['x-composite-budget-status'], 'forced');
    assert.equal(big.headers['x-composite-was-downscaled'], 'true');
    assert.equal(big.headers['x-composite-original-shape'], '1600,1600');
    const img = await sharp(big.rawPayload).metadata();
    assert.deepEqual([img.width, img.height], [1600, 1600]);
  });
});

describe('composite render gate', () => {
  let engine: TestEngine;
  before(async () => {
    engine = await startTestEngine({ MAX_CONCURRENT_RENDERS: '1', RENDER_QUEUE_DEPTH: '0', RENDER_QUEUE_WAIT_SECONDS: '7' });
    await writeNebulaScene(engine.dataDir, 'n', undefined, 0.3);
  });
  after(async () => engine.dispose());

  it('answers 429 with Retry-After (an NDJSON error event with retry_after) when the renderer is full', async () => {
    const payload = { channels: [0, 1, 2].map((i) => ({ file_paths: [`n/jw02733-o001_t001_nircam_clear-${['f090w', 'f187n', 'f444w'][i]}_i2d.fits`], color: { hue: [240, 120, 0][i] } })), width: 200, height: 200 };
    // Two requests at once while the gate has one slot and no queue: whichever takes the slot first
    // renders, the other is refused (which one wins depends on how fast each reads its inputs).
    const busy = { detail: 'The image renderer is at capacity. Please retry in a few seconds.', status_code: 429, retry_after: 7 };
    for (let round = 0; round < 2; round += 1) {
      const [plain, stream] = await Promise.all([
        engine.app.inject({ method: 'POST', url: '/composite/generate-nchannel', payload }),
        engine.app.inject({ method: 'POST', url: '/composite/generate-nchannel-stream', payload }),
      ]);
      const last = stream.body.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).at(-1)!;
      const plainWon = plain.statusCode === 200;
      assert.equal(plainWon, last.event !== 'complete', `exactly one renders: ${plain.statusCode} / ${JSON.stringify(last)}`);
      if (plainWon) {
        assert.deepEqual(last, { event: 'error', ...busy });
      } else {
        assert.equal(plain.statusCode, 429, plain.body);
        assert.equal(plain.headers['retry-after'], '7');
        assert.equal(JSON.parse(plain.body).detail, busy.detail);
      }
    }
  });
});
