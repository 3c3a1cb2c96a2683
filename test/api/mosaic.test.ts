/**
 * POST /mosaic/generate and /mosaic/footprint: FITS output that passes fitsverify, whose WCS is the
 * optimal grid and which carries provenance cards and SRCMETA; NaN excluded from the combination;
 * image sizes with the aspect kept; AVM; footprints across RA 0/360; contract errors.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { FitsFile, readPlane } from '../../src/fits/index.js';
import { readTableRows } from '../../src/fits/table/index.js';
import { findOptimalCelestialWcs } from '../../src/reproject/index.js';
import { parseWcs, recordHeader, Wcs } from '../../src/wcs/index.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { waitForJob } from './sky-jobs.js';
import { tileCards, writeTile, type TileSpec } from './sky-files.js';

const hasFitsverify = spawnSync('fitsverify', ['-h'], { stdio: 'ignore' }).error === undefined;
const hasExiftool = spawnSync('exiftool', ['-ver'], { stdio: 'ignore' }).status === 0;

const tileA: TileSpec = { name: 'm/a.fits', ra: 83.82, dec: -5.39, width: 80, height: 60, scale: 2e-4, rotation: 10, value: (x, y) => 10 + 0.1 * x + 0.05 * y, filter: 'F200W' };
// B overlaps A; a NaN block sits inside the overlap.
const tileB: TileSpec = {
  name: 'm/b.fits', ra: 83.826, dec: -5.388, width: 70, height: 64, scale: 2.2e-4, rotation: -20, filter: 'F444W',
  value: (x, y) => (x >= 10 && x < 30 && y >= 20 && y < 40 ? NaN : 20 + 0.05 * x),
};
// Two tiles straddling RA 0.
const wrap1: TileSpec = { name: 'w/w1.fits', ra: 359.995, dec: 1, width: 50, height: 50, scale: 2e-4, value: () => 1 };
const wrap2: TileSpec = { name: 'w/w2.fits', ra: 0.004, dec: 1.001, width: 50, height: 50, scale: 2e-4, value: () => 2 };

function header(t: TileSpec) {
  return recordHeader([['NAXIS', 2], ['NAXIS1', t.width], ['NAXIS2', t.height], ...tileCards(t).map((c) => [c.keyword, c.value ?? null] as [string, string | number | null])]);
}

describe('POST /mosaic/generate and /mosaic/footprint', () => {
  let engine: TestEngine;
  before(async () => {
    engine = await startTestEngine();
    for (const t of [tileA, tileB, wrap1, wrap2]) await writeTile(engine.dataDir, t);
  });
  after(async () => engine.dispose());

  const files = [{ file_path: 'm/a.fits', stretch: 'linear' }, { file_path: 'm/b.fits', stretch: 'linear' }];

  it('writes a FITS mosaic on the optimal grid with provenance and SRCMETA, valid for fitsverify', async (t) => {
    const res = await engine.app.inject({ method: 'POST', url: '/mosaic/generate', payload: { files, output_format: 'fits', combine_method: 'mean' } });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.headers['content-type'], 'application/fits');
    const path = join(engine.dataDir, 'out.fits');
    writeFileSync(path, res.rawPayload);
    if (hasFitsverify) {
      const v = spawnSync('fitsverify', ['-q', '-e', path], { encoding: 'utf8' });
      assert.match(v.stdout + v.stderr, /verification OK/i, v.stdout + v.stderr);
    } else {
      t.diagnostic('fitsverify not installed (Debian package fitsverify): FITS validity not checked');
    }
    const file = await FitsFile.open(path);
    try {
      const h = file.hdus[0]!.header;
      const grid = findOptimalCelestialWcs([tileA, tileB].map((t) => ({ wcs: parseWcs(header(t)), width: t.width, height: t.height })));
      assert.equal(file.hdus[0]!.axes[0], grid.width);
      assert.equal(file.hdus[0]!.axes[1], grid.height);
      const got = new Wcs(parseWcs(h));
      const want = new Wcs(grid.wcs);
      for (const p of [[0, 0], [grid.width - 1, grid.height - 1], [10.5, 33.25]]) {
        const a = got.pixelToWorld(p);
        const b = want.pixelToWorld(p);
        assert.ok(Math.abs(a[0]! - b[0]!) < 1e-10 && Math.abs(a[1]! - b[1]!) < 1e-10);
      }
      assert.equal(h.get('MOSAIC'), true);
      assert.equal(h.get('NINPUTS'), 2);
      assert.equal(h.get('COMBMETH'), 'mean');
      assert.equal(h.get('SRC0001'), 'a.fits');
      assert.equal(h.get('SRC0002'), 'b.fits');
      // From the PRIMARY headers of the JWST-like inputs:
      assert.equal(h.get('TELESCOP'), 'JWST');
      assert.equal(h.get('INSTRUME'), 'NIRCAM');
      assert.equal(h.get('FILTER'), undefined, 'different filters are not copied');
      assert.equal(h.get('SRCFILT'), 'F200W|F444W');
      assert.equal(h.get('BUNIT'), 'MJy/sr');
      const meta = file.hdus.find((x) => x.name === 'SRCMETA');
      assert.ok(meta, 'SRCMETA table');
      assert.equal(meta!.header.get('NINPUTS'), 2);
      const rows = await readTableRows(file, meta!, { limit: 1000 });
      assert.ok(rows.rows.length > 20);

      // NaN is excluded, never zero: in B's NaN block the mean is A's value.
      const plane = await readPlane(file, 0);
      const wA = new Wcs(parseWcs(header(tileA)));
      const wB = new Wcs(parseWcs(header(tileB)));
      let checked = 0;
      for (let by = 20; by < 40; by += 3) {
        for (let bx = 10; bx < 30; bx += 3) {
          const [ox, oy] = got.worldToPixel(wB.pixelToWorld([bx, by]));
          const px = Math.round(ox!);
          const py = Math.round(oy!);
          const [ax, ay] = wA.worldToPixel(got.pixelToWorld([px, py]));
          // Only output pixels well inside A and whose B neighbourhood is all NaN.
          const [bxx, byy] = wB.worldToPixel(got.pixelToWorld([px, py]));
          if (!(ax! > 1 && ax! < 78 && ay! > 1 && ay! < 58 && bxx! > 11 && bxx! < 28 && byy! > 21 && byy! < 38)) continue;
          const v = plane.data[py * plane.width + px]!;
          assert.ok(Math.abs(v - (10 + 0.1 * ax! + 0.05 * ay!)) < 1e-3, `NaN-block pixel ${v} at ${px},${py} is A's value`);
          checked++;
        }
      }
      assert.ok(checked > 3, `checked ${checked} pixels of B's NaN block inside A`);
      assert.ok(Number.isNaN(plane.data[0]!) || plane.data[0]! > 5, 'no-coverage corner is NaN (never 0)');
    } finally {
      await file.close();
    }
  });

  it('renders PNG with the aspect kept when only a width is given, JPEG with AVM', async () => {
    const res = await engine.app.inject({ method: 'POST', url: '/mosaic/generate', payload: { files, width: 200, cmap: 'viridis' } });
    assert.equal(res.statusCode, 200, res.body);
    const meta = await sharp(res.rawPayload).metadata();
    assert.equal(meta.width, 200);
    const grid = findOptimalCelestialWcs([tileA, tileB].map((t) => ({ wcs: parseWcs(header(t)), width: t.width, height: t.height })));
    assert.equal(meta.height, Math.round(grid.height / (grid.width / 200)));
    const jpeg = await engine.app.inject({ method: 'POST', url: '/mosaic/generate', payload: { files, output_format: 'jpeg', width: 300, height: 300, combine_method: 'max' } });
    assert.equal(jpeg.headers['content-type'], 'image/jpeg');
    if (hasExiftool) {
      const p = join(engine.dataDir, 'm.jpg');
      writeFileSync(p, jpeg.rawPayload);
      const tags = JSON.parse(spawnSync('exiftool', ['-j', '-G1', '-n', '-XMP:all', p], { encoding: 'utf8' }).stdout)[0] as Record<string, unknown>;
      const m = await sharp(jpeg.rawPayload).metadata();
      assert.deepEqual(tags['XMP-avm:SpatialReferenceDimension'], [m.width, m.height]);
    }
  });

  it('supports the exact (flux-conserving) and bicubic methods', async () => {
    for (const interpolation of ['exact', 'bicubic', 'nearest']) {
      const res = await engine.app.inject({ method: 'POST', url: '/mosaic/generate', payload: { files, output_format: 'fits', interpolation, combine_method: 'median' } });
      assert.equal(res.statusCode, 200, `${interpolation}: ${res.body}`);
    }
  });

  it('runs a FITS mosaic as a background job and serves the file', async () => {
    const res = await engine.app.inject({ method: 'POST', url: '/mosaic/generate?async=true', payload: { files, output_format: 'fits' } });
    assert.equal(res.statusCode, 202, res.body);
    const id = res.json().job_id as string;
    const status = await waitForJob(engine, `/mosaic/jobs/${id}`);
    assert.equal(status.status, 'done', JSON.stringify(status));
    const result = await engine.app.inject({ method: 'GET', url: `/mosaic/jobs/${id}/result` });
    assert.equal(result.statusCode, 200);
    assert.equal(result.headers['content-type'], 'application/fits');
    assert.equal(result.rawPayload.subarray(0, 9).toString('latin1'), 'SIMPLE  =');
    // Validation errors come back at once, not as a failed job.
    const bad = await engine.app.inject({ method: 'POST', url: '/mosaic/generate?async=true', payload: { files, output_format: 'fits', width: 10 } });
    assert.equal(bad.statusCode, 400);
  });

  it('answers contract errors', async () => {
    const one = await engine.app.inject({ method: 'POST', url: '/mosaic/generate', payload: { files: [files[0]] } });
    assert.equal(one.statusCode, 422);
    const fitsSize = await engine.app.inject({ method: 'POST', url: '/mosaic/generate', payload: { files, output_format: 'fits', width: 100 } });
    assert.equal(fitsSize.statusCode, 400);
    assert.equal(fitsSize.json().detail, 'Width/height resizing is not supported for FITS output');
    const cmap = await engine.app.inject({ method: 'POST', url: '/mosaic/generate', payload: { files, cmap: 'nope' } });
    assert.equal(cmap.statusCode, 400);
    assert.match(cmap.json().detail, /^Invalid colormap 'nope'. Must be one of: /);
  });

  it('gives footprints in FITS order and a bounding box across RA 0/360, with overlaps', async () => {
    const res = await engine.app.inject({ method: 'POST', url: '/mosaic/footprint', payload: { file_paths: ['w/w1.fits', 'w/w2.fits'] } });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.n_files, 2);
    const f1 = body.footprints[0];
    const w1 = new Wcs(parseWcs(header(wrap1)));
    const [ra0, dec0] = w1.pixelToWorld([0, 0]);
    assert.ok(Math.abs(f1.corners_ra[0] - ra0!) < 1e-9 && Math.abs(f1.corners_dec[0] - dec0!) < 1e-9);
    const [ra1] = w1.pixelToWorld([49, 0]);
    assert.ok(Math.abs(f1.corners_ra[1] - ra1!) < 1e-9, 'second corner is (N1, 1)');
    const bb = body.bounding_box;
    assert.equal(bb.wraps_ra, true);
    assert.ok(bb.min_ra > 359.9 && bb.min_ra < 360, `min_ra ${bb.min_ra}`);
    assert.ok(bb.max_ra > 360 && bb.max_ra < 360.1, `max_ra ${bb.max_ra}`);
    assert.ok(bb.max_ra - bb.min_ra < 0.05);
    assert.equal(body.overlaps.length, 1);
    assert.ok(body.overlaps[0].fraction_of_a > 0 && body.overlaps[0].fraction_of_a < 1);
  });
});
