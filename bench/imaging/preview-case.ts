/**
 * One side of bench/imaging/preview.bench.ts, in its own process so its peak RSS is its own:
 * renders CASE (preview | thumbnail | histogram) of PATH REPEAT times as the engine does, on its
 * worker pool (2 threads; the histogram, the preview and the thumbnail split across both, as GET
 * /histogram, GET /preview and POST /thumbnail do), so the main thread's event loop stays free
 * (the runner reports its delay), and prints one JSON line. CPU time is the process's, all threads.
 */
import { histogramInParts, type HistogramPartAnswer, type HistogramPartRunner, type HistogramResult, type PreviewFileResult, type ViewerLimits, thumbnailRequest } from '../../src/imaging/viewer/index.js';
import { WorkerPool } from '../../src/workers/pool.js';
import { previewOnPool } from '../../src/workers/preview-render.js';
import { beginTimedWork, declareEventLoopRole, endTimedWork } from '../lib/event-loop-role.js';

// The main thread does what the engine's does for these requests (drives pool tasks).
declareEventLoopRole('engine');

const [kind, path, repeatText] = process.argv.slice(2);
const repeat = Number(repeatText ?? 3);
const limits: ViewerLimits = { maxFileBytes: 4096 * 1024 * 1024, maxElements: 100_000_000 };
const baseRss = process.resourceUsage().maxRSS * 1024;
const times: number[] = [];
const cpu: number[] = [];
const pool = new WorkerPool({ threads: 2 });
let last: PreviewFileResult | undefined;
// Threads started and warm, as the server has them before it listens (serve.ts): otherwise ~85 %
// of the window was the pool's start-up (the first request waited for the second thread's).
await pool.warmUp();
// the runner judges this process's loop on the timed requests, not on compiling the modules above
// nor on the pool's start-up (both in its start-up figure)
beginTimedWork();
for (let i = 0; i < repeat; i++) {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  if (kind === 'histogram') {
    const run: HistogramPartRunner = (payload) => pool.run<HistogramPartAnswer>('viewer.histogram-part', payload);
    const h: HistogramResult = await histogramInParts(run, { path: path!, sliceIndex: -1, bins: 256, display: { stretch: 'zscale' }, limits }, Math.max(1, pool.idleThreads));
    JSON.stringify(h);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1e6);
    times.push((performance.now() - t0) / 1000);
    continue;
  }
  last = kind === 'thumbnail'
    ? await previewOnPool(pool, thumbnailRequest(path!, limits))
    : await previewOnPool(pool, {
      path: path!, sliceIndex: -1, display: { stretch: 'zscale' }, colormap: 'gray', width: 1000, height: 1000,
      format: 'png', quality: 90, nanColor: { r: 0, g: 0, b: 0, a: 0 }, limits,
    });
  const c = process.cpuUsage(c0);
  cpu.push((c.user + c.system) / 1e6);
  times.push((performance.now() - t0) / 1000);
}
endTimedWork();
await pool.close();
const png = last ? Buffer.from(last.image) : Buffer.alloc(32);
console.log(JSON.stringify({
  times,
  cpu,
  base_rss: baseRss,
  peak_rss: process.resourceUsage().maxRSS * 1024,
  width: png.readUInt32BE(16),
  height: png.readUInt32BE(20),
  color_type: png[25],
  bytes: png.length,
  mode: last?.mode,
}));
