/**
 * Issue #20 (session 19): what one SSE `progress` event of a running download costs the event loop
 * that dispatches it, at a file count, apart from sockets. Not a `*.bench.ts` (the runner does not
 * pick it up): `nice -n 19 node --import tsx bench/downloads/sse-events.ts [files ...]` (default
 * 2000 5000; BENCH_EVENTS per case, default 300; BENCH_CHANGED, default 1,100).
 *
 * A job of that many files (40 % complete, 3 downloading, the rest pending) is saved as the run saves
 * it (`CheckpointBuilder.build`, the frozen checkpoint an event shares: `copyForEvent`); between
 * events `changed` files change (one file's bytes grow, or that many files across runs: bytes, a
 * completion). Each event is published on the job service's bus and heard as the SSE route hears it
 * (`DownloadManager.subscribe`, then `chunkedProgressBytes` of its progress with the runs kept under
 * the running job's Job object, as `progressBytesOf` does): only that is timed, per event (wall, and
 * the process's CPU around it: user + sys, GC threads included; the saves between events are not
 * counted). The events' bytes are hashed (sha256 over all of them) so that two versions of the code
 * can be shown to send the same bytes. Sockets are not part of it (the polling bench has them).
 *
 * `BENCH_MODE=poll` (session 19): times a poll answer instead, as `GET /mast/download/progress-chunked/{id}`
 * makes it for the job running here (`chunkedProgressBytes(downloads.progress(job), job)`), `changed`
 * files changed between polls (BENCH_CHANGED, default 0,1,100 in this mode) and a checkpoint saved
 * and published between polls (not timed), as the run saves several times between two polls.
 *
 * `BENCH_HTTP=1` (session 20): the answers go out through the routes themselves over loopback TCP
 * (a bare Fastify with `downloadRoutes` on this process's download manager, the job running here),
 * read by `http-reader.ts` in a process of its own, which hashes the bytes on the wire (every
 * answer's head less its Date line, and its body as it came, chunk framing included). A poll is
 * `GET /mast/download/progress-chunked/{id}` and is timed from its `onRequest` hook: CPU (user +
 * sys) until the response's `finish` (the last byte handed to the kernel), and the event-loop hold,
 * the wall time until a `setImmediate` queued there runs (the request's whole tick: handler, reply,
 * socket writes). In event mode BENCH_STREAMS (default 1) SSE streams are opened on
 * `/mast/download/events/{id}` and each event is timed from its publish until every stream has it
 * (every byte of it; CPU), its hold being the publishing tick (the event's bytes made) and the longest turn that
 * wrote it to a stream (wall, from a setImmediate chain that runs only while the event is out).
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DownloadManager } from '../../src/downloads/download-manager.js';
import { CheckpointBuilder } from '../../src/downloads/checkpoint-builder.js';
import { newFileEntry, type Job } from '../../src/downloads/job.js';
import { StaticProductSource } from '../../src/downloads/product-source.js';
import type { JobProgress } from '../../src/downloads/index.js';
import { InProcessBackend, JobHandlerRegistry, JobService, LocalJobEvents, SqliteJobStore, copyForEvent, type JobRecord, type JsonObject } from '../../src/jobs/index.js';
import { chunkedProgressBytes, downloadRoutes } from '../../src/routes/downloads.js';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import type { App } from '../../src/server.js';
import type { EngineContext } from '../../src/context.js';

const COUNTS = process.argv.slice(2).map(Number).filter((n) => n > 0);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 300);
const POLL = process.env.BENCH_MODE === 'poll';
const CHANGED = (process.env.BENCH_CHANGED ?? (POLL ? '0,1,100' : '1,100')).split(',').map(Number).filter((n) => n >= 0 && (POLL || n > 0));
const WARM = 30;
const HTTP = process.env.BENCH_HTTP === '1';
const STREAMS = Number(process.env.BENCH_STREAMS ?? 1);

/** The reader process (http-reader.ts): `ask` sends one command and resolves with its answer line. */
function reader(): { ask(cmd: string): Promise<string>; close(): void } {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./http-reader.ts', import.meta.url))], { stdio: ['pipe', 'pipe', 'inherit'] });
  const waiting: Array<(line: string) => void> = [];
  createInterface({ input: child.stdout! }).on('line', (line) => waiting.shift()?.(line));
  return {
    ask: (cmd) => new Promise((resolve) => {
      waiting.push(resolve);
      child.stdin!.write(`${cmd}\n`);
    }),
    close: () => child.kill(),
  };
}

function jobOf(n: number): Job {
  const dir = '/data/mast/jw01234-o001_t001_nircam';
  const files = Array.from({ length: n }, (_, i) => {
    const name = `jw01234001001_02101_${String(i).padStart(5, '0')}_nrca1_cal.fits`;
    const f = newFileEntry({ filename: name, url: `https://mast.stsci.edu/api/v0.1/Download/file?uri=mast:JWST/product/${name}`, dataUri: `mast:JWST/product/${name}`, localPath: `${dir}/${name}`, relativePath: `mast/jw01234-o001_t001_nircam/${name}`, totalBytes: 2048 });
    if (i < n * 0.4) {
      f.status = 'complete';
      f.ranges = [[0, 2048]];
      f.sha256 = 'ab'.repeat(32);
      f.fitsChecksum = 'valid';
      f.startedAt = '2026-12-07T10:00:01.000Z';
      f.completedAt = '2026-12-07T10:00:02.000Z';
    } else if (i < n * 0.4 + 3) {
      f.status = 'downloading';
      f.ranges = [[0, 512]];
      f.startedAt = '2026-12-07T10:00:03.000Z';
    }
    return f;
  });
  return {
    id: 'bench0000001', obsId: 'jw01234-o001_t001_nircam', productType: 'SCIENCE', calibLevel: null, subgroup: null, extension: null, productId: null,
    productFilenames: null, source: 'mast', downloadDir: dir, files, status: 'downloading', pauseReason: null, error: null,
    message: `Downloading ${n} files (10 MB)...`, createdAt: '2026-12-07T10:00:00.000Z', startedAt: '2026-12-07T10:00:00.500Z', completedAt: null,
    updatedAt: '2026-12-07T10:00:00.500Z', owner: null, speedBytesPerSec: 123456.5, currentFile: files[Math.floor(n * 0.4)]!.filename,
  };
}

/** Changes `changed` files of the job (spread over its runs): bytes of a downloading file grow, a pending one completes. */
function step(job: Job, k: number, changed: number): void {
  const n = job.files.length;
  for (let c = 0; c < changed; c++) {
    const f = job.files[(Math.floor(n * 0.4) + k * 7 + c * Math.floor(n / changed)) % n]!;
    if (f.status === 'complete') {
      f.sha256 = (k % 2 ? 'cd' : 'ab').repeat(32); // a field of a complete file
      continue;
    }
    const end = (f.ranges[0]?.[1] ?? 0) + 256;
    if (end >= 2048) {
      f.status = 'complete';
      f.ranges = [[0, 2048]];
      f.sha256 = 'ef'.repeat(32);
      f.fitsChecksum = 'valid';
    } else {
      f.status = 'downloading';
      f.ranges = [[0, end]];
    }
  }
  job.speedBytesPerSec = 100000 + k;
  job.updatedAt = new Date(Date.parse('2026-12-07T10:00:00.500Z') + k * 250).toISOString();
}

async function run(n: number, changed: number, dataDir: string): Promise<void> {
  const bus = new LocalJobEvents();
  const jobs = new JobService({ store: new SqliteJobStore(join(dataDir, `jobs-${n}-${changed}.db`)), backend: new InProcessBackend({ compute: 1, transfer: 1 }), handlers: new JobHandlerRegistry(), dataDir, events: bus });
  const downloads = new DownloadManager({ downloadDir: join(dataDir, 'mast'), dataDir, jobs, products: new StaticProductSource() });
  const job = jobOf(n);
  const builder = new CheckpointBuilder();
  const base: JobRecord = {
    id: job.id, kind: 'download', state: 'running', progress: 0.4, stage: job.message, createdAt: job.createdAt, startedAt: job.startedAt, finishedAt: null,
    updatedAt: job.updatedAt, owner: null, inputs: { obs_id: job.obsId } as JsonObject, result: null, outputs: [], error: null, pauseReason: null, attempts: 1, checkpoint: null,
  };
  // The job runs in this process (as in the engine): the manager has it live, and the route keeps
  // its runs under that Job object (`downloads.get(id)`).
  (downloads as unknown as { live: Map<string, Job> }).live.set(job.id, job);
  const key = downloads.get(job.id)!;
  const hash = createHash('sha256');
  let bytes = 0;
  const ms: number[] = [];
  let timing = false;
  let t0 = 0;
  let last: Buffer | undefined;
  const off = POLL || HTTP ? () => undefined : downloads.subscribe(job.id, (p: JobProgress) => {
    last = chunkedProgressBytes(p, key);
    if (timing) ms.push(performance.now() - t0);
  });
  let cpuUs = 0;
  const holds: number[] = [];
  let wireHash = '';
  if (HTTP) {
    const app = Fastify({ logger: false });
    // A poll timed from its request (see the head of this file).
    let req: { cpu: NodeJS.CpuUsage; t0: number } | undefined;
    app.addHook('onRequest', (request, reply, done) => {
      if (!request.url.startsWith('/mast/download/progress-chunked/')) return done();
      const r = (req = { cpu: process.cpuUsage(), t0: performance.now() });
      setImmediate(() => {
        if (timing) holds.push(performance.now() - r.t0);
      });
      reply.raw.on('finish', () => {
        const used = process.cpuUsage(r.cpu);
        if (timing) {
          cpuUs += used.user + used.system;
          ms.push(performance.now() - r.t0);
        }
      });
      done();
    });
    await app.register(async (scoped) => downloadRoutes(scoped as unknown as App, { downloads, settings: { mastDownloadTimeoutMs: 600_000 } } as unknown as EngineContext));
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    const hostPort = `127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const client = reader();
    if (!POLL) await client.ask(`sse ${hostPort} /mast/download/events/${job.id} ${STREAMS}`);
    for (let k = 0; k < WARM + EVENTS; k++) {
      step(job, k, changed);
      const record = copyForEvent({ ...base, updatedAt: job.updatedAt, checkpoint: builder.build(job, new Date(job.updatedAt)) as unknown as JsonObject });
      timing = k >= WARM;
      if (POLL) {
        bus.publish({ type: 'progress', job: record });
        bytes = Number((await client.ask(`poll ${hostPort} /mast/download/progress-chunked/${job.id}`)).split(' ')[1]);
        continue;
      }
      // An event: the longest turn while it is out, from a chain of turns that stops once every stream has it.
      let out = true;
      let longest = 0;
      let last = performance.now();
      const chain = () => {
        const now = performance.now();
        longest = Math.max(longest, now - last);
        last = now;
        if (out) setImmediate(chain);
      };
      const cpu = process.cpuUsage();
      const t0 = performance.now();
      bus.publish({ type: 'progress', job: record });
      const tick = performance.now() - t0;
      last = performance.now();
      setImmediate(chain);
      await client.ask(`wait ${k + 2}`);
      out = false;
      const used = process.cpuUsage(cpu);
      if (timing) {
        cpuUs += used.user + used.system;
        ms.push(performance.now() - t0);
        holds.push(Math.max(tick, longest));
      }
    }
    wireHash = (await client.ask('end')).slice(5);
    client.close();
    await app.close();
  } else for (let k = 0; k < WARM + EVENTS; k++) {
    step(job, k, changed);
    const record = copyForEvent({ ...base, updatedAt: job.updatedAt, checkpoint: builder.build(job, new Date(job.updatedAt)) as unknown as JsonObject });
    timing = k >= WARM;
    // A poll: the save before it (an event heard by no one here) is not timed.
    if (POLL) bus.publish({ type: 'progress', job: record });
    const cpu = process.cpuUsage();
    t0 = performance.now();
    if (!POLL) bus.publish({ type: 'progress', job: record });
    else {
      last = chunkedProgressBytes(downloads.progress(job), key);
      if (timing) ms.push(performance.now() - t0);
    }
    const used = process.cpuUsage(cpu);
    if (timing) cpuUs += used.user + used.system;
    hash.update(last!);
    bytes = last!.length;
  }
  off();
  await downloads.close().catch(() => undefined);
  await jobs.close().catch(() => undefined);
  ms.sort((a, b) => a - b);
  const q = (p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))]!.toFixed(3);
  holds.sort((a, b) => a - b);
  const qh = (p: number) => holds[Math.min(holds.length - 1, Math.floor(p * holds.length))]?.toFixed(3);
  console.log(JSON.stringify({
    mode: POLL ? 'poll' : 'event', files: n, changed, events: EVENTS, event_bytes: bytes,
    wall_ms: { p50: q(0.5), p90: q(0.9), max: q(1) },
    cpu_ms_per_event: (cpuUs / 1000 / EVENTS).toFixed(3),
    ...(HTTP ? { streams: POLL ? 0 : STREAMS, hold_ms: { p50: qh(0.5), p90: qh(0.9), max: qh(1) }, wire_sha256: wireHash } : { sha256: hash.digest('hex').slice(0, 16) }),
    load1: loadavg()[0]!.toFixed(2),
  }));
}

const dataDir = await mkdtemp(join(tmpdir(), 'sse-events-'));
try {
  for (const n of COUNTS.length ? COUNTS : [2000, 5000]) for (const c of CHANGED) await run(n, c, dataDir);
} finally {
  await rm(dataDir, { recursive: true, force: true });
}
