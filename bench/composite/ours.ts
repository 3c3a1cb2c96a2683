/**
 * Our side of the N-channel composite benchmarks, in its own process (time and peak RSS):
 *   ours.ts nchannel <file>...       one channel per file, hues spread blue->red, defaults, 2000 px,
 *                                    rendered as the engine does it: on its worker pool (one task
 *                                    per channel, src/workers/composite-render.ts), whose threads
 *                                    are started before the clock starts, as in a running engine;
 *                                    BENCH_SERIAL=1: in this thread alone (renderNChannel)
 *   ours.ts observation <file>...    observation mosaic (background matched) to FITS
 * Prints one JSON line: seconds, CPU seconds, peak RSS (MB, the whole process: every thread), output size.
 * The benches run it on the built engine (dist/, plain node: bench/lib/built-engine.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NChannelSpec } from '../../src/composite/pipeline.js';

// The engine's modules come from BENCH_ENGINE: dist/ when the bench runs the built engine
// (bench/lib/built-engine.ts, plain node), else src/ (under tsx).
const engine = process.env.BENCH_ENGINE ?? new URL('../../src/', import.meta.url).href;
const load = <T>(path: string): Promise<T> => import(new URL(path, engine).href) as Promise<T>;
const { WorkerPool } = await load<typeof import('../../src/workers/pool.js')>('workers/pool.js');
const { chromaticOrderHues } = await load<typeof import('../../src/discovery/colors.js')>('discovery/colors.js');
const { hueToRgb } = await load<typeof import('../../src/reproject/colors.js')>('reproject/colors.js');

const [mode, ...files] = process.argv.slice(2);
const limits = { maxFileBytes: 4 * 1024 ** 3, maxElements: 200_000_000 };
const size = Number(process.env.BENCH_CANVAS ?? 2000);
const serial = process.env.BENCH_SERIAL === '1';
const pool = mode === 'nchannel' && !serial ? new WorkerPool() : undefined;
if (pool) {
  // start every thread (a running engine has them): busy tasks at once until each thread answered
  const seen = new Set<number>();
  for (let k = 0; k < 20 && seen.size < 2; k++) {
    const r = await Promise.all(Array.from({ length: 4 }, () => pool.run<{ threadId: number }>('ping', { spinMs: 200 })));
    for (const x of r) seen.add(x.threadId);
  }
}
const t0 = performance.now();
const c0 = process.cpuUsage();
let width = 0;
let height = 0;
if (mode === 'nchannel') {
  const hues = chromaticOrderHues(files.length);
  const spec: NChannelSpec = {
    channels: files.map((path, k) => ({
      label: `ch${k}`, paths: [path], weight: 1, color: hueToRgb(hues[k]!), autoStretch: true,
      tone: { stretch: 'asinh', blackPoint: 0, whitePoint: 1, gamma: 1, asinhA: 0.05, curve: 'linear' },
    })),
    backgroundNeutralization: true, featherStrength: null, rotationDegrees: 0, cropCenterX: 0.5, cropCenterY: 0.5, cropZoom: 1,
    width: size, height: size, format: 'png', quality: 95, embedAvm: true, limits, memoryLimitBytes: 3e9, failThreshold: 0.85, allowForceDownscale: false,
  };
  // loaded only where used, as the engine's main thread never runs the pipeline itself
  const r = pool
    ? await (await load<typeof import('../../src/workers/composite-render.js')>('workers/composite-render.js')).renderNChannelOnPool(pool, spec)
    : await (await load<typeof import('../../src/composite/pipeline.js')>('composite/pipeline.js')).renderNChannel(spec);
  width = r.width;
  height = r.height;
} else if (mode === 'observation') {
  const dir = await mkdtemp(join(tmpdir(), 'bench-obs-'));
  const { writeObservationMosaic } = await load<typeof import('../../src/composite/observation-mosaic.js')>('composite/observation-mosaic.js');
  const r = await writeObservationMosaic({ paths: files, maxOutputPixels: 64_000_000, batchSize: 10, backgroundMatch: true, outputPath: join(dir, 'm.fits'), limits });
  width = r.width;
  height = r.height;
  await rm(dir, { recursive: true, force: true });
} else {
  throw new Error(`unknown mode ${mode}`);
}
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(c0);
await pool?.close();
console.log(JSON.stringify({ seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, peakRssMb: process.resourceUsage().maxRSS / 1024, width, height }));
