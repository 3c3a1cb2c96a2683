/**
 * The tiled viewer's endpoints against the data: level-0 tiles are the pixels bit for bit, coarser
 * levels are the NaN-aware block means (the preview resampler's answer at an integer ratio), any
 * image HDU and cube slice, exact values with RA/Dec, statistics in data units, a cube pixel's
 * spectrum, and sky grid lines that pass through astropy's positions on a rotated SIP image.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeFits } from '../../src/fits/index.js';
import { AreaResampler } from '../../src/imaging/resample.js';
import { ZScaleInterval } from '../../src/imaging/intervals.js';
import { Wcs } from '../../src/wcs/index.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { writeCube } from './viewer-files.js';
import { mulberry32 as rng } from '../helpers/prng.js';

const W = 1100;
const H = 700;
const FIXTURE = JSON.parse(readFileSync(new URL('../fixtures/viewer/sip-rotated-lattice.json', import.meta.url), 'utf8')) as {
  width: number;
  height: number;
  cards: Array<{ keyword: string; value: string | number }>;
  ra_unit_deg: number;
  dec_unit_deg: number;
  points: Array<{ ra_s: number; dec_5as: number; x: number; y: number }>;
};


const WCS_CARDS = [
  { keyword: 'CTYPE1', value: 'RA---TAN' }, { keyword: 'CTYPE2', value: 'DEC--TAN' },
  { keyword: 'CRVAL1', value: 274.71 }, { keyword: 'CRVAL2', value: -13.81 },
  { keyword: 'CRPIX1', value: 550.5 }, { keyword: 'CRPIX2', value: 350.5 },
  { keyword: 'CDELT1', value: -8.7e-6 }, { keyword: 'CDELT2', value: 8.7e-6 },
  { keyword: 'PC1_1', value: 0.866 }, { keyword: 'PC1_2', value: 0.5 }, { keyword: 'PC2_1', value: -0.5 }, { keyword: 'PC2_2', value: 0.866 },
  { keyword: 'BUNIT', value: 'MJy/sr' },
];

describe('tiled viewer API', () => {
  let engine: TestEngine;
  const sci = new Float32Array(W * H);
  const err = new Float32Array(W * H);
  const dq = new Int32Array(W * H);
  before(async () => {
    engine = await startTestEngine();
    const r = rng(7);
    for (let i = 0; i < sci.length; i++) {
      sci[i] = r() < 0.01 ? NaN : (r() - 0.3) * 10 + (i % 977) * 1e-3;
      err[i] = r();
      dq[i] = r() < 0.05 ? 1 << Math.floor(r() * 30) : 0;
    }
    sci[(H - 3) * W + 5] = 5000; // one bright pixel
    for (let y = 100; y < 140; y++) for (let x = 200; x < 260; x++) sci[y * W + x] = NaN; // a hole wider than a level-2 block
    await writeFile(join(engine.dataDir, 'jw_i2d.fits'), await encodeFits([
      { axes: [] },
      { axes: [W, H], data: sci, extname: 'SCI', cards: WCS_CARDS },
      { axes: [W, H], data: err, extname: 'ERR', cards: WCS_CARDS },
      { axes: [W, H], data: dq, bitpix: 32, extname: 'DQ' },
      { axes: [16], data: new Float32Array(16), extname: 'VECTOR' },
    ]));
    await writeCube(engine.dataDir, 'cube.fits', 40, 30, 7);
    await writeFile(join(engine.dataDir, 'sip.fits'), await encodeFits([{ axes: [FIXTURE.width, FIXTURE.height], data: new Float32Array(FIXTURE.width * FIXTURE.height), cards: FIXTURE.cards }]));
  });
  after(async () => engine.dispose());
  const get = (url: string, headers: Record<string, string> = {}) => engine.app.inject({ url, headers });

  async function tile(query: string): Promise<{ values: Float32Array; headers: Record<string, string> }> {
    const res = await get(`/viewer/tile?${query}`);
    assert.equal(res.statusCode, 200, res.body);
    const buf = res.rawPayload;
    const values = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    return { values, headers: res.headers as Record<string, string> };
  }

  it('GET /viewer/region-file gives a .reg file as text, refusing other files, large ones and paths outside DATA_DIR', async () => {
    const reg = '# Region file format: DS9 version 4.1\nimage\ncircle(10,20,3)\n';
    await writeFile(join(engine.dataDir, 'stars.reg'), reg);
    const ok = await get('/viewer/region-file?file_path=stars.reg');
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal(ok.body, reg);
    assert.match(String(ok.headers['content-type']), /^text\/plain/);
    assert.equal((await get('/viewer/region-file?file_path=stars.reg', { 'if-none-match': String(ok.headers.etag) })).statusCode, 304);
    const fits = await get('/viewer/region-file?file_path=jw_i2d.fits');
    assert.equal(fits.statusCode, 400);
    assert.match(fits.json().detail, /\.reg or \.txt/);
    await writeFile(join(engine.dataDir, 'big.reg'), Buffer.alloc(1024 * 1024 + 1, 0x20));
    assert.equal((await get('/viewer/region-file?file_path=big.reg')).statusCode, 413);
    assert.equal((await get('/viewer/region-file?file_path=../etc/passwd.reg')).statusCode, 403);
    assert.equal((await get('/viewer/region-file?file_path=missing.reg')).statusCode, 404);
  });

  it('GET /viewer/image lists the image HDUs and lays out levels, units, compass and scale', async () => {
    const info = (await get('/viewer/image?file_path=jw_i2d.fits')).json();
    assert.deepEqual(info.hdus.map((h: { name: string }) => h.name), ['SCI', 'ERR', 'DQ']);
    assert.equal(info.hdu.name, 'SCI');
    assert.deepEqual([info.hdu.width, info.hdu.height, info.hdu.bunit, info.hdu.exact_tiles], [W, H, 'MJy/sr', true]);
    assert.equal(info.tile_size, 512);
    assert.equal(info.levels, 3); // 1100 -> 550 -> 275 fits one tile
    assert.equal(info.frame, 'icrs');
    const o = info.orientation;
    assert.ok(Math.abs(o.pixel_scale_arcsec[0] - 8.7e-6 * 3600) < 1e-4);
    // PC rotates by 30 degrees: North is the +y axis turned by -30 degrees... check orthogonality and handedness.
    assert.ok(Math.abs(o.north[0] * o.east[0] + o.north[1] * o.east[1]) < 1e-3);
    assert.ok(o.north[0] * o.east[1] - o.north[1] * o.east[0] > 0.99, 'East is counter-clockwise from North (sky seen from inside)');
    const dq = (await get('/viewer/image?file_path=jw_i2d.fits&hdu=dq')).json();
    assert.deepEqual([dq.hdu.index, dq.hdu.bit_flags, dq.hdu.exact_tiles, dq.frame], [3, true, false, null]);
    const bad = await get('/viewer/image?file_path=jw_i2d.fits&hdu=VECTOR');
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json().detail, /not an image/);
  });

  it('level-0 tiles are the data bit for bit (NaN kept), with the layout in headers and ETags', async () => {
    for (const [tx, ty] of [[0, 0], [2, 1], [1, 0]] as const) {
      const { values, headers } = await tile(`file_path=jw_i2d.fits&level=0&x=${tx}&y=${ty}`);
      const w = Number(headers['x-tile-width']);
      const h = Number(headers['x-tile-height']);
      assert.deepEqual([w, h], [Math.min(512, W - tx * 512), Math.min(512, H - ty * 512)]);
      assert.equal(headers['x-exact-values'], 'true');
      assert.equal(headers['x-units'], 'MJy/sr');
      for (let r = 0; r < h; r++) {
        for (let c = 0; c < w; c++) {
          const want = sci[(ty * 512 + r) * W + tx * 512 + c]!;
          const got = values[r * w + c]!;
          if (!Object.is(got, want)) assert.fail(`tile (${tx},${ty}) pixel (${c},${r}): ${got} != ${want}`);
        }
      }
    }
    const first = await get('/viewer/tile?file_path=jw_i2d.fits&level=0&x=0&y=1');
    const again = await get('/viewer/tile?file_path=jw_i2d.fits&level=0&x=0&y=1', { 'if-none-match': String(first.headers.etag) });
    assert.equal(again.statusCode, 304);
    assert.equal(again.headers['x-tile-width'], '512');
  });

  it('coarser levels are NaN-aware block means, equal to the preview resampler at an integer ratio', async () => {
    const { values, headers } = await tile('file_path=jw_i2d.fits&level=2&x=0&y=0');
    const [w, h] = [Number(headers['x-tile-width']), Number(headers['x-tile-height'])];
    assert.deepEqual([w, h], [275, 175]);
    // Block means, computed here directly.
    for (const [bx, by] of [[0, 0], [60, 30], [274, 174], [1, 174], [55, 27]] as const) {
      let s = 0;
      let n = 0;
      for (let y = by * 4; y < by * 4 + 4; y++) for (let x = bx * 4; x < bx * 4 + 4; x++) {
        const v = sci[y * W + x]!;
        if (!Number.isNaN(v)) { s += v; n++; }
      }
      const want = n ? Math.fround(s / n) : NaN;
      assert.ok(Object.is(values[by * w + bx], want), `block (${bx},${by}): ${values[by * w + bx]} != ${want}`);
    }
    assert.ok(Number.isNaN(values[30 * w + 60]!), 'a block inside the NaN hole is no data, never 0');
    // 1100 x 700 is a multiple of 4: the preview's AreaResampler gives the same means.
    const resampler = new AreaResampler(W, H, w, h);
    resampler.pushRows(sci);
    const preview = resampler.finish().data;
    let worst = 0;
    for (let i = 0; i < preview.length; i++) {
      if (Number.isNaN(preview[i]!) !== Number.isNaN(values[i]!)) assert.fail(`NaN mismatch at ${i}`);
      if (!Number.isNaN(preview[i]!)) worst = Math.max(worst, Math.abs(preview[i]! - values[i]!) / Math.max(1, Math.abs(preview[i]!)));
    }
    assert.ok(worst < 1e-6, `largest relative difference ${worst}`);
  });

  it('any image HDU and any cube slice; bounded, checked fields', async () => {
    const { values, headers } = await tile('file_path=jw_i2d.fits&hdu=DQ&level=0&x=1&y=1');
    assert.equal(headers['x-exact-values'], 'false'); // int32 does not fit float32 exactly in general
    const w = Number(headers['x-tile-width']);
    for (let i = 0; i < 2000; i++) {
      const r = Math.floor(i / w);
      const c = i % w;
      assert.equal(values[i], Math.fround(dq[(512 + r) * W + 512 + c]!));
    }
    const slice = await tile('file_path=cube.fits&level=0&x=0&y=0&slice_index=5');
    assert.equal(slice.headers['x-cube-current'], '5');
    assert.equal(slice.headers['x-cube-slices'], '7');
    assert.equal(slice.values[41], Math.fround(50 + 1 / 40));
    const outside = await get('/viewer/tile?file_path=jw_i2d.fits&level=0&x=3&y=0');
    assert.equal(outside.statusCode, 400);
    assert.match(outside.json().detail, /outside level 0, which has 3x2 tiles/);
    assert.equal((await get('/viewer/tile?file_path=jw_i2d.fits&level=3&x=0&y=0')).statusCode, 400);
    assert.equal((await get('/viewer/tile?file_path=jw_i2d.fits&level=31&x=0&y=0')).statusCode, 422);
    assert.equal((await get(`/viewer/tile?file_path=jw_i2d.fits&hdu=${'A'.repeat(65)}&level=0&x=0&y=0`)).statusCode, 422);
    assert.equal((await get('/viewer/tile?file_path=../etc/passwd&level=0&x=0&y=0')).statusCode, 403);
  });

  it('GET /viewer/values gives the true values, BUNIT and RA/Dec of the engine WCS at random pixels', async () => {
    const r = rng(11);
    const pts: Array<[number, number]> = Array.from({ length: 20 }, () => [Math.floor(r() * W), Math.floor(r() * H)]);
    pts.push([5, H - 3], [210, 120], [-1, 4]);
    const res = await get(`/viewer/values?file_path=jw_i2d.fits&points=${encodeURIComponent(pts.map((p) => p.join(',')).join(';'))}`);
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.bunit, 'MJy/sr');
    assert.equal(body.frame, 'icrs');
    const wcs = Wcs.fromHeader(new Map(WCS_CARDS.map((c) => [c.keyword, c.value])) as never);
    body.values.forEach((v: { x: number; y: number; value: number | null; inside: boolean; world: [number, number] | null }, k: number) => {
      const [x, y] = pts[k]!;
      if (x < 0) {
        assert.equal(v.inside, false);
        assert.equal(v.value, null);
        return;
      }
      const want = sci[y * W + x]!;
      assert.equal(v.value, Number.isNaN(want) ? null : want, `pixel (${x}, ${y})`);
      const [lon, lat] = wcs.pixelToWorld([x, y]);
      assert.ok(Math.abs(v.world![0] - lon!) < 1e-9 && Math.abs(v.world![1] - lat!) < 1e-9);
    });
    assert.equal(body.values[20].value, 5000);
    assert.equal(body.values[21].value, null);
    assert.equal((await get('/viewer/values?file_path=jw_i2d.fits&points=1,2,3')).statusCode, 400);
    const many = Array.from({ length: 101 }, () => '1,1').join(';');
    assert.equal((await get(`/viewer/values?file_path=jw_i2d.fits&points=${many}`)).statusCode, 400);
  });

  it('GET /viewer/stats: min, max, percentiles, zscale and a histogram in data units', async () => {
    const body = (await get('/viewer/stats?file_path=jw_i2d.fits&hdu=ERR&bins=100')).json();
    const finite = Float64Array.from(err).sort();
    assert.equal(body.count, finite.length);
    assert.equal(body.min, finite[0]);
    assert.equal(body.max, finite[finite.length - 1]);
    const pct = (q: number) => {
      const v = (q / 100) * (finite.length - 1);
      const lo = Math.floor(v);
      return finite[lo]! + (finite[Math.min(lo + 1, finite.length - 1)]! - finite[lo]!) * (v - lo);
    };
    for (const q of [0.5, 50, 99.5]) assert.ok(Math.abs(body.percentiles[String(q)] - pct(q)) < 1e-12, `p${q}`);
    const z = new ZScaleInterval().getLimits(err);
    assert.deepEqual(body.zscale, [z.vmin, z.vmax]);
    assert.equal(body.histogram.counts.reduce((a: number, b: number) => a + b, 0) + body.histogram.below + body.histogram.above, finite.length);
    const sciStats = (await get('/viewer/stats?file_path=jw_i2d.fits')).json();
    assert.equal(sciStats.max, 5000);
    assert.ok(sciStats.histogram.hi < 5000, 'one bright pixel does not stretch the histogram range');
    assert.equal(sciStats.histogram.above, 1);
    assert.equal(sciStats.nan_count, sci.filter((v) => Number.isNaN(v)).length);
  });

  it('GET /viewer/spectrum gives a cube pixel through every slice; /viewer/image its wavelengths', async () => {
    const body = (await get('/viewer/spectrum?file_path=cube.fits&x=3&y=2')).json();
    assert.deepEqual(body.values, Array.from({ length: 7 }, (_, k) => Math.fround(k * 10 + 3 / 40)));
    const info = (await get('/viewer/image?file_path=cube.fits')).json();
    assert.equal(info.spectral.cunit, 'um');
    assert.ok(Math.abs(info.spectral.values[6] - 4.906) < 1e-12);
    assert.equal((await get('/viewer/spectrum?file_path=cube.fits&x=40&y=2')).statusCode, 400);
  });

  it('GET /viewer/grid traces RA/Dec lines through astropy positions on a rotated, SIP-distorted image', async () => {
    const body = (await get('/viewer/grid?file_path=sip.fits&lines=6')).json();
    assert.equal(body.frame, 'icrs');
    const ra = body.lines.filter((l: { axis: string }) => l.axis === 'lon');
    const dec = body.lines.filter((l: { axis: string }) => l.axis === 'lat');
    assert.ok(ra.length >= 3 && dec.length >= 3, `${ra.length} RA and ${dec.length} Dec lines`);
    const distance = (segments: number[][][], x: number, y: number) => {
      let best = Infinity;
      for (const seg of segments) {
        for (let k = 1; k < seg.length; k++) {
          const [ax, ay] = seg[k - 1]!;
          const [bx, by] = seg[k]!;
          const dx = bx! - ax!;
          const dy = by! - ay!;
          const t = Math.max(0, Math.min(1, ((x - ax!) * dx + (y - ay!) * dy) / (dx * dx + dy * dy)));
          best = Math.min(best, Math.hypot(ax! + t * dx - x, ay! + t * dy - y));
        }
      }
      return best;
    };
    let checked = 0;
    for (const line of body.lines as Array<{ axis: string; value: number; segments: number[][][] }>) {
      const isRa = line.axis === 'lon';
      const units = line.value / (isRa ? FIXTURE.ra_unit_deg : FIXTURE.dec_unit_deg);
      if (Math.abs(units - Math.round(units)) > 1e-6) continue;
      for (const p of FIXTURE.points) {
        if ((isRa ? p.ra_s : p.dec_5as) !== Math.round(units)) continue;
        const d = distance(line.segments, p.x, p.y);
        assert.ok(d < 0.02, `${line.axis} ${line.value}: astropy's (${p.x}, ${p.y}) is ${d} px off the line`);
        checked++;
      }
    }
    assert.ok(checked > 50, `${checked} astropy positions checked`);
    assert.match(ra[0].label, /^05h3[45]m\d\ds$/);
    assert.match(dec[0].label, /^\+60°\d\d′(\d\d″)?$/);
    const pole = await get('/viewer/grid?file_path=jw_i2d.fits&hdu=DQ');
    assert.deepEqual(pole.json(), { frame: null, lines: [] });
    assert.equal((await get('/viewer/grid?file_path=sip.fits&x0=5')).statusCode, 400);
  });
});
