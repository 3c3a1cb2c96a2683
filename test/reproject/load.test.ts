import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { writeTile } from '../api/sky-files.js';
import { loadCelestialImage, loadCelestialImageBinned, loadImageShape, withCelestialImages, type OpenedCelestialImage } from '../../src/reproject/load.js';

const limits = { maxFileBytes: 1e9, maxElements: 1e9 };

describe('reproject/load: one open per input', () => {
  let dir: string;
  let plain: string;
  let gz: string;
  let noWcs: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'load-once-'));
    plain = join(dir, await writeTile(dir, { name: 'a.fits', ra: 10, dec: 20, width: 40, height: 30, scale: 1e-4, value: (x, y) => (x === 3 ? NaN : x + y * 0.5) }));
    gz = join(dir, 'a.fits.gz');
    await writeFile(gz, gzipSync(await readFile(plain)));
    noWcs = join(dir, await writeTile(dir, { name: 'nowcs.fits', ra: 0, dec: 0, width: 4, height: 4, scale: 1, value: () => 1, noWcs: true }));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('plans and reads through the same handles, with the answers of the one-shot loaders', async () => {
    const shape = await loadImageShape(plain, limits);
    const whole = await loadCelestialImage(plain, limits);
    const binned = await loadCelestialImageBinned(plain, limits, 3);
    await withCelestialImages([plain, gz], limits, async ([a, b]) => {
      for (const img of [a!, b!]) {
        assert.deepEqual([img.width, img.height, img.wcs], [shape.width, shape.height, shape.wcs]);
        assert.deepEqual(Array.from((await img.readBinned(1)).plane.data), Array.from(whole.plane.data));
        const k3 = await img.readBinned(3);
        assert.deepEqual([k3.wcs, Array.from(k3.plane.data)], [binned.wcs, Array.from(binned.plane.data)]);
        assert.deepEqual(Array.from((await img.readRows(5, 9)).data), Array.from(whole.plane.data.subarray(5 * 40, 9 * 40)));
      }
    });
  });

  it('closes every file when the work fails', async () => {
    let held: OpenedCelestialImage[] = [];
    await assert.rejects(withCelestialImages([plain, gz], limits, async (images) => {
      held = images;
      throw new Error('boom');
    }), /boom/);
    assert.equal(held.length, 2);
    await assert.rejects(held[0]!.readRows(0, 1), /closed/);
  });

  it('reports an input without a celestial WCS and leaves no file open', async () => {
    const fds = () => (existsSync('/proc/self/fd') ? readdirSync('/proc/self/fd').length : 0);
    const before = fds();
    await assert.rejects(withCelestialImages([plain, noWcs], limits, async () => assert.fail('not reached')), /No celestial WCS found in FITS file: nowcs.fits/);
    assert.equal(fds(), before);
  });
});
