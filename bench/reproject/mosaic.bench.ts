/**
 * 4-tile 2048x2048 mosaic (2x2, ~200 px overlaps, small rotations, NaN edge strips) on the
 * optimal TAN grid, bilinear, mean, written to FITS: ours vs reproject 0.10's
 * reproject_and_coadd in the same run. Each side runs in its own process (time and peak RSS).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mosaicInputs } from './inputs.js';
import { printTable, runOurs, runReference } from './side-by-side.js';

const dir = await mkdtemp(join(tmpdir(), 'bench-reproject-'));
try {
  const n = Number(process.env.BENCH_TILE ?? 2048);
  const files = await mosaicInputs(dir, n);
  const ours = runOurs('mosaic', files);
  const ref = runReference('./mosaic.py', files);
  printTable(`4-tile mosaic, tiles ${n}x${n} (bilinear, mean, FITS out)`, ours, ref);
} finally {
  await rm(dir, { recursive: true, force: true });
}
