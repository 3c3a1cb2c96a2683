/**
 * 3-channel composite of 2048x2048 images into a 2000x2000 box: ours (grid fitted to the box,
 * anti-aliased binning, per-channel zscale, PNG with AVM) vs the upstream engine's path on
 * reproject 0.10/astropy (full-resolution reprojection, zscale, LANCZOS resize, PNG).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compositeInputs } from './inputs.js';
import { printTable, runOurs, runReference } from './side-by-side.js';

const dir = await mkdtemp(join(tmpdir(), 'bench-composite-'));
try {
  const n = Number(process.env.BENCH_TILE ?? 2048);
  const files = await compositeInputs(dir, n);
  const ours = runOurs('composite', files);
  const ref = runReference('./composite.py', files);
  printTable(`3-channel composite, inputs ${n}x${n}, 2000 px box`, ours, ref);
} finally {
  await rm(dir, { recursive: true, force: true });
}
