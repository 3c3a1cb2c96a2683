/**
 * One side of bench/imaging/preview.bench.ts, in its own process so its peak RSS is its own:
 * renders CASE (preview | thumbnail | histogram) of PATH REPEAT times with the engine's core (the same call
 * the worker task makes) and prints one JSON line.
 */
import { histogramFile, previewFile, thumbnailFile, type ViewerLimits } from '../../src/imaging/viewer/index.js';

const [kind, path, repeatText] = process.argv.slice(2);
const repeat = Number(repeatText ?? 3);
const limits: ViewerLimits = { maxFileBytes: 4096 * 1024 * 1024, maxElements: 100_000_000 };
const baseRss = process.resourceUsage().maxRSS * 1024;
const times: number[] = [];
const cpu: number[] = [];
let last: Awaited<ReturnType<typeof previewFile>> | undefined;
for (let i = 0; i < repeat; i++) {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  if (kind === 'histogram') {
    const h = await histogramFile({ path: path!, sliceIndex: -1, bins: 256, display: { stretch: 'zscale' }, limits });
    JSON.stringify(h);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1e6);
    times.push((performance.now() - t0) / 1000);
    continue;
  }
  last = kind === 'thumbnail'
    ? await thumbnailFile(path!, limits)
    : await previewFile({
      path: path!, sliceIndex: -1, display: { stretch: 'zscale' }, colormap: 'gray', width: 1000, height: 1000,
      format: 'png', quality: 90, nanColor: { r: 0, g: 0, b: 0, a: 0 }, limits,
    });
  const c = process.cpuUsage(c0);
  cpu.push((c.user + c.system) / 1e6);
  times.push((performance.now() - t0) / 1000);
}
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
