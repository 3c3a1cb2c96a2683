/**
 * The service as a whole under load: BENCH_CLIENTS (default 100) concurrent clients, each asking
 * GET /preview for a 4096x4096 float32 file in a closed loop for BENCH_SECONDS (default 30), with
 * mixed sizes (256, 512, 1000 and 1600 px, PNG and JPEG). Every request has its own cache key (a
 * gamma perturbed by 1e-9 per request), so each one is rendered, none served from the render cache.
 * The engine runs in its own process (bench/service/server.ts, 2 pool workers); it reports
 * previews per second, latency p50/p90/p99/max, the engine's peak RSS (VmHWM), its CPU time over
 * the run as a share of both cores (from /proc/PID/stat, all threads), and (through the bench
 * runner's preload) its event-loop delay.
 *
 * Usage: npm run bench -- service        (BENCH_CLIENTS, BENCH_SECONDS, BENCH_SIZE=4096, BENCH_WORKERS=2)
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { encodeFits } from '../../src/fits/index.js';
import { recordResult } from '../lib/results.js';

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 100);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const SIZE = Number(process.env.BENCH_SIZE ?? 4096);
const root = fileURLToPath(new URL('../..', import.meta.url));

/** A sky-like plane: 100 + a gradient + hashed uniform noise, NaN in a 16-px band at the top and left. */
async function writeImage(path: string, n: number): Promise<void> {
  const plane = new Float32Array(n * n);
  for (let y = 0; y < n; y++) {
    const row = plane.subarray(y * n, (y + 1) * n);
    if (y < 16) {
      row.fill(NaN);
      continue;
    }
    for (let x = 0; x < n; x++) {
      const h = Math.imul(Math.imul(x + 1, 0x9e3779b1) ^ Math.imul(y + 1, 0x85ebca6b), 0xc2b2ae35) >>> 0;
      row[x] = x < 16 ? NaN : 100 + 0.01 * x + (h / 2 ** 32) * 6;
    }
  }
  await writeFile(path, await encodeFits([{ axes: [], cards: [] }, { axes: [n, n], data: plane, extname: 'SCI', cards: [] }]));
}

/** utime + stime of a process and all its threads, in seconds. */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks (USER_HZ = 100)
}

async function peakRssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const m = /VmHWM:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) / 1024 : NaN;
}

const pct = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor((q / 100) * sorted.length))]!;

const dataDir = await mkdtemp(join(tmpdir(), 'bench-throughput-'));
const server = spawn(process.execPath, ['--import', 'tsx', join(root, 'bench', 'service', 'server.ts'), dataDir], { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
try {
  await writeImage(join(dataDir, 'image.fits'), SIZE);
  const first = await new Promise<string>((resolve, reject) => {
    createInterface({ input: server.stdout! }).once('line', resolve);
    server.once('exit', (code) => reject(new Error(`engine exited (${code})`)));
  });
  const { url, pid } = JSON.parse(first) as { url: string; pid: number };
  const sizes = [256, 512, 1000, 1600];
  let seq = 0;
  const ask = async (): Promise<{ ms: number; width: number; ok: boolean }> => {
    const n = seq++;
    const width = sizes[n % sizes.length]!;
    const format = n % 3 === 0 ? 'jpeg' : 'png';
    const gamma = (1 + n * 1e-9).toFixed(10);
    const t0 = performance.now();
    const r = await fetch(`${url}/preview/bench?file_path=image.fits&width=${width}&height=${width}&format=${format}&gamma=${gamma}`);
    await r.arrayBuffer();
    return { ms: performance.now() - t0, width, ok: r.status === 200 };
  };
  // warm-up: every worker renders once
  await Promise.all(Array.from({ length: 4 }, ask));
  const cpu0 = await cpuSeconds(pid);
  const t0 = performance.now();
  const deadline = t0 + SECONDS * 1000;
  const latencies: number[] = [];
  const bySize = new Map<number, number[]>();
  let failed = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (performance.now() < deadline) {
        const r = await ask();
        if (!r.ok) failed++;
        latencies.push(r.ms);
        if (!bySize.has(r.width)) bySize.set(r.width, []);
        bySize.get(r.width)!.push(r.ms);
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = (await cpuSeconds(pid)) - cpu0;
  const rss = await peakRssMiB(pid);
  const sorted = [...latencies].sort((a, b) => a - b);
  const rate = latencies.length / elapsed;
  const busy = cpu / elapsed / cpus().length;
  const [p50, p90, p99] = [pct(sorted, 50), pct(sorted, 90), pct(sorted, 99)];
  console.log(`service throughput: ${CLIENTS} clients, ${SIZE}x${SIZE} float32, ${elapsed.toFixed(1)} s, ${latencies.length} previews (${failed} failed)`);
  console.log(`  previews/s            ${rate.toFixed(2)}`);
  console.log(`  latency p50/p90/p99   ${(p50 / 1000).toFixed(2)} / ${(p90 / 1000).toFixed(2)} / ${(p99 / 1000).toFixed(2)} s (max ${(sorted[sorted.length - 1]! / 1000).toFixed(2)} s; p99/p50 ${(p99 / p50).toFixed(1)})`);
  for (const [w, xs] of [...bySize].sort((a, b) => a[0] - b[0])) {
    const s = xs.sort((a, b) => a - b);
    console.log(`  ${String(w).padStart(4)} px: ${String(s.length).padStart(4)} requests, p50 ${(pct(s, 50) / 1000).toFixed(2)} s, p99 ${(pct(s, 99) / 1000).toFixed(2)} s`);
  }
  console.log(`  engine CPU            ${cpu.toFixed(1)} s = ${(busy * 100).toFixed(0)} % of ${cpus().length} cores`);
  console.log(`  engine peak RSS       ${rss.toFixed(0)} MiB`);
  const extra = { clients: CLIENTS, seconds: SECONDS, size: SIZE, failed };
  recordResult({ case: 'previews', metric: 'previews/s', ours: rate, higherIsBetter: true, extra });
  recordResult({ case: 'previews', metric: 'latency p50 ms', ours: p50, higherIsBetter: false, extra });
  recordResult({ case: 'previews', metric: 'latency p99 ms', ours: p99, higherIsBetter: false, extra });
  recordResult({ case: 'previews', metric: 'engine CPU share of all cores', ours: busy, higherIsBetter: true, extra });
  recordResult({ case: 'previews', metric: 'engine peak RSS MiB', ours: rss, higherIsBetter: false, extra });
} finally {
  server.stdin!.end();
  await new Promise((resolve) => server.once('exit', resolve));
  await rm(dataDir, { recursive: true, force: true });
}
