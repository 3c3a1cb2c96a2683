/**
 * One measurement of bench/fits/read.bench.ts, run in its own process so that its peak RSS is its own.
 * Usage: tsx bench/fits/read-task.ts sci|stats FILE REPEAT [prewarm [RESIDENT_MB]]  -> prints one JSON line.
 * `prewarm` runs the measurement as an engine pool thread does (src/workers/worker.ts): in a worker
 * thread (whose plain reads are synchronous), after prewarmFitsReader() has finished, as it has in a
 * thread started with the engine before any request; RESIDENT_MB is the thread's resident plane
 * buffer (WORKER_PLANE_BUFFER_MB, the engine's default when left out).
 */
import { Worker, isMainThread } from 'node:worker_threads';
import type { ImagePlane } from '../../src/core/image-plane.js';
import { loadSettings } from '../../src/config.js';
import { FitsFile, prewarmFitsReader, readPlane, readPlaneRows, releasePlane } from '../../src/fits/index.js';

const [task, path, repeatText, start, residentText] = process.argv.slice(2);
const repeat = Number(repeatText ?? 3);
const inWorker = start === 'prewarm';
if (inWorker && isMainThread) {
  // The same script in a worker thread, with the same arguments; it prints the result line.
  const worker = new Worker(new URL(import.meta.url), { argv: process.argv.slice(2) });
  await new Promise<void>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker exited with ${code}`))));
  });
} else if (inWorker) {
  const residentPlaneBytes = residentText === undefined ? loadSettings({}).workerPlaneBufferBytes : Number(residentText) * 1024 * 1024;
  await prewarmFitsReader({ residentPlaneBytes });
}

interface Moments {
  n: number;
  nan: number;
  min: number;
  max: number;
  sum: number;
  sumsq: number;
}

function accumulate(m: Moments, data: Float32Array | Float64Array): void {
  let { n, nan, min, max, sum, sumsq } = m;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v !== v) {
      nan++;
      continue;
    }
    n++;
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    sumsq += v * v;
  }
  Object.assign(m, { n, nan, min, max, sum, sumsq });
}

let previous: ImagePlane | undefined;

/** The first read in a process is "cold" (fresh memory); later ones reuse the released plane's memory. */
async function sci(): Promise<{ seconds: number; cpu: number; bytes: number; check: number }> {
  if (previous) releasePlane(previous);
  const c0 = process.cpuUsage(); // the whole process's user + system time: every thread
  const t0 = performance.now();
  const file = await FitsFile.open(path!);
  const plane = await readPlane(file, 'SCI');
  await file.close();
  const seconds = (performance.now() - t0) / 1000;
  previous = plane;
  const c = process.cpuUsage(c0);
  return { seconds, cpu: (c.user + c.system) / 1e6, bytes: plane.data.length * 4, check: plane.data[plane.data.length >> 1]! };
}

async function stats(): Promise<{ seconds: number; bytes: number; check: number; mean: number; std: number; nan: number }> {
  const t0 = performance.now();
  const file = await FitsFile.open(path!);
  const m: Moments = { n: 0, nan: 0, min: Infinity, max: -Infinity, sum: 0, sumsq: 0 };
  let bytes = 0;
  for (const hdu of file.hdus) {
    if (hdu.kind !== 'image' || hdu.axes.length < 2) continue;
    for await (const band of readPlaneRows(file, hdu)) {
      accumulate(m, band.data);
      bytes += band.data.length * Math.abs(hdu.bitpix) / 8;
    }
  }
  await file.close();
  const seconds = (performance.now() - t0) / 1000;
  const mean = m.sum / m.n;
  return { seconds, bytes, check: m.max, mean, std: Math.sqrt(m.sumsq / m.n - mean * mean), nan: m.nan };
}

if (!(inWorker && isMainThread)) {
  const runs = [];
  for (let i = 0; i < repeat; i++) runs.push(task === 'sci' ? await sci() : await stats());
  const best = runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  const later = runs.slice(1);
  const warm = later.length ? later.reduce((a, b) => (b.seconds < a.seconds ? b : a)).seconds : undefined;
  console.log(JSON.stringify({ ...best, cold: runs[0]!.seconds, coldCpu: (runs[0] as { cpu?: number }).cpu, warm, peakRssMB: process.resourceUsage().maxRSS / 1024 }));
}
