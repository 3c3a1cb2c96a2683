/** CLI: mosaic (FITS and PNG), composite, footprint and wcs on synthetic JWST-like files and the corpus. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { FitsFile } from '../../src/fits/index.js';
import { writeTile } from '../api/sky-files.js';
import { runCli } from '../helpers/cli.js';
import { FIXTURES_DIR } from '../helpers/paths.js';

async function run(args: string[]): Promise<string> {
  const r = await runCli(args);
  if (r.code !== 0) throw new Error(r.stderr);
  return r.stdout;
}

describe('CLI: mosaic, composite, footprint, wcs', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cli-sky-'));
    await writeTile(dir, { name: 'a.fits', ra: 10, dec: 20, width: 60, height: 40, scale: 1e-4, value: (x) => x });
    await writeTile(dir, { name: 'b.fits', ra: 10.003, dec: 20.001, width: 60, height: 40, scale: 1e-4, rotation: 15, value: (x, y) => y });
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('mosaic writes FITS with provenance and PNG fitted to a box', async () => {
    const text = await run(['mosaic', join(dir, 'a.fits'), join(dir, 'b.fits'), '-o', join(dir, 'm.fits'), '--combine', 'median', '-q']);
    assert.match(text, /wrote .*m\.fits \(\d+x\d+\)/);
    const f = await FitsFile.open(join(dir, 'm.fits'));
    assert.equal(f.hdus[0]!.header.get('COMBMETH'), 'median');
    await f.close();
    await run(['mosaic', join(dir, 'a.fits'), join(dir, 'b.fits'), '-o', join(dir, 'm.png'), '--width', '100', '-q']);
    assert.equal((await sharp(join(dir, 'm.png')).metadata()).width, 100);
  });

  it('composite takes any number of coloured channels', async () => {
    await run(['composite', '-c', `${join(dir, 'a.fits')}:orange`, '-c', `${join(dir, 'b.fits')}:210`, '-c', `${join(dir, 'a.fits')}+${join(dir, 'b.fits')}:#3040ff`, '-o', join(dir, 'c.jpg'), '--width', '200', '--height', '200', '-q']);
    const meta = await sharp(join(dir, 'c.jpg')).metadata();
    assert.equal(meta.format, 'jpeg');
    assert.ok(meta.width === 200 || meta.height === 200);
  });

  it('footprint and wcs print what the core computes', async () => {
    const fp = JSON.parse(await run(['footprint', join(dir, 'a.fits'), join(dir, 'b.fits'), '--json']));
    assert.equal(fp.footprints.length, 2);
    assert.equal(fp.overlaps.length, 1);
    const text = await run(['wcs', join(FIXTURES_DIR, 'fits-corpus/astropy-m13.fits'), '--pixel', '149.5,149.5']);
    assert.match(text, /pixel 149\.5,149\.5 -> world 250\.422600000 36\.460200000/);
  });

  it('wcs says which option is malformed instead of printing NaN', async () => {
    const r = await runCli(['wcs', join(FIXTURES_DIR, 'fits-corpus/astropy-m13.fits'), '--pixel', '149.5']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /--pixel expects two numbers as a,b, got "149\.5"/);
    assert.doesNotMatch(r.stdout, /NaN/);
  });
});
