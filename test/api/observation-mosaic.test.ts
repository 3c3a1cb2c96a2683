/**
 * POST /mosaic/generate-observation (upstream-latest §6): four overlapping tiles of one sky with
 * different sky pedestals and detector gains come out as one consistent image (background and
 * gain matched), NaN where nothing covers, with the upstream's FITS keywords; request limits.
 */
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FitsFile, readPlane } from '../../src/fits/index.js';
import { parseWcs, recordHeader, Wcs } from '../../src/wcs/index.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { tileCards, writeTile } from './sky-files.js';

const SCALE = 1e-4;
/** The sky: sparse blobs on empty background, by offset from (150, 2) in degrees. */
function truth(ra: number, dec: number): number {
  const u = (ra - 150) * Math.cos((2 * Math.PI) / 180) / SCALE;
  const v = (dec - 2) / SCALE;
  const bx = ((u % 12) + 12) % 12 - 6;
  const by = ((v % 12) + 12) % 12 - 6;
  return 5 * Math.exp(-(bx * bx + by * by) / 4);
}

describe('POST /mosaic/generate-observation', () => {
  let engine: TestEngine;
  let out: string;
  const tiles = [
    { name: 'obs/a.fits', ra: 149.998, dec: 1.998, bg: 1, gain: 1 },
    { name: 'obs/b.fits', ra: 150.002, dec: 1.998, bg: 3, gain: 1.5 },
    { name: 'obs/c.fits', ra: 149.998, dec: 2.002, bg: 0.5, gain: 0.8 },
    { name: 'obs/d.fits', ra: 150.0035, dec: 2.0035, bg: 2, gain: 1.2 },
  ];
  before(async () => {
    engine = await startTestEngine();
    out = await mkdtemp(join(tmpdir(), 'obs-mosaic-test-'));
    for (const t of tiles) {
      const w = 60, h = 60;
      const cards = tileCards({ name: t.name, ra: t.ra, dec: t.dec, width: w, height: h, scale: SCALE, value: () => 0 });
      const wcs = new Wcs(parseWcs(recordHeader({ NAXIS: 2, NAXIS1: w, NAXIS2: h, ...Object.fromEntries(cards.map((c) => [c.keyword, c.value as number | string])) })));
      await writeTile(engine.dataDir, {
        name: t.name, ra: t.ra, dec: t.dec, width: w, height: h, scale: SCALE,
        value: (x, y) => {
          const [ra, dec] = wcs.pixelToWorld([x, y]);
          return t.bg + t.gain * truth(ra!, dec!);
        },
      });
    }
  });
  after(async () => {
    await engine.dispose();
    await rm(out, { recursive: true, force: true });
  });

  it('matches backgrounds and gains into one consistent FITS image with the upstream keywords', async () => {
    const res = await engine.app.inject({ method: 'POST', url: '/mosaic/generate-observation', payload: { file_paths: tiles.map((t) => t.name), batch_size: 4 } });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.headers['content-type'], 'application/fits');
    assert.equal(res.headers['content-disposition'], 'attachment; filename=observation-mosaic.fits');
    const path = join(out, 'm.fits');
    await writeFile(path, res.rawPayload);
    const file = await FitsFile.open(path);
    try {
      const h = file.hdus[0]!.header;
      assert.equal(h.get('CREATOR'), 'observation-mosaic-generator');
      assert.equal(h.get('NCOMBINE'), 4);
      assert.equal(h.get('COMBMETH'), 'mean');
      assert.equal(h.get('OBS_MOSAIC'), true);
      assert.equal(h.get('BITPIX'), -32);
      const plane = await readPlane(file, 0);
      const wcs = new Wcs(parseWcs(h));
      // every tile ends up on one scale: out = c * truth, the same c everywhere
      const ratios: number[] = [];
      let sky = 0, skyN = 0, nan = 0;
      for (let y = 0; y < plane.height; y++) {
        for (let x = 0; x < plane.width; x++) {
          const v = plane.data[y * plane.width + x]!;
          if (Number.isNaN(v)) { nan++; continue; }
          const [ra, dec] = wcs.pixelToWorld([x, y]);
          const t = truth(ra!, dec!);
          if (t > 3) ratios.push(v / t);
          if (t < 1e-3) { sky += v; skyN++; }
        }
      }
      ratios.sort((a, b) => a - b);
      const med = ratios[ratios.length >> 1]!;
      const spread = (ratios[Math.floor(ratios.length * 0.95)]! - ratios[Math.floor(ratios.length * 0.05)]!) / med;
      assert.ok(spread < 0.1, `gain spread ${spread}`);
      assert.ok(Math.abs(sky / skyN) < 0.05 * 5 * med, `sky level ${sky / skyN}`);
      assert.ok(nan > 0, 'corners no tile covers are NaN');
    } finally {
      await file.close();
    }
    const plain = await engine.app.inject({ method: 'POST', url: '/mosaic/generate-observation', payload: { file_paths: tiles.map((t) => t.name), background_match: false } });
    assert.equal(plain.statusCode, 200);
  });

  it('footprints name the instrument and warn about disconnected groups', async () => {
    await writeTile(engine.dataDir, { name: 'obs/far.fits', ra: 151, dec: 2, width: 20, height: 20, scale: SCALE, value: () => 1 });
    const together = (await engine.app.inject({ method: 'POST', url: '/mosaic/footprint', payload: { file_paths: tiles.map((t) => t.name) } })).json();
    assert.equal(together.overlap_warning, null);
    assert.equal(together.footprints[0].instrument, 'NIRCAM');
    const apart = (await engine.app.inject({ method: 'POST', url: '/mosaic/footprint', payload: { file_paths: ['obs/a.fits', 'obs/far.fits'] } })).json();
    assert.match(apart.overlap_warning, /^These 2 files form 2 spatially disconnected groups/);
  });

  it('refuses fewer than two files and too small an output', async () => {
    const one = await engine.app.inject({ method: 'POST', url: '/mosaic/generate-observation', payload: { file_paths: ['obs/a.fits'] } });
    assert.equal(one.statusCode, 422);
    const tiny = await engine.app.inject({ method: 'POST', url: '/mosaic/generate-observation', payload: { file_paths: ['obs/a.fits', 'obs/b.fits'], max_output_pixels: 0 } });
    assert.equal(tiny.statusCode, 422);
    const missing = await engine.app.inject({ method: 'POST', url: '/mosaic/generate-observation', payload: { file_paths: ['obs/a.fits', 'obs/zz.fits'] } });
    assert.equal(missing.statusCode, 404);
  });

  it('holds max_output_pixels to MAX_MOSAIC_OUTPUT_PIXELS: the grid shrinks to fit', async () => {
    const small = await startTestEngine({ MAX_MOSAIC_OUTPUT_PIXELS: '2000' });
    try {
      await cp(join(engine.dataDir, 'obs'), join(small.dataDir, 'obs'), { recursive: true });
      const res = await small.app.inject({ method: 'POST', url: '/mosaic/generate-observation', payload: { file_paths: tiles.map((t) => t.name), max_output_pixels: 256_000_000 } });
      assert.equal(res.statusCode, 200, res.body.slice(0, 300));
      const pixels = Number(res.headers['x-mosaic-width']) * Number(res.headers['x-mosaic-height']);
      assert.ok(pixels > 0 && pixels <= 2000, `${pixels} pixels`);
    } finally {
      await small.dispose();
    }
  });
});
