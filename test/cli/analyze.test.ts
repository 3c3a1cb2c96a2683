import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseParams } from '../../src/cli/commands/analyze.js';
import { runCli } from '../helpers/cli.js';
import { FIXTURES_DIR } from '../helpers/paths.js';
import { references } from '../analysis/fixtures.js';

const M13 = join(FIXTURES_DIR, 'fits-corpus', 'astropy-m13.fits');

const cli = (...args: string[]) => runCli(args);

describe('jwst-engine analyze', () => {
  let out: string;
  before(async () => {
    out = await mkdtemp(join(tmpdir(), 'analyze-cli-'));
  });
  after(async () => {
    await rm(out, { recursive: true, force: true });
  });

  it('parses --param values as JSON when they parse, strings otherwise', () => {
    assert.deepEqual(parseParams(['sigma=2.5', 'mode=reflect', 'positions=[[1,2],[3,4]]', 'deblend=false']), { sigma: 2.5, mode: 'reflect', positions: [[1, 2], [3, 4]], deblend: false });
    assert.throws(() => parseParams(['oops']), /key=value/);
  });

  it('prints JSON results equal to the astropy reference and writes output FITS', async () => {
    const r = await cli('analyze', M13, 'sigma_clipped_statistics', '--param', 'sigma=3', '--json');
    assert.equal(r.code, 0, r.stderr);
    const body = JSON.parse(r.stdout);
    const ref = references().images.m13!.results.sigma_clipped_statistics;
    assert.ok(Math.abs(body.results.median - ref.median) < 1e-9);
    const bg = await cli('analyze', M13, 'background_2d', '-p', 'box_size=30', '--output-dir', out);
    assert.equal(bg.code, 0, bg.stderr);
    assert.match(bg.stdout, /background_median/);
    assert.equal((await readdir(out)).filter((f) => f.endsWith('.fits')).length, 3);
  });

  it('fails with a message naming the bad parameter or algorithm', async () => {
    const bad = await cli('analyze', M13, 'gaussian_filter', '-p', 'mode=bounce');
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /mode/);
    const unknown = await cli('analyze', M13, 'nope');
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /Unknown algorithm 'nope'/);
  });
});
