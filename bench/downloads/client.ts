/**
 * The engine's downloader as a standalone client for the benchmark: one job for the given files,
 * through the DownloadManager (chunking, validation, SHA-256, state saves), then exit.
 * Usage: node client.js <baseUrl> <outDir> <connectionsPerFile> <maxConcurrentFiles> <name...>
 */
import { DownloadManager } from '../../src/downloads/download-manager.js';
import { StaticProductSource } from '../../src/downloads/product-source.js';
import { beginTimedWork, declareEventLoopRole, endTimedWork } from '../lib/event-loop-role.js';

declareEventLoopRole('engine');

const [baseUrl, outDir, perFile, files, ...names] = process.argv.slice(2);
if (!baseUrl || !outDir || !perFile || !files || names.length === 0) throw new Error('usage: client <baseUrl> <outDir> <connectionsPerFile> <maxConcurrentFiles> <name...>');

const products = new StaticProductSource(new Map([['bench', names.map((n) => ({ filename: n, url: `${baseUrl}/files/${n}`, dataUri: null, size: undefined }))]]));
const manager = new DownloadManager({
  downloadDir: outDir,
  dataDir: outDir,
  products,
  chunkSize: Number(process.env.CHUNK_SIZE ?? 5 * 1024 * 1024),
  connectionsPerFile: Number(perFile),
  maxConcurrentFiles: Number(files),
  autoResume: false,
  syncData: process.env.DOWNLOAD_FSYNC !== '0',
});
await manager.start();
// The transfer is the timed work: its event-loop figure apart from start-up (module load, job store) and close.
beginTimedWork();
const job = await manager.createJob({ obsId: 'bench' });
const done = await manager.waitUntilSettled(job.id);
endTimedWork();
await manager.close();
if (done.status !== 'complete') {
  process.stderr.write(`download ${done.status}: ${done.error}\n`);
  process.exit(1);
}
