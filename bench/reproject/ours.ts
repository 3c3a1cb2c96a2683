/**
 * One side of a reprojection benchmark, run in its own process so its peak memory is its own:
 *   ours.ts mosaic <file>...      4-tile mosaic (optimal grid, bilinear, mean) to a FITS file
 *   ours.ts composite <r> <g> <b> 3-channel composite PNG in a 2000x2000 box
 * Prints one JSON line: seconds, CPU seconds (user + system, all threads, over the same span), peak
 * RSS (MB), output size.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderComposite } from '../../src/reproject/composite.js';
import { writeMosaicFits } from '../../src/reproject/mosaic.js';

const [mode, ...files] = process.argv.slice(2);
const limits = { maxFileBytes: 4 * 1024 ** 3, maxElements: 200_000_000 };
const t0 = performance.now();
const c0 = process.cpuUsage();
let width = 0;
let height = 0;
if (mode === 'mosaic') {
  const dir = await mkdtemp(join(tmpdir(), 'bench-mosaic-'));
  const r = await writeMosaicFits({
    files: files.map((path) => ({ path, display: { stretch: 'linear' } })),
    combine: 'mean',
    limits,
    maxOutputPixels: 200_000_000,
    outputPath: join(dir, 'mosaic.fits'),
  });
  width = r.width;
  height = r.height;
  await rm(dir, { recursive: true, force: true });
} else if (mode === 'composite') {
  const colors: Array<[number, number, number]> = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
  const r = await renderComposite({
    channels: files.map((path, k) => ({ paths: [path], color: colors[k]!, display: { stretch: 'zscale' }, curve: 'linear' })),
    width: 2000,
    height: 2000,
    format: 'png',
    quality: 95,
    embedAvm: true,
    limits,
  });
  width = r.width;
  height = r.height;
} else {
  throw new Error(`unknown mode ${mode}`);
}
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(c0);
console.log(JSON.stringify({ seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, peakRssMb: process.resourceUsage().maxRSS / 1024, width, height }));
