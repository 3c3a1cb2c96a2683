/**
 * Jobs through the job core, in-process vs over Redis (BullMQ), as real processes. Each setup
 * starts its own API process (and workers) on one private redis-server (test/helpers/redis.ts):
 * (a) the API runs the jobs itself (no Redis), (b) 1 worker process, (c) 2 worker processes (API
 * without local workers). Every process has one pool thread (WORKER_THREADS=1), so a worker uses
 * at most one core for pixels.
 *
 *   1. Batches: BENCH_JOBS (default 200) jobs submitted at once, twice:
 *      - small CPU-bound analyses, `biweight` of an 800x800 float32 image (about 50-70 ms CPU each
 *        in the pool thread; BENCH_JOB_ALGORITHM, BENCH_JOB_SIZE): what scaling out is for;
 *      - tiny ones, `statistics` of a 200x200 image (about 2 ms of pixel work): all overhead.
 *      For each: jobs/s from the records (first createdAt to last finishedAt), end-to-end latency
 *      per job (createdAt -> finishedAt, median and p95), and the CPU time each process spent per
 *      job (API, workers, Redis, this client; /proc/PID/stat, all threads). The client waits by
 *      polling one count every 100 ms, not every job.
 *   2. Queue overhead: BENCH_SEQUENTIAL (default 30) tiny jobs one after the other: median
 *      latency and the CPU time of all server processes per job. Redis minus in-process is what
 *      the queue adds to a job.
 *   3. Peak RSS (VmHWM) of the API and of each worker process.
 * From the CPU per job it also prints the most 2 workers can give over 1 on two free cores:
 * workers' CPU is what parallelises, while the API, Redis and this client share the same cores
 * (2 W / (W + A + R + C), at most 2).
 * BENCH_ROUNDS (default 1) runs the three setups that many times, alternating, so that the
 * ratios compare runs made side by side under the same load (the load average is printed).
 *
 * Usage: npm run bench -- jobs      (BENCH_JOBS=20 BENCH_SEQUENTIAL=5 for a smoke run)
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { freePort, spawnEngine, spawnWorker, waitForHealth, type SpawnedEngine } from '../../test/helpers/engine-process.js';
import { TestRedis } from '../../test/helpers/redis.js';
import { writeTile } from '../../test/api/sky-files.js';
import { tempDir } from '../../test/jobs/redis/cluster.js';
import { recordResult } from '../lib/results.js';
import { eventLoopRoleEnv, timedWorkControl } from '../lib/event-loop-role.js';

const N = Number(process.env.BENCH_JOBS ?? 200);
const SEQUENTIAL = Number(process.env.BENCH_SEQUENTIAL ?? 30);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1);
const ALGORITHM = process.env.BENCH_JOB_ALGORITHM ?? 'biweight';
const SIZE = Number(process.env.BENCH_JOB_SIZE ?? 800);
type Json = Record<string, any>;
/**
 * The API's and workers' event loops are judged from the first timed batch to the last one-by-one
 * job (one window: Node 20's monitorEventLoopDelay counts the gap before a re-enabled histogram as
 * one delay), not over their start-up and warm-up.
 */
const timedWork = timedWorkControl();

interface Setup {
  readonly name: string;
  readonly workers: number;
  readonly redis: boolean;
}

interface Cpu {
  readonly api: number;
  readonly workers: number;
  readonly redis: number;
  readonly client: number;
}

interface Batch {
  readonly jobsPerSec: number;
  readonly median: number;
  readonly p95: number;
  /** CPU ms per job of each process (workers together). */
  readonly cpu: Cpu;
}

interface Row {
  readonly heavy: Batch;
  readonly tiny: Batch;
  readonly sequential: number;
  /** CPU ms of API + workers + Redis per sequential tiny job. */
  readonly sequentialCpu: number;
  readonly rss: string;
  readonly load: number;
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
/** CPU ms (user + system, all threads) of a process so far (Linux clock ticks of 10 ms); 0 when it is gone. */
const cpuMs = (pid: number | undefined): number => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return 0;
  }
};
const clientCpuMs = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};
/** The most 2 workers can give over 1 on two free cores, from the CPU per job (see the header). */
const ceiling = (c: Cpu) => Math.min(2, (2 * c.workers) / (c.workers + c.api + c.redis + c.client));

async function run(setup: Setup, redis: TestRedis, dataDir: string, round: number): Promise<Row> {
  const load = loadavg()[0]!;
  const apiPort = await freePort();
  const env: Record<string, string> = {
    HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'warn', WORKER_THREADS: '1', MAX_CONCURRENT_RENDERS: '2', LIBRARY_SCAN_ON_START: 'false',
    ...(setup.redis ? { REDIS_URL: redis.url, JOB_QUEUE_PREFIX: `bench-${round}-${setup.workers}` } : {}),
  };
  const workers: SpawnedEngine[] = [];
  const api = spawnEngine({ ...env, ...eventLoopRoleEnv('engine'), ...timedWork.env, PORT: String(apiPort), ...(setup.redis ? { RUN_LOCAL_WORKERS: 'false' } : {}) });
  try {
    await waitForHealth(apiPort, api, 180_000);
    for (let i = 0; i < setup.workers; i++) {
      const port = await freePort();
      const w = spawnWorker({ ...env, ...eventLoopRoleEnv('engine'), ...timedWork.env, PORT: String(port) });
      workers.push(w);
      await waitForHealth(port, w, 180_000);
    }
    const call = async (method: string, path: string, body?: unknown): Promise<Json> => {
      const res = await fetch(`http://127.0.0.1:${apiPort}${path}`, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
      return (await res.json()) as Json;
    };
    const heavy = (i: number) => ({ data_id: `h${i}`, algorithm: ALGORITHM, parameters: {}, file_path: 'b/heavy.fits' });
    const tiny = (i: number) => ({ data_id: `t${i}`, algorithm: 'statistics', parameters: {}, file_path: 'b/tiny.fits' });
    const submit = async (body: Json) => (await call('POST', '/process/jobs', body)).job_id as string;
    const settled = async (id: string, pollMs: number): Promise<Json> => {
      for (;;) {
        const j = await call('GET', `/api/jobs/${id}`);
        if (j.state === 'completed' || j.state === 'failed') return j;
        await sleep(pollMs);
      }
    };
    const pending = async () => (await call('GET', '/api/jobs?kind=analysis&status=queued,running&limit=1')).total as number;
    const cpuNow = (): Cpu => ({
      api: cpuMs(api.child.pid), workers: workers.reduce((a, w) => a + cpuMs(w.child.pid), 0), redis: setup.redis ? cpuMs(redis.pid) : 0, client: clientCpuMs(),
    });
    const pids = () => [api, ...workers].map((p) => p.child.pid);
    const batch = async (body: (i: number) => Json): Promise<Batch> => {
      const c0 = cpuNow();
      const ids = await Promise.all(Array.from({ length: N }, (_, i) => submit(body(i))));
      while ((await pending()) > 0) await sleep(100);
      const c1 = cpuNow();
      const done: Json[] = [];
      for (const id of ids) done.push(await call('GET', `/api/jobs/${id}`));
      const failed = done.filter((j) => j.state !== 'completed');
      if (failed.length > 0) throw new Error(`${failed.length} jobs did not complete: ${JSON.stringify(failed[0])}`);
      const latencies = done.map((j) => Date.parse(j.finishedAt) - Date.parse(j.createdAt));
      const first = Math.min(...done.map((j) => Date.parse(j.createdAt)));
      const last = Math.max(...done.map((j) => Date.parse(j.finishedAt)));
      const per = (k: keyof Cpu) => (c1[k] - c0[k]) / N;
      return {
        jobsPerSec: N / ((last - first) / 1000), median: quantile(latencies, 0.5), p95: quantile(latencies, 0.95),
        cpu: { api: per('api'), workers: per('workers'), redis: per('redis'), client: per('client') },
      };
    };

    // Warm-up (pool threads, code paths), a few of each at once so that every worker gets some.
    const warm = Array.from({ length: 3 * Math.max(1, setup.workers) }, (_, i) => i);
    await Promise.all((await Promise.all(warm.flatMap((i) => [submit(heavy(-1 - i)), submit(tiny(-1 - i))]))).map((id) => settled(id, 20)));

    timedWork.begin(...pids());
    const heavyBatch = await batch(heavy);
    const tinyBatch = await batch((i) => tiny(N + i));

    const s0 = cpuNow();
    const seq: number[] = [];
    for (let i = 0; i < SEQUENTIAL; i++) {
      const j = await settled(await submit(tiny(2 * N + i)), 10);
      seq.push(Date.parse(j.finishedAt) - Date.parse(j.createdAt));
    }
    const s1 = cpuNow();
    timedWork.end(...pids());
    const sequentialCpu = (s1.api + s1.workers + s1.redis - s0.api - s0.workers - s0.redis) / SEQUENTIAL;

    const rss = [api, ...workers].map((p, i) => `${i === 0 ? 'api' : `w${i}`} ${peakRssMb(p.child.pid).toFixed(0)}`).join(', ');
    return { heavy: heavyBatch, tiny: tinyBatch, sequential: quantile(seq, 0.5), sequentialCpu, rss, load };
  } finally {
    for (const p of [api, ...workers]) p.child.kill('SIGTERM');
    await Promise.all([api, ...workers].map((p) => p.exited));
  }
}

const dirs = await tempDir('bench-jobs-');
const redis = await TestRedis.start();
const f = (x: number, d = 0) => x.toFixed(d);
try {
  const value = (x: number, y: number) => Math.sin(x / 7) * Math.cos(y / 5) + ((x * 31 + y * 17) % 13) / 13;
  await writeTile(dirs.dir, { name: 'b/heavy.fits', ra: 150, dec: 2, width: SIZE, height: SIZE, scale: 1e-4, value });
  await writeTile(dirs.dir, { name: 'b/tiny.fits', ra: 150, dec: 2, width: 200, height: 200, scale: 1e-4, value });
  const setups: Setup[] = [
    { name: 'in-process (API runs them)', workers: 0, redis: false },
    { name: 'Redis, 1 worker', workers: 1, redis: true },
    { name: 'Redis, 2 workers', workers: 2, redis: true },
  ];
  const heavyName = `${ALGORITHM} ${SIZE}x${SIZE}`;
  process.stdout.write(`${N} ${heavyName} jobs at once, ${N} statistics 200x200 jobs at once, then ${SEQUENTIAL} statistics jobs one by one; ${ROUNDS} round(s)\n`);
  process.stdout.write('latency = record createdAt -> finishedAt (ms); CPU = ms per job of each process, all threads (api/workers/redis/client)\n');
  const rows = new Map<string, Row[]>();
  const line = (round: number, setup: Setup, what: string, b: Batch) =>
    `${String(round).padStart(5)}  ${setup.name.padEnd(27)}${what.padEnd(18)}${f(b.jobsPerSec, 1).padStart(7)}${f(b.median).padStart(8)}${f(b.p95).padStart(7)}   `
    + `${[b.cpu.api, b.cpu.workers, b.cpu.redis, b.cpu.client].map((x) => f(x, 1)).join(' / ').padEnd(26)}`;
  process.stdout.write(`round  setup                      batch              jobs/s  median    p95   CPU ms/job a/w/r/c\n`);
  for (let round = 1; round <= ROUNDS; round++) {
    for (const setup of setups) {
      const r = await run(setup, redis, dirs.dir, round);
      rows.set(setup.name, [...(rows.get(setup.name) ?? []), r]);
      process.stdout.write(`${line(round, setup, heavyName, r.heavy)}  peak RSS MB ${r.rss} (load ${f(r.load, 1)})\n`);
      process.stdout.write(`${line(round, setup, 'statistics 200x200', r.tiny)}  one by one: median ${f(r.sequential)} ms, server CPU ${f(r.sequentialCpu, 1)} ms/job\n`);
    }
  }
  const of = <T>(name: string, g: (r: Row) => T) => (rows.get(name) ?? []).map(g);
  const [local, one, two] = setups.map((s) => s.name) as [string, string, string];
  const ratio = (g: (r: Row) => number) => of(two, g).map((x, i) => `${(x / of(one, g)[i]!).toFixed(2)}x`).join(', ');
  process.stdout.write(`2 workers / 1 worker, jobs/s, same round: ${heavyName} ${ratio((r) => r.heavy.jobsPerSec)}; statistics 200x200 ${ratio((r) => r.tiny.jobsPerSec)}\n`);
  process.stdout.write(`most 2 workers can give over 1 on two free cores, from the 2-worker CPU per job: ${heavyName} ${of(two, (r) => ceiling(r.heavy.cpu).toFixed(2)).join(', ')}x; statistics 200x200 ${of(two, (r) => ceiling(r.tiny.cpu).toFixed(2)).join(', ')}x\n`);
  const diff = (g: (r: Row) => number) => of(one, g).map((x, i) => f(x - of(local, g)[i]!, 1)).join('/');
  const serverCpu = (c: Cpu) => c.api + c.workers + c.redis;
  process.stdout.write(`queue overhead per tiny job (Redis 1 worker - in-process): server CPU in the batch ${diff((r) => serverCpu(r.tiny.cpu))} ms; one by one: latency ${diff((r) => r.sequential)} ms, server CPU ${diff((r) => r.sequentialCpu)} ms (goal < 5 ms)\n`);
  process.stdout.write(`load average at the end: ${loadavg().map((x) => x.toFixed(1)).join(' ')} on 2 cores: wall figures (jobs/s, latency) measure the other work on the machine too; CPU per job much less\n`);
  for (const s of setups) {
    for (const r of rows.get(s.name) ?? []) {
      for (const [what, b] of [[heavyName, r.heavy], ['statistics 200x200', r.tiny]] as const) {
        const cpu = b.cpu.api + b.cpu.workers + b.cpu.redis;
        recordResult({ case: `${N} ${what} jobs at once, ${s.name}`, metric: 'jobs/s wall', ours: b.jobsPerSec, higherIsBetter: true, extra: { median_ms: b.median, p95_ms: b.p95, server_cpu_ms_per_job: cpu, load: r.load, rss: r.rss } });
      }
      recordResult({ case: `statistics 200x200 jobs one by one, ${s.name}`, metric: 'ms latency', ours: r.sequential, higherIsBetter: false, extra: { server_cpu_ms_per_job: r.sequentialCpu, load: r.load } });
    }
  }
} finally {
  timedWork.close();
  await redis.stop();
  await dirs.cleanup();
}
