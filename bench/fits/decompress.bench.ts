/**
 * Decode throughput of tile-compressed images (RICE_1, GZIP_1, GZIP_2, HCOMPRESS_1 on int16 and
 * RICE_1 on dithered float32) at ~2048x2048, ours vs astropy (cfitsio) side by side. The compressed
 * files are written by astropy into a temporary directory at bench time (we have no encoders), so
 * this bench needs /usr/bin/python3 with astropy; without it, it says so and exits 0.
 *
 * Rounds alternate: astropy decodes every file (2 reads in one process, the best kept), then we do
 * (2 reads of each file in this process, as astropy's); the figures are the best of
 * BENCH_REPEAT rounds of each side, wall and CPU time, after 3 unmeasured warm-up reads of each file
 * on our side (V8 optimises the decoders during the first reads; cfitsio is compiled ahead of time).
 *
 * Our side runs as the engine runs in production (`npm start`, the Dockerfile): with
 * GLIBC_TUNABLES=glibc.malloc.hugetlb=1, so the 16 MB output array of each read is backed by huge
 * pages, as numpy's are (it asks with madvise). Without it, faulting in fresh 4 KiB pages costs
 * 55-80 ms CPU per 16 MB on this VM (the host takes freed guest memory back), more than the
 * decoding itself; BENCH_HUGETLB=0 measures that configuration.
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
import { recordResult } from '../lib/results.js';
import { rerunWithTunables } from '../lib/tunables.js';

interface PyCase {
  path: string;
  compressed_bytes: number;
  pixels: number;
  sum: number;
}

const size = Number(process.env.BENCH_SIZE ?? 2048);
const repeat = Number(process.env.BENCH_REPEAT ?? 5);

const rerun = await rerunWithTunables(process.env.BENCH_HUGETLB === '0' ? '' : 'glibc.malloc.hugetlb=1', import.meta.url);
if (rerun !== undefined) process.exit(rerun);

if (!pythonHas('astropy', 'numpy')) {
  console.log('decompress bench skipped: /usr/bin/python3 with astropy is needed to write the compressed files');
  process.exit(0);
}

async function decodeOnce(path: string): Promise<{ wall: number; cpu: number; sum: number }> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const file = await FitsFile.open(path);
  const plane = await readPlane(file, 1);
  await file.close();
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  let sum = 0;
  for (let k = 0; k < plane.data.length; k++) if (!Number.isNaN(plane.data[k])) sum += plane.data[k]!;
  return { wall, cpu: (c.user + c.system) / 1e6, sum };
}

const dir = await mkdtemp(join(tmpdir(), 'bench-decompress-'));
let peakRss = process.memoryUsage().rss;
try {
  const script = fileURLToPath(new URL('./decompress.py', import.meta.url));
  const made = runPythonJson<{ astropy: string; results: Record<string, PyCase> }>(script, ['write', dir, String(size)]);
  const cases = Object.entries(made.results);
  const paths = cases.map(([, c]) => c.path);
  const ours = new Map(cases.map(([name]) => [name, { wall: [] as number[], cpu: [] as number[], sum: NaN }]));
  const theirs = new Map(cases.map(([name]) => [name, { wall: [] as number[], cpu: [] as number[] }]));
  // warm-up: V8 compiles the decoders on the first reads (cfitsio is compiled ahead of time)
  for (let k = 0; k < 3; k++) for (const p of paths) await decodeOnce(p);
  for (let round = 0; round < repeat; round++) {
    const py = runPythonJson<Record<string, { best_s: number; best_cpu_s: number }>>(script, ['time', '2', ...paths]);
    for (const [name, c] of cases) {
      theirs.get(name)!.wall.push(py[c.path]!.best_s);
      theirs.get(name)!.cpu.push(py[c.path]!.best_cpu_s);
      const o = ours.get(name)!;
      for (let k = 0; k < 2; k++) {
        const r = await decodeOnce(c.path);
        o.wall.push(r.wall);
        o.cpu.push(r.cpu);
        o.sum = r.sum;
      }
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }
  }
  const rows: string[][] = [];
  const refName = `astropy ${made.astropy} (cfitsio)`;
  for (const [name, c] of cases) {
    const o = ours.get(name)!;
    const t = theirs.get(name)!;
    const mb = (c.pixels * 2) / 1e6; // uncompressed int16-equivalent megabytes
    const [ow, oc, tw, tc] = [o.wall, o.cpu, t.wall, t.cpu].map((xs) => mb / Math.min(...xs)) as [number, number, number, number];
    const same = Math.abs(o.sum - c.sum) <= 1e-6 * Math.max(1, Math.abs(c.sum));
    rows.push([name, (c.compressed_bytes / 1e6).toFixed(2), ow.toFixed(1), tw.toFixed(1), (ow / tw).toFixed(2), oc.toFixed(1), tc.toFixed(1), (oc / tc).toFixed(2), same ? 'yes' : `NO (${o.sum} vs ${c.sum})`]);
    recordResult({ case: name, metric: 'MB/s wall', ours: ow, reference: tw, referenceName: refName, higherIsBetter: true, extra: { size, rounds: repeat } });
    recordResult({ case: name, metric: 'MB/s CPU', ours: oc, reference: tc, referenceName: refName, higherIsBetter: true, extra: { size, rounds: repeat, sameSum: same } });
  }
  const header = ['codec', 'stored MB', 'ours MB/s', `astropy ${made.astropy} MB/s`, 'ratio', 'ours MB/cpu-s', 'astropy MB/cpu-s', 'CPU ratio', 'same sum'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  console.log(`tile decompression, ${size}x${size} image (MB of 16-bit pixels decoded per second of wall and of CPU time; best of ${repeat} alternating rounds; ours with GLIBC_TUNABLES=${process.env.GLIBC_TUNABLES ?? '(none)'})`);
  console.log(line(header));
  for (const r of rows) console.log(line(r));
  console.log(`peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
