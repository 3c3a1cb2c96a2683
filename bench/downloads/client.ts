/**
 * The engine's downloader as a standalone client for the benchmark: one job for the given files,
 * through the DownloadManager (chunking, validation, SHA-256, state saves), then exit.
 * Usage: node client.js [--warm=<file>] <baseUrl> <outDir> <connectionsPerFile> <maxConcurrentFiles> <name...>
 *
 * `--warm=<file>` measures what a running service does, without Node's start-up: the manager starts
 * and downloads <file> once as another observation (threads started, code compiled),
 * prints "ready", then on a line on stdin downloads the job and prints "done <CPU s>", the whole
 * process's CPU (every thread) spent on the job. The bench times from its line to that answer.
 */
import { createInterface } from 'node:readline';
import { DownloadManager } from '../../src/downloads/download-manager.js';
import { StaticProductSource } from '../../src/downloads/product-source.js';
import { beginTimedWork, declareEventLoopRole, endTimedWork } from '../lib/event-loop-role.js';

declareEventLoopRole('engine');

const args = process.argv.slice(2);
const warm = args[0]?.startsWith('--warm=') ? args[0].slice('--warm='.length) : undefined;
const [baseUrl, outDir, perFile, files, ...names] = warm ? args.slice(1) : args;
if (!baseUrl || !outDir || !perFile || !files || names.length === 0) throw new Error('usage: client [--warm=<file>] <baseUrl> <outDir> <connectionsPerFile> <maxConcurrentFiles> <name...>');

const product = (n: string) => ({ filename: n, url: `${baseUrl}/files/${n}`, dataUri: null, size: undefined });
const observations = new Map([['bench', names.map(product)]]);
if (warm) observations.set('warm-up', [product(warm)]);
const products = new StaticProductSource(observations);
const manager = new DownloadManager({
  downloadDir: outDir,
  dataDir: outDir,
  products,
  chunkSize: Number(process.env.CHUNK_SIZE ?? 5 * 1024 * 1024),
  connectionsPerFile: Number(perFile),
  maxConcurrentFiles: Number(files),
  autoResume: false,
  syncData: process.env.DOWNLOAD_FSYNC !== '0',
  // One-shot, as the CLI's download (src/cli/commands/download.ts); a running engine boots its
  // digest threads ahead, as the service does.
  startDigestThreadsEarly: warm !== undefined,
});

async function download(obsId: string): Promise<void> {
  const job = await manager.createJob({ obsId });
  const done = await manager.waitUntilSettled(job.id);
  if (done.status !== 'complete') {
    process.stderr.write(`download ${done.status}: ${done.error}\n`);
    process.exit(1);
  }
}

await manager.start();
if (warm) {
  await download('warm-up');
  const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  process.stdout.write('ready\n');
  await lines.next();
  const before = process.cpuUsage();
  beginTimedWork();
  await download('bench');
  endTimedWork();
  const used = process.cpuUsage(before);
  process.stdout.write(`done ${(used.user + used.system) / 1e6}\n`);
  await manager.close();
  process.exit(0);
}
// The transfer is the timed work: its event-loop figure apart from start-up (module load, job store) and close.
beginTimedWork();
await download('bench');
endTimedWork();
await manager.close();
