/**
 * Decode throughput of tile-compressed images (RICE_1, GZIP_1, GZIP_2, HCOMPRESS_1 on int16 and
 * RICE_1 on dithered float32) at ~2048x2048, ours vs astropy side by side. The compressed files
 * are written by astropy into a temporary directory at bench time (we have no encoders), so this
 * bench needs /usr/bin/python3 with astropy; without it, it says so and exits 0.
 *
 * Usage: npm run bench -- decompress        (env BENCH_SIZE=1024 BENCH_REPEAT=3 for a quick run)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FitsFile } from '../../src/fits/file.js';
import { readPlane } from '../../src/fits/image.js';
import { pythonHas, runPythonJson } from '../lib/python.js';

interface PyResult {
  path: string;
  compressed_bytes: number;
  pixels: number;
  best_s: number;
  median_s: number;
  best_cpu_s: number;
  sum: number;
}

const size = Number(process.env.BENCH_SIZE ?? 2048);
const repeat = Number(process.env.BENCH_REPEAT ?? 5);

if (!pythonHas('astropy', 'numpy')) {
  console.log('decompress bench skipped: /usr/bin/python3 with astropy is needed to write the compressed files');
  process.exit(0);
}

const dir = await mkdtemp(join(tmpdir(), 'bench-decompress-'));
let peakRss = process.memoryUsage().rss;
try {
  const script = fileURLToPath(new URL('./decompress.py', import.meta.url));
  const py = runPythonJson<{ astropy: string; results: Record<string, PyResult> }>(script, [dir, String(size), String(repeat)]);
  const rows: string[][] = [];
  for (const [name, r] of Object.entries(py.results)) {
    const times: number[] = [];
    const cpu: number[] = [];
    let sum = 0;
    for (let i = 0; i < repeat; i++) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      const file = await FitsFile.open(r.path);
      const plane = await readPlane(file, 1);
      await file.close();
      times.push((performance.now() - t0) / 1000);
      const c = process.cpuUsage(c0);
      cpu.push((c.user + c.system) / 1e6);
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      if (i === 0) for (let k = 0; k < plane.data.length; k++) if (!Number.isNaN(plane.data[k])) sum += plane.data[k]!;
    }
    const best = Math.min(...times);
    const bestCpu = Math.min(...cpu);
    const mb = (r.pixels * 2) / 1e6; // uncompressed int16-equivalent megabytes
    const same = Math.abs(sum - r.sum) <= 1e-6 * Math.max(1, Math.abs(r.sum));
    rows.push([
      name,
      (r.compressed_bytes / 1e6).toFixed(2),
      `${(mb / best).toFixed(1)}`,
      `${(mb / r.best_s).toFixed(1)}`,
      (r.best_s / best).toFixed(2),
      `${(mb / bestCpu).toFixed(1)}`,
      `${(mb / r.best_cpu_s).toFixed(1)}`,
      same ? 'yes' : `NO (${sum} vs ${r.sum})`,
    ]);
  }
  const header = ['codec', 'stored MB', 'ours MB/s', `astropy ${py.astropy} MB/s`, 'ours/astropy', 'ours MB/cpu-s', 'astropy MB/cpu-s', 'same sum'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  console.log(`tile decompression, ${size}x${size} image (MB of 16-bit pixels decoded per second of wall and of CPU time, best of ${repeat})`);
  console.log(line(header));
  for (const r of rows) console.log(line(r));
  console.log(`peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
