/** CLI: `table` (search, sort, CSV/JSON/text) and `spectrum` (x1d table, cube region) on the fixtures. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeFits } from '../../src/fits/index.js';
import { encodeBinTable } from '../../src/fits/table/index.js';
import { runCli } from '../helpers/cli.js';
import { FIXTURES_DIR } from '../helpers/paths.js';

async function run(args: string[]): Promise<string> {
  const r = await runCli(args);
  if (r.code !== 0) throw new Error(r.stderr);
  return r.stdout;
}

describe('CLI: table, spectrum', () => {
  it('table sorts and searches an ECSV catalogue, prints CSV and JSON', async () => {
    const cat = join(FIXTURES_DIR, 'ecsv', 'jwst_cat.ecsv');
    const json = JSON.parse(await run(['table', cat, '--sort', 'label', '--desc', '--json', '--limit', '2'])) as { total_rows: number; rows: { label: number }[] };
    assert.equal(json.total_rows, 40);
    assert.deepEqual(json.rows.map((r) => r.label), [40, 39]);
    const csv = (await run(['table', join(FIXTURES_DIR, 'ecsv', 'all-types.ecsv'), '--search', 'WITH SPACE', '--csv'])).trim().split('\n');
    assert.equal(csv.length, 2);
    assert.match(csv[1] as string, /,with space,/);
    assert.match(await run(['table', cat, '--limit', '2']), /\.\.\. 38 more rows/);
  });

  it('table --csv into a reader that stops early (| head) exits quietly', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cli-epipe-'));
    try {
      // 20,000 rows of CSV (~600 kB): more than a pipe holds, so writes go on after the reader has gone.
      const n = 20_000;
      const table = encodeBinTable([
        { name: 'ID', values: Int32Array.from({ length: n }, (_, i) => i) },
        { name: 'FLUX', values: Float64Array.from({ length: n }, (_, i) => i / 7) },
      ]);
      await writeFile(join(dir, 't.fits'), await encodeFits([{ axes: [] }, { type: 'table', ...table }]));
      const r = await runCli(['table', join(dir, 't.fits'), '--csv'], {}, (child) => {
        child.stdout?.once('data', () => child.stdout?.destroy());
      });
      assert.equal(r.stderr, '', 'no EPIPE error or stack trace');
      assert.equal(r.code, 0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('spectrum prints an x1d table and a cube region as CSV', async () => {
    const x1d = (await run(['spectrum', join(FIXTURES_DIR, 'spectra', 'x1d.fits'), '--wavelength-unit', 'nm'])).trim().split('\n');
    assert.equal(x1d[0], 'WAVELENGTH [nm],FLUX [Jy],FLUX_ERROR [Jy],SURF_BRIGHT [MJy/sr],DQ,NPIXELS');
    assert.equal(x1d.length, 51);
    const cube = (await run(['spectrum', join(FIXTURES_DIR, 'spectra', 's3d_linear.fits'), '--x', '1', '--y', '4', '--width', '4', '--height', '4'])).trim().split('\n');
    assert.equal(cube[0], 'WAVELENGTH [um],FLUX [MJy/sr],NPIXELS');
    assert.match(cube[5] as string, /,,0$/, 'the empty slice has no flux');
  });
});
