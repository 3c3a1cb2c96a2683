import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { spawnSync } from 'node:child_process';
import { REPO_ROOT, FIXTURES_DIR } from '../helpers/paths.js';

const corpus = (name: string) => join(FIXTURES_DIR, 'fits-corpus', name);

/** Runs the CLI in a child process (its stdout must not mix with the test reporter's). */
async function run(args: string[]): Promise<string> {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'src/cli/main.ts'), ...args], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout;
}

describe('CLI: preview, info, header', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cli-preview-'));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('preview writes a PNG of the requested size and reports what it did', async () => {
    const out = join(dir, 'miri.png');
    const text = await run(['preview', corpus('snoww3d-jwst_miri_small.fits'), '-o', out, '--cmap', 'inferno', '--size', '300']);
    const meta = await sharp(out).metadata();
    assert.deepEqual([meta.width, meta.height, meta.format], [300, 300, 'png']);
    assert.match(text, /300x300 PNG .*zscale limits 0\.205961 \.\. 1\.10920/);
  });

  it('preview of a cube slice to JPEG by extension', async () => {
    const out = join(dir, 'cube.jpg');
    const text = await run(['preview', corpus('reproject-celestial_3d_equ2gal.fits'), '-o', out, '--slice', '1', '--stretch', 'asinh']);
    assert.equal((await sharp(out).metadata()).format, 'jpeg');
    assert.match(text, /slice 1 of 4/);
  });

  it('preview rejects a bad stretch with the API message', async () => {
    await assert.rejects(run(['preview', corpus('astropy-m13.fits'), '-o', join(dir, 'x.png'), '--stretch', 'cubic']), /Invalid stretch 'cubic'/);
  });

  it('info lists HDUs; header prints cards', async () => {
    const info = await run(['info', corpus('jwst-test1_cal.fits')]);
    assert.match(info, /^1\s+SCI\s+1\s+ImageHDU\s+72\s+\(2, 5\)\s+-32$/m);
    const header = await run(['header', corpus('snoww3d-jwst_miri_small.fits'), '--hdu', 'SCI']);
    assert.match(header, /^XTENSION= 'IMAGE   '/);
    assert.match(header, /^END$/m);
  });
});
