/**
 * The observation-mosaic memory bound (issue 16): BENCH_OBS_FILES (default 200) tiles of
 * BENCH_TILE^2 (default 2048) in a 20-column grid, mosaicked with background matching into a
 * 64 M px grid (the default max_output_pixels). Memory must stay bounded by the output grid plus
 * one tile: peak RSS < 1.5 GB. Our side only by default (the Python chain takes many minutes
 * here); BENCH_OBS_REFERENCE=1 adds it (one round each: ours, then the reference). Smoke run: BENCH_OBS_FILES=8 BENCH_TILE=256.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gridTiles } from '../reproject/inputs.js';
import { printRounds, runOurs as runSide, runReference } from '../reproject/side-by-side.js';
import { builtEngineNote } from '../lib/built-engine.js';

const runOurs = (mode: string, files: string[]) => runSide(mode, files, new URL('./ours.ts', import.meta.url), {}, true);

const files = Number(process.env.BENCH_OBS_FILES ?? 200);
const n = Number(process.env.BENCH_TILE ?? 2048);
const cols = Math.min(files, 20);
const dir = await mkdtemp(join(tmpdir(), 'bench-obs200-'));
try {
  const t0 = performance.now();
  const tiles = (await gridTiles(dir, n, cols, Math.ceil(files / cols))).slice(0, files);
  console.log(builtEngineNote());
  console.log(`wrote ${tiles.length} tiles of ${n}x${n} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const ours = runOurs('observation', tiles);
  const ref = process.env.BENCH_OBS_REFERENCE === '1' ? runReference(fileURLToPath(new URL('./observation.py', import.meta.url)), tiles) : undefined;
  printRounds(`observation mosaic, ${tiles.length} tiles ${n}x${n} into <= 64 M px, background matched, FITS out`, `observation mosaic ${tiles.length} x ${n}^2 -> 64 M px`, [ours], ref ? [ref] : []);
  if (process.env.BENCH_OBS_REFERENCE !== '1') console.log('(the reference side runs with BENCH_OBS_REFERENCE=1)');
  console.log(`peak RSS ${ours.peakRssMb.toFixed(0)} MB (bound: 1536 MB), grid ${ours.width}x${ours.height} = ${((ours.width * ours.height) / 1e6).toFixed(1)} M px`);
  if (ours.peakRssMb >= 1536) process.exitCode = 1;
} finally {
  await rm(dir, { recursive: true, force: true });
}
