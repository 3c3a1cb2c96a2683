/**
 * `npm run bench -- download-into-s3`: the engine's download of 3 FITS files (BENCH_S3_DOWNLOAD_MB
 * each, default 128) from a loopback HTTP server, into local disk and into an S3-compatible server
 * (BENCH_S3_SERVER=fauxqs|s3rver, default s3rver, started here on a free port), alternating, best of
 * BENCH_S3_DOWNLOAD_RUNS rounds (default 3). Both verify what a MAST download verifies (SHA-256 and
 * the FITS checksums); local runs with and without fsync. The file server is its own process; the S3
 * server runs in this process, so the S3 rows' CPU includes the server's and only wall time compares.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DownloadManager } from '../../src/downloads/download-manager.js';
import { StaticProductSource } from '../../src/downloads/product-source.js';
import { S3Storage } from '../../src/storage/s3.js';
import { startTestS3, type S3ServerKind } from '../../test/helpers/s3.js';
import { FITS_BLOCK, writeFitsFile } from '../downloads/fits-file.js';
import { best, recordResult } from '../lib/results.js';
import { declareEventLoopRole } from '../lib/event-loop-role.js';

// The engine's DownloadManager runs on this process's loop (so does the S3 server: its work is in the figure).
declareEventLoopRole('engine');

const MiB = 1024 * 1024;
const here = fileURLToPath(new URL('.', import.meta.url));
const size = Math.round((Number(process.env.BENCH_S3_DOWNLOAD_MB ?? 128) * MiB) / FITS_BLOCK) * FITS_BLOCK;
const runs = Number(process.env.BENCH_S3_DOWNLOAD_RUNS ?? 3);
const serverKind = (process.env.BENCH_S3_SERVER ?? 's3rver') as S3ServerKind;
const NAMES = ['a_i2d.fits', 'b_i2d.fits', 'c_i2d.fits'];

async function startFileServer(dir: string): Promise<{ base: string; stop: () => void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, '../downloads/range-server.ts'), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => {
      const m = /listening (\d+)/.exec(d.toString());
      if (m) resolve(Number(m[1]));
      else reject(new Error(`file server said ${d.toString()}`));
    });
    child.once('exit', (c) => reject(new Error(`file server exited ${c}`)));
  });
  return { base: `http://127.0.0.1:${port}`, stop: () => child.kill() };
}

interface Sample {
  wallS: number;
  cpuS: number;
}

async function download(base: string, dir: string, sink: { store?: S3Storage; fsync: boolean }): Promise<Sample> {
  const products = new StaticProductSource(new Map([['bench', NAMES.map((n) => ({ filename: n, url: `${base}/files/${n}`, dataUri: null, size: undefined }))]]));
  const manager = new DownloadManager({
    downloadDir: join(dir, 'mast'),
    dataDir: dir,
    products,
    chunkSize: 5 * MiB,
    maxConcurrentFiles: 3,
    autoResume: false,
    syncData: sink.fsync,
    ...(sink.store ? { objectStore: sink.store } : {}),
  });
  await manager.start();
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const job = await manager.createJob({ obsId: 'bench' });
  const done = await manager.waitUntilSettled(job.id);
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  await manager.close();
  if (done.status !== 'complete') throw new Error(`download ${done.status}: ${done.error ?? ''}`);
  return { wallS, cpuS: (cpu.user + cpu.system) / 1e6 };
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'bench-s3-download-'));
  const s3 = await startTestS3(serverKind, ['engine']);
  const store = new S3Storage(s3.settings('engine'));
  let server: { base: string; stop: () => void } | undefined;
  try {
    const src = join(work, 'src');
    await mkdir(src);
    process.stdout.write(`writing 3 FITS files of ${(size / MiB).toFixed(0)} MiB (CHECKSUM/DATASUM) ...\n`);
    for (const n of NAMES) await writeFitsFile(join(src, n), size);
    server = await startFileServer(src);
    const contenders: Array<{ label: string; run: (dir: string) => Promise<Sample> }> = [
      { label: 'local disk, fsync (default)', run: (dir) => download(server!.base, dir, { fsync: true }) },
      { label: 'local disk, no fsync', run: (dir) => download(server!.base, dir, { fsync: false }) },
      { label: `S3 (${serverKind}), multipart 8 MiB parts`, run: (dir) => download(server!.base, dir, { store, fsync: true }) },
    ];
    const samples: Sample[][] = contenders.map(() => []);
    for (let round = 0; round < runs; round++) {
      for (let k = 0; k < contenders.length; k++) {
        const dir = join(work, `out-${round}-${k}`);
        await mkdir(dir);
        samples[k]!.push(await contenders[k]!.run(dir));
        await rm(dir, { recursive: true, force: true });
        for (const n of NAMES) await store.delete(`mast/bench/${n}`).catch(() => undefined);
      }
    }
    const total = (size * NAMES.length) / MiB;
    const localWall = best(samples[0]!.map((s) => s.wallS));
    process.stdout.write(`3 × ${(size / MiB).toFixed(0)} MiB, best of ${runs} alternating rounds (wall s: all rounds)\n`);
    for (let k = 0; k < contenders.length; k++) {
      const wall = best(samples[k]!.map((s) => s.wallS));
      const cpu = best(samples[k]!.map((s) => s.cpuS));
      const all = samples[k]!.map((s) => s.wallS.toFixed(2)).join(' ');
      process.stdout.write(`  ${contenders[k]!.label.padEnd(36)} ${(total / wall).toFixed(0).padStart(5)} MiB/s  ${wall.toFixed(2)} s  (${all})  CPU ${cpu.toFixed(2)} s  ${(localWall / wall).toFixed(2)}× the local default\n`);
      recordResult({
        case: `download 3 × ${(size / MiB).toFixed(0)} MiB into ${contenders[k]!.label}`,
        metric: 'MiB/s wall',
        ours: total / wall,
        reference: total / localWall,
        referenceName: 'local disk, fsync (default)',
        higherIsBetter: true,
        extra: { rounds: runs, cpuS: cpu },
      });
    }
  } finally {
    server?.stop();
    await store.close();
    await s3.stop();
    await rm(work, { recursive: true, force: true });
  }
}

await main();
