/**
 * 3-channel composite of 2048x2048 images into a 2000x2000 box: ours (grid fitted to the box,
 * anti-aliased binning, per-channel zscale, PNG with AVM) vs the upstream engine's path on
 * reproject 0.10/astropy (full-resolution reprojection, zscale, LANCZOS resize, PNG).
 *
 * BENCH_ROUNDS (default 5) rounds, the sides alternating which goes first; best and range of wall,
 * CPU (user + system, all threads) and peak RSS per side, recorded for `npm run bench -- --json`.
 * Quick run: BENCH_TILE=512 BENCH_ROUNDS=1.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compositeInputs } from './inputs.js';
import { alternate, printRounds, runOurs, runReference } from './side-by-side.js';

const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 5));
const dir = await mkdtemp(join(tmpdir(), 'bench-composite-'));
try {
  const n = Number(process.env.BENCH_TILE ?? 2048);
  const files = await compositeInputs(dir, n);
  const r = alternate(rounds, () => runOurs('composite', files), () => runReference('./composite.py', files));
  printRounds(`3-channel composite, inputs ${n}x${n}, 2000 px box`, `3-channel composite ${n}^2 -> 2000 px box (reproject)`, r.ours, r.ref);
} finally {
  await rm(dir, { recursive: true, force: true });
}
