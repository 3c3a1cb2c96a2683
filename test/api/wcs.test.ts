/** POST /wcs/pixel-to-world and /wcs/world-to-pixel against astropy's reference pairs of corpus files. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FIXTURES_DIR } from '../helpers/paths.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';

interface RefPair { pixel_0based: number[]; world: number[] }
interface RefHdu { index: number; image?: { shape_numpy?: number[] }; wcs?: { naxis: number; pixel_to_world: RefPair[]; world_to_pixel: RefPair[] } }
interface RefFile { file: string; hdus?: RefHdu[] }

const FILES = ['asca-ad43021000gis25670_lo.totsky.gz', 'astropy-checksum.fits', 'astropy-m13.fits'];

describe('WCS endpoints', () => {
  let engine: TestEngine;
  let reference: RefFile[];
  before(async () => {
    engine = await startTestEngine();
    reference = (JSON.parse(await readFile(join(FIXTURES_DIR, 'fits-corpus', 'REFERENCE.json'), 'utf8')) as { files: RefFile[] }).files;
    for (const f of FILES) await copyFile(join(FIXTURES_DIR, 'fits-corpus', f), join(engine.dataDir, f));
  });
  after(async () => engine.dispose());

  for (const name of FILES) {
    it(`matches astropy on ${name} (1e-9 deg, 1e-6 px)`, async () => {
      const hdu = reference.find((r) => r.file === name)?.hdus?.find((h) => h.wcs && h.wcs.naxis === 2 && h.image?.shape_numpy);
      assert.ok(hdu?.wcs, 'reference has a 2-D WCS');
      const p2w = await engine.app.inject({ method: 'POST', url: '/wcs/pixel-to-world', payload: { file_path: name, pixels: hdu.wcs.pixel_to_world.map((p) => p.pixel_0based) } });
      assert.equal(p2w.statusCode, 200, p2w.body);
      const body = p2w.json() as { world: number[][]; frame: string };
      hdu.wcs.pixel_to_world.forEach((p, i) => {
        const [lon, lat] = body.world[i] as [number, number];
        const dLon = Math.abs((((lon - (p.world[0] as number)) % 360) + 540) % 360 - 180) * Math.cos(((p.world[1] as number) * Math.PI) / 180);
        assert.ok(dLon < 1e-9 && Math.abs(lat - (p.world[1] as number)) < 1e-9, `pixel ${p.pixel_0based} -> ${lon},${lat} vs ${p.world}`);
      });
      const w2p = await engine.app.inject({ method: 'POST', url: '/wcs/world-to-pixel', payload: { file_path: name, world: hdu.wcs.world_to_pixel.map((p) => p.world) } });
      assert.equal(w2p.statusCode, 200, w2p.body);
      const pixels = (w2p.json() as { pixels: number[][] }).pixels;
      hdu.wcs.world_to_pixel.forEach((p, i) => {
        const [x, y] = pixels[i] as [number, number];
        assert.ok(Math.abs(x - (p.pixel_0based[0] as number)) < 1e-6 && Math.abs(y - (p.pixel_0based[1] as number)) < 1e-6, `world ${p.world} -> ${x},${y} vs ${p.pixel_0based}`);
      });
    });
  }

  it('answers 404 for a missing file, 403 outside DATA_DIR and 422 for a bad body', async () => {
    const missing = await engine.app.inject({ method: 'POST', url: '/wcs/pixel-to-world', payload: { file_path: 'nope.fits', pixels: [[0, 0]] } });
    assert.equal(missing.statusCode, 404);
    const outside = await engine.app.inject({ method: 'POST', url: '/wcs/pixel-to-world', payload: { file_path: '../x.fits', pixels: [[0, 0]] } });
    assert.equal(outside.statusCode, 403);
    const bad = await engine.app.inject({ method: 'POST', url: '/wcs/pixel-to-world', payload: { file_path: FILES[0], pixels: [[0]] } });
    assert.equal(bad.statusCode, 422);
  });
});
