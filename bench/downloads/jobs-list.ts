/**
 * GET/HEAD /mast/download/jobs in one process (issue #20, session 20): JOBS completed jobs of FILES
 * files inserted through the store (written whole), calls over a socket (undici, same process), per
 * call one JSON line: wall, process CPU, event-loop delay (monitorEventLoopDelay at 1 ms: p99, max),
 * the gaps of a 1 ms interval (p99, max, how many over 20 ms and their sum), `LoopSlices` turns and
 * longest slice, the answer's SHA-256 prefix and length. MODE=get (default): a first call, three
 * repeated (kept items), a HEAD; MODE=head: a HEAD first (timed until the loop is idle: Fastify's
 * own HEAD route reads the answer to its end after sending the headers), then a GET. ROOT is the
 * tree whose engine runs (another worktree for an A/B); TRACE=1 logs gaps and slices over 15 ms.
 *   node --expose-gc --import tsx bench/downloads/jobs-list.ts ROOT FILES JOBS LABEL
 */
import { createHash } from 'node:crypto';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { finishedDownloadRecord as finished } from '../../test/helpers/download-records.js';
const [root, filesArg, jobsArg, label] = process.argv.slice(2);
const F = Number(filesArg), J = Number(jobsArg);
const { startTestEngine } = await import(`${root}/test/helpers/engine.ts`);
const engine = await startTestEngine({ LIBRARY_SCAN_ON_START: 'false' });
const store = engine.ctx.downloads.jobs.store;
for (let i = 0; i < J; i++) await store.insert(finished(`job${i}`, i * 10, F));
const address = await engine.app.listen({ port: 0, host: '127.0.0.1' });
await (await request(`${address}/nope`)).body.text();
await (await request(`${address}/mast/download/jobs?limit=0`)).body.text();
global.gc?.();
await sleep(100);

const p99 = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(s.length * 0.99))] ?? 0; };
if (process.env.TRACE) {
  const list = store.list.bind(store);
  store.list = async (q: any) => { const t = performance.now(); const r = await list(q); console.log(`list ${q.ids?.length ?? '-'} ids ${(performance.now() - t).toFixed(1)} ms ending ${performance.now().toFixed(0)}`); return r; };
}
let turns = 0, longestSlice = 0;
{
  const { LoopSlices } = await import(`${root}/src/core/loop-slices.ts`);
  const turn = LoopSlices.prototype.turn;
  LoopSlices.prototype.turn = async function (this: any) { turns++; longestSlice = Math.max(longestSlice, this.elapsedMs); if (process.env.TRACE && this.elapsedMs > 15) console.log(`slice ${this.elapsedMs.toFixed(1)} ending ${performance.now().toFixed(0)}`); return turn.call(this); };
}
const h = monitorEventLoopDelay({ resolution: 1 });
async function measure(name: string, call: () => Promise<string>) {
  let maxGap = 0, last = performance.now();
  const gaps: number[] = [];
  const iv = setInterval(() => { const now = performance.now(); const g = Math.max(0, now - last - 1); gaps.push(g); if (process.env.TRACE && g > 15) console.log(`gap ${g.toFixed(1)} ending ${now.toFixed(0)}`); maxGap = Math.max(maxGap, g); last = now; }, 1);
  h.reset(); h.enable(); turns = 0; longestSlice = 0;
  const cpu0 = process.cpuUsage(); const t0 = performance.now();
  const hash = await call();
  const wall = performance.now() - t0; const cpu = process.cpuUsage(cpu0);
  h.disable(); clearInterval(iv);
  const r = { label, files: F, jobs: J, call: name, wallMs: +wall.toFixed(1), cpuMs: +((cpu.user + cpu.system) / 1000).toFixed(1),
    eldP99Ms: +(h.percentile(99) / 1e6).toFixed(1), eldMaxMs: +(h.max / 1e6).toFixed(1), gapP99Ms: +p99(gaps).toFixed(1), gapMaxMs: +maxGap.toFixed(1), over20: gaps.filter((g) => g > 20).length, msOver20: +gaps.filter((g) => g > 20).reduce((a, b) => a + b, 0).toFixed(0), ticks: gaps.length, turns, longestSlice: +longestSlice.toFixed(1), hash };
  console.log(JSON.stringify(r));
  global.gc?.();
  await sleep(50);
}
const get = async () => {
  const res = await request(`${address}/mast/download/jobs`);
  const d = createHash('sha256'); let n = 0;
  for await (const c of res.body) { d.update(c as Buffer); n += (c as Buffer).length; }
  return `${d.digest('hex').slice(0, 12)}:${n}`;
};
/** HEAD, then until the process is idle (main's HEAD reads the answer's stream to its end after the headers went). */
const head = async () => {
  const res = await request(`${address}/mast/download/jobs`, { method: 'HEAD' });
  await res.body.text();
  const hdr = `${res.statusCode} ${res.headers['transfer-encoding'] ?? '-'} ${res.headers['content-length'] ?? '-'}`;
  // Until the main thread's loop is idle over 50 ms (its utilisation under 5 %).
  for (;;) { const e0 = performance.eventLoopUtilization(); await sleep(50); if (performance.eventLoopUtilization(e0).utilization < 0.05) break; }
  return hdr;
};
if (process.env.MODE === 'head') {
  await measure('head-first', head);
  await measure('head-first-get', get);
} else {
  await measure('first', get);
  for (let i = 0; i < 3; i++) await measure('repeated', get);
  await measure('head-kept', head);
}
await engine.dispose();
