/**
 * Jobs through the job core, in-process vs over Redis (BullMQ), as real processes:
 *   1. throughput: BENCH_JOBS (default 200) small analysis jobs (`statistics` of a 200x200 image)
 *      submitted at once; jobs/s from the first submit to the last completion and end-to-end
 *      latency per job (record createdAt -> finishedAt, median and p95), with the jobs run
 *      (a) in the API process, (b) by 1 worker process, (c) by 2 worker processes (API without
 *      local workers);
 *   2. overhead per job: BENCH_SEQUENTIAL (default 30) jobs one after the other, in-process vs
 *      1 Redis worker: the difference of the median latencies is what the queue adds;
 *   3. peak RSS (VmHWM) of the API and of each worker process at the end of each setup.
 * A private redis-server is started on a free port (test/helpers/redis.ts).
 *
 * THE FIGURES NEED A QUIET MACHINE (2 free cores): on a shared one they measure the neighbours.
 * Usage: npm run bench -- jobs      (BENCH_JOBS=20 BENCH_SEQUENTIAL=5 for a smoke run)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, spawnEngine, spawnWorker, waitForHealth, type SpawnedEngine } from '../../test/helpers/engine-process.js';
import { TestRedis } from '../../test/helpers/redis.js';
import { writeTile } from '../../test/api/sky-files.js';
import { tempDir } from '../../test/jobs/redis/cluster.js';

const N = Number(process.env.BENCH_JOBS ?? 200);
const SEQUENTIAL = Number(process.env.BENCH_SEQUENTIAL ?? 30);
type Json = Record<string, any>;

interface Setup {
  readonly name: string;
  readonly workers: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
};
const peakRssMb = (pid: number | undefined) => {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmHWM:'));
    return Number(line?.split(/\s+/)[1]) / 1024;
  } catch {
    return NaN;
  }
};

async function run(setup: Setup, redis: TestRedis | undefined, dataDir: string): Promise<{ jobsPerSec: number; median: number; p95: number; sequential: number; rss: string }> {
  const apiPort = await freePort();
  const env: Record<string, string> = {
    HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'warn', WORKER_THREADS: '1', MAX_CONCURRENT_RENDERS: '2', LIBRARY_SCAN_ON_START: 'false',
    ...(redis ? { REDIS_URL: redis.url, JOB_QUEUE_PREFIX: `bench-${setup.workers}` } : {}),
  };
  const procs: SpawnedEngine[] = [];
  const api = spawnEngine({ ...env, PORT: String(apiPort), ...(redis ? { RUN_LOCAL_WORKERS: 'false' } : {}) });
  procs.push(api);
  try {
    await waitForHealth(apiPort, api, 120_000);
    for (let i = 0; i < setup.workers; i++) {
      const port = await freePort();
      const w = spawnWorker({ ...env, PORT: String(port) });
      procs.push(w);
      await waitForHealth(port, w, 120_000);
    }
    const call = async (method: string, path: string, body?: unknown): Promise<Json> => {
      const res = await fetch(`http://127.0.0.1:${apiPort}${path}`, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
      return (await res.json()) as Json;
    };
    const submit = async (i: number) => (await call('POST', '/process/jobs', { data_id: `b${i}`, algorithm: 'statistics', parameters: {}, file_path: 'b/tile.fits' })).job_id as string;
    const settled = async (id: string): Promise<Json> => {
      for (;;) {
        const j = await call('GET', `/api/jobs/${id}`);
        if (j.state === 'completed' || j.state === 'failed') return j;
        await sleep(5);
      }
    };
    // Warm-up (pool threads, code paths), a few jobs at once so that every worker gets some.
    await Promise.all((await Promise.all(Array.from({ length: 4 * Math.max(1, setup.workers) }, (_, i) => submit(-1 - i)))).map(settled));

    const t0 = performance.now();
    const ids = await Promise.all(Array.from({ length: N }, (_, i) => submit(i)));
    const done = await Promise.all(ids.map(settled));
    const seconds = (performance.now() - t0) / 1000;
    const latencies = done.map((j) => Date.parse(j.finishedAt) - Date.parse(j.createdAt));

    const seq: number[] = [];
    for (let i = 0; i < SEQUENTIAL; i++) {
      const j = await settled(await submit(N + i));
      seq.push(Date.parse(j.finishedAt) - Date.parse(j.createdAt));
    }
    const rss = procs.map((p, i) => `${i === 0 ? 'api' : `w${i}`} ${peakRssMb(p.child.pid).toFixed(0)}`).join(', ');
    return { jobsPerSec: N / seconds, median: quantile(latencies, 0.5), p95: quantile(latencies, 0.95), sequential: quantile(seq, 0.5), rss };
  } finally {
    for (const p of procs) p.child.kill('SIGTERM');
    await Promise.all(procs.map((p) => p.exited));
  }
}

const dirs = await tempDir('bench-jobs-');
const redis = await TestRedis.start();
try {
  await writeTile(dirs.dir, { name: 'b/tile.fits', ra: 150, dec: 2, width: 200, height: 200, scale: 1e-4, value: (x, y) => (x * 7 + y * 3) % 11 });
  process.stdout.write(`${N} statistics jobs at once, then ${SEQUENTIAL} one by one (latency = record createdAt -> finishedAt, ms)\n`);
  process.stdout.write('setup                     jobs/s   median   p95   sequential median   peak RSS MB\n');
  const rows: Array<[Setup, TestRedis | undefined]> = [
    [{ name: 'in-process (API runs them)', workers: 0 }, undefined],
    [{ name: 'Redis, 1 worker', workers: 1 }, redis],
    [{ name: 'Redis, 2 workers', workers: 2 }, redis],
  ];
  const seq: number[] = [];
  for (const [setup, r] of rows) {
    const res = await run(setup, r, join(dirs.dir));
    seq.push(res.sequential);
    process.stdout.write(`${setup.name.padEnd(26)}${res.jobsPerSec.toFixed(1).padStart(6)}${res.median.toFixed(0).padStart(9)}${res.p95.toFixed(0).padStart(6)}${res.sequential.toFixed(0).padStart(20)}   ${res.rss}\n`);
  }
  process.stdout.write(`queue overhead per job (sequential median, Redis 1 worker - in-process): ${(seq[1]! - seq[0]!).toFixed(1)} ms\n`);
  process.stdout.write('Figures are only meaningful on a quiet machine.\n');
} finally {
  await redis.stop();
  await dirs.cleanup();
}
