/**
 * 4-tile 2048x2048 mosaic (2x2, ~200 px overlaps, small rotations, NaN edge strips) on the
 * optimal TAN grid, bilinear, mean, written to FITS: ours vs reproject 0.10's
 * reproject_and_coadd in the same run. Each side runs in its own process (time and peak RSS).
 *
 * BENCH_ROUNDS (default 5) rounds, the sides alternating which goes first; best and range of wall,
 * CPU (user + system, all threads) and peak RSS per side, recorded for `npm run bench -- --json`.
 * Quick run: BENCH_TILE=512 BENCH_ROUNDS=1.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mosaicInputs } from './inputs.js';
import { alternate, printRounds, runOurs, runReference } from './side-by-side.js';

const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 5));
const dir = await mkdtemp(join(tmpdir(), 'bench-reproject-'));
try {
  const n = Number(process.env.BENCH_TILE ?? 2048);
  const files = await mosaicInputs(dir, n);
  const r = alternate(rounds, () => runOurs('mosaic', files), () => runReference('./mosaic.py', files));
  printRounds(`4-tile mosaic, tiles ${n}x${n} (bilinear, mean, FITS out)`, `4-tile mosaic ${n}^2 (bilinear, mean, FITS)`, r.ours, r.ref);
} finally {
  await rm(dir, { recursive: true, force: true });
}
