/**
 * The engine for bench/downloads/polling.bench.ts, in its own process so that its event-loop delay
 * and CPU time are its own: the whole engine (startEngine: routes, job service, SQLite job store,
 * download manager) on DATA_DIR, listening on 127.0.0.1, with its product source replaced by a
 * fixed list (N small files on the bench's range server, one observation per list). Usage:
 * `node --import tsx polling-server.ts <dataDir> <rangeServerUrl>`; prints {"url", "pid"}.
 *
 * Standard input takes commands, one a line: `products <obsId> <fileDir> <n>` makes the
 * observation's list (the files `jw01234-o001_t001_nircam_<i>_x1d.json` whatever the observation, their sizes read from `<fileDir>`), answers
 * {"ok": true}; `start` resets and starts the event-loop delay histogram (1 ms resolution) and the
 * CPU clock; `stop` stops them and prints {"eld": {p50_ms, p99_ms, max_ms, count}, "cpu_s": user +
 * sys of the whole process}; `probe <jobId>` times 7 in-process answers of each polled route
 * (`inject`), answers {"probe": {route: {min_ms, median_ms, bytes}}}. Ends when standard input closes.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { loadSettings } from '../../src/config.js';
import { startEngine } from '../../src/engine.js';
import { StaticProductSource, type ProductSource, type RemoteProduct } from '../../src/downloads/product-source.js';
import { beginTimedWork, declareEventLoopRole, endTimedWork } from '../lib/event-loop-role.js';

declareEventLoopRole('engine');

const dataDir = process.argv[2]!;
const rangeUrl = process.argv[3]!;
const engine = await startEngine(loadSettings({
  LOG_LEVEL: 'silent', DATA_DIR: dataDir, WORKER_THREADS: '1', RATE_LIMIT_PER_MINUTE: '0', MAST_BASE_URL: rangeUrl,
  LIBRARY_SCAN_ON_START: 'false', DOWNLOAD_FSYNC: 'false', HOST: '127.0.0.1', PORT: '0',
}));
await engine.app.listen({ port: 0, host: '127.0.0.1' });
const address = engine.app.server.address();
const port = typeof address === 'object' && address ? address.port : 0;
const lists = new Map<string, RemoteProduct[]>();
// The bench's own products: the manager's options object holds its source (a bench-only reach-in).
(engine.ctx.downloads as unknown as { o: { products: ProductSource } }).o.products = new StaticProductSource(lists);
process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}`, pid: process.pid })}\n`);

const eld = monitorEventLoopDelay({ resolution: 1 });
const ms = (ns: number) => Math.round(ns / 1e4) / 100;
let cpu0 = process.cpuUsage();
/**
 * What one answer of each route costs this process, the job running: 7 `inject`s of each, one after
 * the other (routing, the handler, serialisation; no socket), min and median ms of wall time on the
 * event loop (on a shared machine the median also holds waits for a core).
 */
async function probe(id: string): Promise<Record<string, { min_ms: number; median_ms: number; bytes: number }>> {
  const out: Record<string, { min_ms: number; median_ms: number; bytes: number }> = {};
  for (const [key, url] of [['progress', `/mast/download/progress-chunked/${id}`], ['mast_jobs', '/mast/download/jobs'], ['api_jobs', '/api/jobs?kind=download'], ['api_job', `/api/jobs/${id}`]] as const) {
    const t: number[] = [];
    let bytes = 0;
    for (let i = 0; i < 7; i++) {
      const t0 = performance.now();
      const res = await engine.app.inject({ method: 'GET', url });
      t.push(performance.now() - t0);
      bytes = res.rawPayload.length;
    }
    t.sort((a, b) => a - b);
    out[key] = { min_ms: Math.round(t[0]! * 100) / 100, median_ms: Math.round(t[3]! * 100) / 100, bytes };
  }
  return out;
}

createInterface({ input: process.stdin })
  .on('line', (line) => {
    const [cmd, ...args] = line.trim().split(/\s+/);
    if (cmd === 'products') {
      const [obsId, dir, n] = args as [string, string, string];
      const list: RemoteProduct[] = [];
      for (let i = 0; i < Number(n); i++) {
        const name = `jw01234-o001_t001_nircam_${String(i).padStart(5, '0')}_x1d.json`;
        const uri = `mast:JWST/product/${name}`;
        list.push({ filename: name, url: `${rangeUrl}/api/v0.1/Download/file?uri=${encodeURIComponent(uri)}`, dataUri: uri, size: statSync(join(dir, name)).size });
      }
      lists.set(obsId, list);
      process.stdout.write(`${JSON.stringify({ ok: true })}\n`);
    } else if (cmd === 'probe') {
      void probe(args[0]!).then((out) => process.stdout.write(`${JSON.stringify({ probe: out })}\n`));
    } else if (cmd === 'start') {
      eld.reset();
      eld.enable();
      beginTimedWork();
      cpu0 = process.cpuUsage();
    } else if (cmd === 'stop') {
      eld.disable();
      endTimedWork();
      const cpu = process.cpuUsage(cpu0);
      const out = { p50_ms: ms(eld.percentile(50)), p99_ms: ms(eld.percentile(99)), max_ms: ms(eld.max), count: eld.count };
      process.stdout.write(`${JSON.stringify({ eld: out, cpu_s: (cpu.user + cpu.system) / 1e6 })}\n`);
    }
  })
  .on('close', () => {
    void engine.close().then(() => process.exit(0));
  });
