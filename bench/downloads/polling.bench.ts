/**
 * Issue #20 (session 17): what reading a download job while it runs costs the engine's event loop.
 * A backend polls GET /mast/download/progress-chunked/{id} and the jobs lists every 500 ms per job,
 * or holds an SSE stream, while the same event loop drives the download.
 *
 * The engine runs in its own process (bench/downloads/polling-server.ts: startEngine, SQLite job
 * store, fsync off, 1 pool thread), the files come from bench/downloads/range-server.ts (its own
 * process). For each file count (BENCH_FILES, default 2000,5000) and each case it starts one
 * download job of that many 2 KB files (POST /mast/download/start-chunked) and measures a window of
 * BENCH_SECONDS (default 8) while the job runs, then cancels and dismisses the job:
 *   - `poll N`: N clients (BENCH_CLIENTS, default 0,1,10,50), each on its own keep-alive socket,
 *     every 500 ms (staggered) asks GET /mast/download/progress-chunked/{id}, GET
 *     /mast/download/jobs and GET /api/jobs?kind=download, one after the other;
 *   - `sse N`: N clients (BENCH_SSE, default 1,10) hold GET /mast/download/events/{id} open.
 * It prints the engine's event-loop delay over the window (p50/p99/max, monitorEventLoopDelay at
 * 1 ms), its CPU (user + sys, all threads) per second of window, each route's latency (p50/p99) and
 * answer size, the polls made, and the CPU per poll: (CPU of the case - CPU of `poll 0` of the same
 * file count) / polls, an estimate (the download's own CPU moves with what the polls leave it), and
 * the files the job had completed when the window ended (how much the polling slowed it). After
 * the window of `poll 0`, the job still running, one answer of each polled route (and GET
 * /api/jobs/{id}) is timed in the engine process (7 `inject`s each, min and median): the event-loop
 * time of one poll, without sockets.
 *
 * Usage: npm run bench -- polling   (BENCH_FILES, BENCH_CLIENTS, BENCH_SSE, BENCH_SECONDS; BENCH_CPU_PROF=DIR
 * for a V8 CPU profile of the engine process)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { median, recordResult } from '../lib/results.js';

const FILES = (process.env.BENCH_FILES ?? '2000,5000').split(',').map(Number).filter((n) => n > 0);
const CLIENTS = (process.env.BENCH_CLIENTS ?? '0,1,10,50').split(',').map(Number).filter((n) => n >= 0);
const SSE = (process.env.BENCH_SSE ?? '1,10').split(',').map(Number).filter((n) => n > 0);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const INTERVAL_MS = 500;
const root = fileURLToPath(new URL('../..', import.meta.url));

interface Eld { p50_ms: number; p99_ms: number; max_ms: number; count: number }

function lineReader(child: ChildProcess): { rl: Interface; next(): Promise<string> } {
  const rl = createInterface({ input: child.stdout! });
  const queue: string[] = [];
  const waiting: Array<(l: string) => void> = [];
  rl.on('line', (l) => {
    const w = waiting.shift();
    if (w) w(l);
    else queue.push(l);
  });
  return { rl, next: () => (queue.length ? Promise.resolve(queue.shift()!) : new Promise((r) => waiting.push(r))) };
}

interface Answer { status: number; bytes: number; body: string; ms: number }

function call(agent: Agent, base: string, method: string, path: string, body?: object): Promise<Answer> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const payload = body ? JSON.stringify(body) : undefined;
    const req = request(`${base}${path}`, { method, agent, headers: payload ? { 'content-type': 'application/json' } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const b = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, bytes: b.length, body: b.toString('utf8'), ms: performance.now() - t0 });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

const fileDir = await mkdtemp(join(tmpdir(), 'bench-polling-files-'));
const dataDir = await mkdtemp(join(tmpdir(), 'bench-polling-data-'));
const NAME = (i: number) => `jw01234-o001_t001_nircam_${String(i).padStart(5, '0')}_x1d.json`;
const body = Buffer.alloc(2048, 7);
await mkdir(fileDir, { recursive: true });
for (let i = 0; i < Math.max(...FILES); i++) await writeFile(join(fileDir, NAME(i)), body);

const tsx = ['--import', 'tsx'];
const range = spawn(process.execPath, [...tsx, join(root, 'bench/downloads/range-server.ts'), fileDir], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
const rangeLines = lineReader(range);
const rangeUrl = `http://127.0.0.1:${(await rangeLines.next()).split(' ')[1]}`;
// BENCH_CPU_PROF=DIR: a V8 CPU profile of the engine process, written when it exits.
const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : [];
const server = spawn(process.execPath, [...prof, ...tsx, join(root, 'bench/downloads/polling-server.ts'), dataDir, rangeUrl], { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
const lines = lineReader(server);
const { url: base } = JSON.parse(await lines.next()) as { url: string; pid: number };
const control = new Agent({ keepAlive: true, maxSockets: 4 });

console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}, node ${process.version}, window ${SECONDS} s, polls every ${INTERVAL_MS} ms`);
console.log('| files | case | loop p50 / p99 / max ms | engine CPU s per s | polls | progress p50 / p99 ms (KB) | mast jobs p50 / p99 ms (KB) | api jobs p50 / p99 ms (KB) | SSE events (MB) | CPU ms per poll | files done |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|');

let caseNo = 0;
async function runCase(files: number, mode: 'poll' | 'sse', clients: number, baselineCpuPerS: number | undefined): Promise<number> {
  const obsId = `jw01234-o${String(100 + (caseNo++ % 800)).padStart(3, '0')}_t001_nircam`;
  server.stdin!.write(`products ${obsId} ${fileDir} ${files}\n`);
  await lines.next();
  // The list names files by the observation; the range server serves them by name.
  const start = await call(control, base, 'POST', '/mast/download/start-chunked', { obs_id: obsId, extension: ['*'] });
  if (start.status !== 200) throw new Error(`start: ${start.status} ${start.body}`);
  const id = (JSON.parse(start.body) as { job_id: string }).job_id;
  // Wait for its file list (the job is running and knows its files).
  for (;;) {
    const p = JSON.parse((await call(control, base, 'GET', `/mast/download/progress-chunked/${id}`)).body) as { total_files: number; stage: string };
    if (p.total_files > 0 && p.stage === 'downloading') break;
    await new Promise((r) => setTimeout(r, 20));
  }
  server.stdin!.write('start\n');
  const t0 = performance.now();
  const until = t0 + SECONDS * 1000;
  const lat: Record<'progress' | 'mast' | 'api', number[]> = { progress: [], mast: [], api: [] };
  const size: Record<'progress' | 'mast' | 'api', number> = { progress: 0, mast: 0, api: 0 };
  let polls = 0;
  let sseBytes = 0;
  let sseEvents = 0;
  const agents: Agent[] = [];
  const tasks: Array<Promise<void>> = [];
  const sse: Array<{ destroy(): void }> = [];
  for (let c = 0; c < clients; c++) {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(agent);
    if (mode === 'poll') {
      tasks.push((async () => {
        await new Promise((r) => setTimeout(r, (c * INTERVAL_MS) / clients));
        while (performance.now() < until) {
          const tick = performance.now();
          for (const [key, path] of [['progress', `/mast/download/progress-chunked/${id}`], ['mast', '/mast/download/jobs'], ['api', '/api/jobs?kind=download']] as const) {
            const a = await call(agent, base, 'GET', path);
            if (a.status !== 200) throw new Error(`${path}: ${a.status}`);
            lat[key].push(a.ms);
            size[key] = a.bytes;
            polls++;
          }
          const wait = INTERVAL_MS - (performance.now() - tick);
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        }
      })());
    } else {
      const req = request(`${base}/mast/download/events/${id}`, { agent }, (res) => {
        res.on('data', (b: Buffer) => {
          sseBytes += b.length;
          for (let i = b.indexOf('event: '); i !== -1; i = b.indexOf('event: ', i + 1)) sseEvents++;
        });
        res.on('error', () => undefined);
      });
      req.on('error', () => undefined);
      req.end();
      sse.push(req);
    }
  }
  await Promise.all(tasks);
  const left = until - performance.now();
  if (left > 0) await new Promise((r) => setTimeout(r, left));
  const wall = (performance.now() - t0) / 1000;
  server.stdin!.write('stop\n');
  const { eld, cpu_s } = JSON.parse(await lines.next()) as { eld: Eld; cpu_s: number };
  for (const s of sse) s.destroy();
  // One answer of each route, in-process, the job still running (after the window; once per file count).
  let probed = '';
  if (mode === 'poll' && clients === 0) {
    server.stdin!.write(`probe ${id}\n`);
    const { probe } = JSON.parse(await lines.next()) as { probe: Record<string, { min_ms: number; median_ms: number; bytes: number }> };
    probed = Object.entries(probe).map(([k, v]) => `${k} ${v.min_ms.toFixed(2)} / ${v.median_ms.toFixed(2)} ms (${(v.bytes / 1024).toFixed(0)} KB)`).join(', ');
    for (const [k, v] of Object.entries(probe)) recordResult({ case: `${files} files, one ${k} answer (inject)`, metric: 'ms min', ours: v.min_ms, higherIsBetter: false, extra: { median_ms: v.median_ms, bytes: v.bytes } });
  }
  const p = JSON.parse((await call(control, base, 'GET', `/mast/download/progress-chunked/${id}`)).body) as { downloaded_files: number; total_files: number };
  await call(control, base, 'POST', `/mast/download/cancel/${id}`);
  await call(control, base, 'DELETE', `/mast/download/resumable/${id}?delete_files=true`);
  for (const a of agents) a.destroy();
  const cpuPerS = cpu_s / wall;
  const perPoll = baselineCpuPerS === undefined || polls === 0 ? NaN : ((cpuPerS - baselineCpuPerS) * wall * 1000) / polls;
  const l = (k: keyof typeof lat) => (lat[k].length ? `${median(lat[k]).toFixed(1)} / ${pct(lat[k], 99).toFixed(1)} (${(size[k] / 1024).toFixed(0)})` : '-');
  const label = `${mode} ${clients}`;
  console.log(`| ${files} | ${label} | ${eld.p50_ms.toFixed(1)} / ${eld.p99_ms.toFixed(1)} / ${eld.max_ms.toFixed(1)} | ${cpuPerS.toFixed(2)} | ${polls} | ${l('progress')} | ${l('mast')} | ${l('api')} | ${mode === 'sse' ? `${sseEvents} (${(sseBytes / 1e6).toFixed(1)})` : '-'} | ${Number.isFinite(perPoll) ? perPoll.toFixed(2) : '-'} | ${p.downloaded_files}/${p.total_files} |`);
  const extra = { files, clients, polls, cpuPerS, files_done: p.downloaded_files, sse_events: sseEvents, load1: loadavg()[0]! };
  recordResult({ case: `${files} files, ${label}`, metric: 'engine event-loop p99 ms', ours: eld.p99_ms, higherIsBetter: false, extra: { ...extra, p50_ms: eld.p50_ms, max_ms: eld.max_ms } });
  if (mode === 'poll' && clients > 0) {
    recordResult({ case: `${files} files, ${label}`, metric: 'progress-chunked p99 ms', ours: pct(lat.progress, 99), higherIsBetter: false, extra: { p50: median(lat.progress), bytes: size.progress } });
    recordResult({ case: `${files} files, ${label}`, metric: 'engine CPU ms per poll', ours: perPoll, higherIsBetter: false, extra });
  }
  if (probed) probes.push(`${files} files, one answer in-process (min / median of 7): ${probed}`);
  return cpuPerS;
}
const probes: string[] = [];

try {
  for (const files of FILES) {
    let baseline: number | undefined;
    for (const n of CLIENTS) {
      const cpu = await runCase(files, 'poll', n, n === 0 ? undefined : baseline);
      if (n === 0) baseline = cpu;
    }
    for (const n of SSE) await runCase(files, 'sse', n, baseline);
  }
  for (const p of probes) console.log(p);
} finally {
  server.stdin!.end();
  await new Promise((r) => server.once('exit', r));
  range.kill();
  control.destroy();
  await rm(fileDir, { recursive: true, force: true });
  await rm(dataDir, { recursive: true, force: true });
}
