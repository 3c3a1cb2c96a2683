import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { copyCorpus, writeCube, writeRamp } from './viewer-files.js';

function colorType(png: Buffer): number {
  assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
  return png[25]!;
}

async function size(image: Buffer): Promise<[number, number]> {
  const m = await sharp(image).metadata();
  return [m.width!, m.height!];
}

describe('viewer API', () => {
  let engine: TestEngine;
  let miri: string; // 64x64 SCI with 732 NaNs
  before(async () => {
    engine = await startTestEngine();
    miri = await copyCorpus(engine.dataDir, 'snoww3d-jwst_miri_small.fits', 'miri.fits');
    await writeRamp(engine.dataDir, 'wide.fits', 200, 100, [0, 20, 0, 10]);
    await writeRamp(engine.dataDir, 'clean.fits', 120, 80);
    await writeCube(engine.dataDir, 'cube.fits', 40, 30, 5);
  });
  after(async () => {
    await engine.dispose();
  });
  const get = (url: string, headers: Record<string, string> = {}) => engine.app.inject({ method: 'GET', url, headers });

  describe('GET /preview/{data_id}', () => {
    it('defaults: PNG fitting 1000x1000, grey with alpha because the image has NaN, cube headers', async () => {
      const res = await get(`/preview/abc?file_path=${miri}`);
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['content-type'], 'image/png');
      assert.equal(res.headers['x-cube-slices'], '1');
      assert.equal(res.headers['x-cube-current'], '0');
      assert.deepEqual(await size(res.rawPayload), [1000, 1000]);
      assert.equal(colorType(res.rawPayload), 4);
    });

    it('output fits the requested box exactly, aspect kept', async () => {
      const cases: Array<[string, [number, number]]> = [
        ['width=1000&height=1000', [1000, 500]],
        ['width=300&height=300', [300, 150]],
        ['width=1000&height=200', [400, 200]],
        ['width=10&height=10', [10, 5]],
        ['width=8000&height=10', [20, 10]],
      ];
      for (const [q, want] of cases) {
        const res = await get(`/preview/x?file_path=wide.fits&${q}`);
        assert.equal(res.statusCode, 200, q);
        assert.deepEqual(await size(res.rawPayload), want, q);
      }
    });

    it('PNG colour type: 0 grey without NaN, 2 colour map without NaN, 6 colour map with NaN', async () => {
      assert.equal(colorType((await get('/preview/x?file_path=clean.fits')).rawPayload), 0);
      assert.equal(colorType((await get('/preview/x?file_path=clean.fits&cmap=viridis')).rawPayload), 2);
      assert.equal(colorType((await get(`/preview/x?file_path=${miri}&cmap=inferno`)).rawPayload), 6);
    });

    it('NaN pixels are transparent (and FITS row 1 is the bottom row); nan_color paints them', async () => {
      // wide.fits: NaN in x < 20, y < 10 (bottom-left); at 400x200 each data pixel is 2x2.
      const res = await get('/preview/x?file_path=wide.fits&width=400&height=400');
      const { data, info } = await sharp(res.rawPayload).raw().toBuffer({ resolveWithObject: true });
      assert.deepEqual([info.width, info.height], [400, 200]);
      const alphaAt = (x: number, y: number) => data[(y * info.width + x) * info.channels + info.channels - 1];
      assert.equal(alphaAt(5, 199), 0, 'bottom-left is NaN, transparent');
      assert.equal(alphaAt(5, 0), 255, 'top-left is data');
      assert.equal(alphaAt(300, 199), 255);
      const red = await get('/preview/x?file_path=wide.fits&width=400&height=400&nan_color=%23ff0000');
      assert.equal(colorType(red.rawPayload), 2);
      const px = await sharp(red.rawPayload).raw().toBuffer({ resolveWithObject: true });
      const p = (199 * 400 + 5) * px.info.channels;
      assert.deepEqual([px.data[p], px.data[p + 1], px.data[p + 2]], [255, 0, 0]);
    });

    it('JPEG with quality and WebP', async () => {
      const hi = await get(`/preview/x?file_path=${miri}&format=jpeg&quality=95&width=400&height=400`);
      const lo = await get(`/preview/x?file_path=${miri}&format=jpeg&quality=10&width=400&height=400`);
      assert.equal(hi.headers['content-type'], 'image/jpeg');
      assert.ok(lo.rawPayload.length < hi.rawPayload.length);
      assert.deepEqual(await size(hi.rawPayload), [400, 400]);
      const webp = await get(`/preview/x?file_path=${miri}&format=webp`);
      assert.equal(webp.headers['content-type'], 'image/webp');
    });

    it('embed_avm writes AVM XMP with the spatial fields of the image as written (PNG and JPEG)', async () => {
      const meta = encodeURIComponent(JSON.stringify({ target_name: 'NGC 3132', instrument: 'MIRI', facility: 'JWST' }));
      for (const format of ['png', 'jpeg']) {
        const res = await get(`/preview/x?file_path=${miri}&width=200&height=200&format=${format}&embed_avm=true&avm_metadata=${meta}`);
        assert.equal(res.statusCode, 200);
        assert.equal(res.headers['x-avm-embedded'], 'true');
        const text = res.rawPayload.toString('latin1');
        assert.match(text, /Spatial\.ReferenceDimension/);
        assert.match(text, /NGC 3132/);
        assert.match(text, /-0\.00000977792/, 'scale of the 200 px image: CDELT x 64/200');
      }
      const plain = await get(`/preview/x?file_path=${miri}&width=200&height=200`);
      assert.equal(plain.headers['x-avm-embedded'], undefined);
      assert.doesNotMatch(plain.rawPayload.toString('latin1'), /Spatial\./);
    });

    it('cube slicing: -1 is the middle, indices are clamped, each slice is its own plane', async () => {
      const mid = await get('/preview/x?file_path=cube.fits&stretch=linear&width=40&height=40');
      assert.equal(mid.headers['x-cube-slices'], '5');
      assert.equal(mid.headers['x-cube-current'], '2');
      assert.equal((await get('/preview/x?file_path=cube.fits&slice_index=4')).headers['x-cube-current'], '4');
      assert.equal((await get('/preview/x?file_path=cube.fits&slice_index=99')).headers['x-cube-current'], '4');
      assert.equal((await get('/preview/x?file_path=cube.fits&slice_index=0')).headers['x-cube-current'], '0');
      // The histogram reports the slice's own values: slice k spans [10k, 10k + 1).
      const h = (await get('/histogram/x?file_path=cube.fits&slice_index=3&stretch=linear')).json();
      assert.equal(h.cube_info.current_slice, 3);
      assert.equal(h.raw_histogram.counts.reduce((a: number, b: number) => a + b, 0), 40 * 30);
      const px = (await get('/pixeldata/x?file_path=cube.fits&slice_index=3')).json();
      const values = new Float32Array(Buffer.from(px.pixels, 'base64').buffer.slice(0));
      assert.ok(values.every((v) => v >= 30 && v < 31));
    });

    it('every validation message (400) in the upstream order', async () => {
      const cases: Array<[string, string]> = [
        ['width=5', 'Width must be between 10 and 8000 pixels'],
        ['height=9000', 'Height must be between 10 and 8000 pixels'],
        ['gamma=0', 'Gamma must be between 0.1 and 5.0'],
        ['quality=101', 'Quality must be between 1 and 100'],
        ['format=gif', "Format must be 'png', 'jpeg' or 'webp'"],
        ['black_point=-1', 'Black point must be between 0.0 and 1.0'],
        ['white_point=2', 'White point must be between 0.0 and 1.0'],
        ['black_point=0.6&white_point=0.4', 'Black point must be less than white point'],
        ['asinh_a=2', 'Asinh softening parameter must be between 0.001 and 1.0'],
        ['slice_index=-5', 'Slice index must be -1 or greater'],
        ['stretch=bogus', "Invalid stretch 'bogus'. Valid options: asinh, histeq, linear, log, power, sqrt, zscale"],
        ['nan_color=zz', "Invalid nan_color 'zz'. Use 'transparent', '#rrggbb', '#rrggbbaa' or 'r,g,b[,a]'"],
      ];
      for (const [q, msg] of cases) {
        const res = await get(`/preview/x?file_path=${miri}&${q}`);
        assert.equal(res.statusCode, 400, q);
        assert.deepEqual(res.json(), { detail: msg }, q);
      }
      const cmap = await get(`/preview/x?file_path=${miri}&cmap=nope&stretch=nope`);
      assert.equal(cmap.statusCode, 400);
      assert.match(cmap.json().detail, /^Invalid colormap 'nope'\. Valid options: .*grayscale.*viridis/);
    });

    it('type errors and a missing file_path are 422; sandbox errors 403/404; non-FITS 400', async () => {
      const bad = await get(`/preview/x?file_path=${miri}&width=wide`);
      assert.equal(bad.statusCode, 422);
      assert.deepEqual(bad.json().detail[0].loc, ['querystring', 'width']);
      const missing = await get('/preview/x');
      assert.equal(missing.statusCode, 422);
      assert.deepEqual((await get('/preview/x?file_path=../etc/passwd')).json(), { detail: 'Access denied: invalid path' });
      assert.deepEqual((await get('/preview/x?file_path=none.fits')).json(), { detail: 'File not found: none.fits' });
      const { writeFile } = await import('node:fs/promises');
      await writeFile(`${engine.dataDir}/text.fits`, 'not a fits file at all');
      assert.equal((await get('/preview/x?file_path=text.fits')).statusCode, 400);
      const tableOnly = await copyCorpus(engine.dataDir, 'astropy-tb.fits', 'tb.fits');
      assert.deepEqual((await get(`/preview/x?file_path=${tableOnly}`)).json(), { detail: 'No image data found in FITS file' });
    });

    it('ETag: a repeated request with If-None-Match is 304; other parameters give another ETag', async () => {
      const first = await get(`/preview/x?file_path=${miri}&width=200&height=200`);
      const etag = first.headers.etag as string;
      assert.ok(etag);
      const again = await get(`/preview/x?file_path=${miri}&width=200&height=200`, { 'if-none-match': etag });
      assert.equal(again.statusCode, 304);
      assert.equal(again.rawPayload.length, 0);
      assert.equal(again.headers['x-cube-slices'], '1');
      const other = await get(`/preview/x?file_path=${miri}&width=201&height=200`, { 'if-none-match': etag });
      assert.equal(other.statusCode, 200);
      assert.notEqual(other.headers.etag, etag);
      // served from the render cache: identical bytes
      const cached = await get(`/preview/x?file_path=${miri}&width=200&height=200`);
      assert.deepEqual(cached.rawPayload, first.rawPayload);
    });
  });

  it('histogram, pixeldata, cubeinfo and /fits/info also answer 304 to a matching If-None-Match', async () => {
    for (const url of [`/histogram/x?file_path=${miri}`, `/pixeldata/x?file_path=${miri}`, `/cubeinfo/x?file_path=cube.fits`, `/fits/info?file_path=${miri}`]) {
      const first = await get(url);
      assert.equal(first.statusCode, 200, url);
      const etag = first.headers.etag as string;
      assert.ok(etag, url);
      assert.equal((await get(url, { 'if-none-match': etag })).statusCode, 304, url);
      assert.equal((await get(url, { 'if-none-match': '"other"' })).statusCode, 200, url);
    }
  });

  it('identical concurrent previews are rendered once and get identical bytes', async () => {
    const url = `/preview/x?file_path=${miri}&width=333&height=333&cmap=magma`;
    const [a, b, c] = await Promise.all([get(url), get(url), get(url)]);
    assert.deepEqual(a.rawPayload, b.rawPayload);
    assert.deepEqual(a.rawPayload, c.rawPayload);
    assert.equal(a.headers.etag, c.headers.etag);
  });

  describe('POST /thumbnail', () => {
    it('a 256 px PNG on the longer side, grey, as base64', async () => {
      for (const [file, want] of [[miri, [256, 256]], ['wide.fits', [256, 128]], ['cube.fits', [256, 192]]] as const) {
        const res = await engine.app.inject({ method: 'POST', url: '/thumbnail', payload: { file_path: file } });
        assert.equal(res.statusCode, 200);
        const png = Buffer.from(res.json().thumbnail_base64, 'base64');
        assert.deepEqual(await size(png), want);
        assert.ok([0, 4].includes(colorType(png)));
      }
    });
    it('422 without file_path, 404 for a missing file', async () => {
      assert.equal((await engine.app.inject({ method: 'POST', url: '/thumbnail', payload: {} })).statusCode, 422);
      assert.equal((await engine.app.inject({ method: 'POST', url: '/thumbnail', payload: { file_path: 'x.fits' } })).statusCode, 404);
    });
  });

  describe('GET /histogram/{data_id}', () => {
    it('the contract shape with p_* keys, NaN excluded, current_slice 0 for 2-D, applied stretch reported', async () => {
      const res = await get(`/histogram/h1?file_path=${miri}&bins=32`);
      assert.equal(res.statusCode, 200);
      const body = res.json();
      assert.equal(body.data_id, 'h1');
      assert.deepEqual(Object.keys(body.percentiles), ['p_0_5', 'p_1', 'p_5', 'p_25', 'p_50', 'p_75', 'p_95', 'p_99', 'p_99_5']);
      assert.deepEqual(Object.keys(body.histogram).sort(), ['bin_centers', 'bin_edges', 'counts', 'n_bins']);
      assert.equal(body.histogram.n_bins, 32);
      assert.equal(body.histogram.counts.length, 32);
      assert.equal(body.histogram.bin_edges.length, 33);
      const finite = 64 * 64 - 732;
      assert.equal(body.histogram.counts.reduce((a: number, b: number) => a + b, 0), finite);
      assert.equal(body.raw_histogram.counts.reduce((a: number, b: number) => a + b, 0), finite);
      assert.deepEqual(body.cube_info, { n_slices: 1, current_slice: 0 });
      assert.equal(body.stretch.stretch, 'zscale');
      assert.ok(Math.abs(body.stretch.vmin - 0.20596113801002502) < 1e-9);
      assert.ok(Math.abs(body.stretch.vmax - 1.1092027184899074) < 1e-9);
      assert.ok(body.percentiles.p_99 <= body.percentiles.p_99_5);
      for (const k of ['min', 'max', 'mean', 'std']) assert.equal(typeof body.stats[k], 'number');
    });

    it('values equal the astropy/numpy fixture (percentiles, stats)', async () => {
      const { reference } = await import('../imaging/reference.js');
      const c = reference.cases.find((x) => x.name === 'snoww3d-jwst_miri_small.fits')!;
      for (const d of c.displays) {
        const q = new URLSearchParams({ file_path: miri, bins: '64', stretch: d.config.stretch });
        for (const k of ['gamma', 'black_point', 'white_point', 'asinh_a'] as const) if (d.config[k] !== undefined) q.set(k, String(d.config[k]));
        const body = (await get(`/histogram/x?${q}`)).json();
        for (const [k, v] of Object.entries(d.percentiles)) assert.ok(Math.abs(body.percentiles[k] - v) <= 1e-9 * Math.max(1, Math.abs(v)), `${q} ${k}`);
        for (const k of ['min', 'max', 'mean', 'std'] as const) assert.ok(Math.abs(body.stats[k] - d.stats[k]) <= 1e-9, `${q} ${k}`);
        const moved = body.histogram.counts.reduce((acc: number, n: number, i: number) => acc + Math.abs(n - d.histogram.counts[i]!), 0);
        assert.ok(moved <= 2, `${q} histogram`);
      }
    });

    it('validation messages', async () => {
      const cases: Array<[string, string]> = [
        ['bins=5', 'Bins must be between 10 and 10000'],
        ['gamma=9', 'Gamma must be between 0.1 and 5.0'],
        ['stretch=x', "Invalid stretch 'x'. Must be one of: asinh, histeq, linear, log, power, sqrt, zscale"],
        ['black_point=2', 'Black point must be between 0.0 and 1.0'],
        ['white_point=-1', 'White point must be between 0.0 and 1.0'],
        ['black_point=0.5&white_point=0.5', 'Black point must be less than white point'],
        ['asinh_a=0', 'Asinh softening parameter must be between 0.001 and 1.0'],
        ['slice_index=-2', 'Slice index must be -1 or greater'],
      ];
      for (const [q, msg] of cases) assert.deepEqual((await get(`/histogram/x?file_path=${miri}&${q}`)).json(), { detail: msg }, q);
    });
  });

  describe('GET /pixeldata/{data_id}', () => {
    it('contract shape, float32 little-endian base64, NaN kept, CD from PC+CDELT', async () => {
      const body = (await get('/pixeldata/p?file_path=cube.fits&max_size=100')).json();
      assert.deepEqual(body.original_shape, [30, 40]);
      assert.deepEqual(body.preview_shape, [30, 40]);
      assert.equal(body.scale_factor, 1);
      assert.equal(body.units, 'MJy/sr');
      assert.deepEqual([body.wcs.cd1_1, body.wcs.cd1_2, body.wcs.cd2_1, body.wcs.cd2_2], [0, 1e-4, 1e-4, 0]);
      assert.equal(Buffer.from(body.pixels, 'base64').length, 40 * 30 * 4);
      const m = (await get(`/pixeldata/p?file_path=${miri}`)).json();
      const px = new Float32Array(Buffer.from(m.pixels, 'base64').buffer.slice(0));
      assert.equal(px.filter((v) => Number.isNaN(v)).length, 732);
    });

    it('reduces by area averaging so the longer side is max_size', async () => {
      const body = (await get('/pixeldata/p?file_path=wide.fits&max_size=100')).json();
      assert.deepEqual(body.preview_shape, [50, 100]);
      assert.equal(body.scale_factor, 2);
      const px = new Float32Array(Buffer.from(body.pixels, 'base64').buffer.slice(0));
      // output (x=30, y=20) averages data x 60..61, y 40..41: mean of x + 1000 y
      assert.equal(px[20 * 100 + 30], 60.5 + 1000 * 40.5);
      assert.ok(Number.isNaN(px[0]!), 'the NaN block stays no-data');
    });

    it('Accept: application/octet-stream returns the raw float32 buffer with its shape in headers', async () => {
      const res = await get('/pixeldata/p?file_path=wide.fits&max_size=100', { accept: 'application/octet-stream' });
      assert.equal(res.headers['content-type'], 'application/octet-stream');
      assert.equal(res.headers['x-image-width'], '100');
      assert.equal(res.headers['x-image-height'], '50');
      assert.equal(res.headers['x-original-width'], '200');
      assert.equal(res.rawPayload.length, 100 * 50 * 4);
    });

    it('validation messages', async () => {
      assert.deepEqual((await get(`/pixeldata/p?file_path=${miri}&max_size=50`)).json(), { detail: 'Max size must be between 100 and 8000' });
      assert.deepEqual((await get(`/pixeldata/p?file_path=${miri}&slice_index=-3`)).json(), { detail: 'Slice index must be -1 or greater' });
    });
  });

  describe('GET /colormaps', () => {
    it('lists names (contract ones first-class), stretches and formats; one map gives 256 colours', async () => {
      const body = (await get('/colormaps')).json();
      assert.equal(body.default, 'grayscale');
      assert.deepEqual(body.contract, ['grayscale', 'gray', 'inferno', 'magma', 'viridis', 'plasma', 'hot', 'cool', 'rainbow', 'jet']);
      assert.ok(body.colormaps.some((c: { name: string }) => c.name === 'cividis'));
      assert.deepEqual(body.formats, ['png', 'jpeg', 'webp']);
      const viridis = (await get('/colormaps/viridis')).json();
      assert.equal(viridis.colors.length, 256);
      assert.equal(viridis.colors[0], '#440154');
      assert.equal(viridis.colors[255], '#fde724');
      assert.equal((await get('/colormaps/nope')).statusCode, 404);
      assert.equal((await get('/colormaps?colors=true')).json().colormaps[0].colors.length, 256);
    });
  });

  describe('GET /cubeinfo/{data_id}', () => {
    it('cube and non-cube answers', async () => {
      assert.deepEqual((await get('/cubeinfo/c?file_path=cube.fits')).json(), {
        data_id: 'c', is_cube: true, n_slices: 5, slice_unit: 'um', slice_label: 'Wavelength',
        axis3: { crval3: 4.9, cdelt3: 0.001, crpix3: 1, cunit3: 'um', ctype3: 'WAVE' },
      });
      assert.deepEqual((await get(`/cubeinfo/c?file_path=${miri}`)).json(), {
        data_id: 'c', is_cube: false, n_slices: 1, axis3: null, slice_unit: '', slice_label: 'Frame',
      });
    });
  });
});
