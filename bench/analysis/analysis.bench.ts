/**
 * Analysis workloads on a 4096x4096 float32 JWST-like image (noise, gradient, 1,000 stars, NaN
 * border), ours vs photutils 1.6 / astropy 5.2 side by side in the same run:
 *   1. sigma-clipped statistics (sigma 3, 5 iterations) of all 16.7 M pixels;
 *   2. Background2D (64x64 boxes, 3x3 filter, SExtractor estimator, sigma clip 3/10) + Gaussian
 *      smoothing (FWHM 3, 5x5) + detect_sources (3 x RMS, 10 pixels) + deblend_sources
 *      (32 levels, contrast 0.001);
 *   3. exact-overlap circular aperture photometry (r = 5) of the 1,000 stars.
 * Each side warms up once untimed (eleven runs for a case under 0.2 s), then BENCH_REPEAT rounds
 * (default 5) alternate: ours runs each case once, then analysis.py (one long-lived process) does;
 * the best round of each side counts, in CPU seconds (user + system, all threads of each
 * process: on a shared machine wall time mostly measures the neighbours) and in wall seconds.
 * The input is written once to bench/out/analysis/. Everything runs on a worker thread.
 *
 * Our side runs with the GLIBC_TUNABLES of `npm start` (as the engine runs in production and in
 * the Dockerfile): glibc.malloc.hugetlb=1 backs the full-size float64 outputs (background, RMS,
 * smoothed image: ~400 MB per call at 4096²) with transparent huge pages, as numpy backs its
 * arrays of 4 MiB or more (it asks with madvise). The Python side runs without the tunables (its
 * environment as before). BENCH_HUGETLB=0 measures our side without them.
 *
 * Usage: npm run bench -- analysis      (BENCH_SMALL=1 for a 1024x1024 image with 250 stars)
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { startTunables } from '../lib/built-engine.js';
import { rerunWithTunables } from '../lib/tunables.js';

const rerun = await rerunWithTunables(process.env.BENCH_HUGETLB === '0' ? '' : startTunables(), import.meta.url);
if (rerun !== undefined) process.exitCode = rerun;
else await runHere();

// The work (analysis-worker.ts) runs on a worker thread, as the engine runs analysis on its pool:
// the main thread's event loop stays free (the runner reports its delay). CPU times are the
// process's (all threads).
async function runHere(): Promise<void> {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const pool = new Piscina({ filename: join(root, 'bench', 'analysis', 'analysis-worker.ts'), minThreads: 1, maxThreads: 1 });
  await pool.run({ root });
  await pool.destroy();
}
