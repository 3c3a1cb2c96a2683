/**
 * MAST search through the engine's HTTP API against the fake MAST (run in its own process), cached
 * and uncached, side by side with astroquery 0.4.6 against the same fake in the same run.
 * Workloads: a target search ("NGC 3132", radius 0.2°: name resolution + Filtered.Position) and a
 * product list for one observation (Filtered + Products, SCIENCE .fits).
 *
 * Usage: npm run bench -- mast/search      (env BENCH_N=200 requests per uncached series)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { loadSettings } from '../../src/config.js';
import { startEngine } from '../../src/engine.js';
import { pythonHas, runPythonJson } from '../lib/python.js';

const N = Number(process.env.BENCH_N ?? 200);
const root = fileURLToPath(new URL('../..', import.meta.url));

interface Stats { n: number; p50_ms: number; p99_ms: number; per_s: number }

async function startFake(): Promise<{ url: string; child: ChildProcess }> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/fake-mast/main.ts'], {
    cwd: root, env: { ...process.env, FAKE_MAST_PORT: String(port) }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      const m = /listening on (\S+)/.exec(d.toString());
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`fake MAST exited (${code})`)));
  });
  return { url, child };
}

function stats(times: number[], totalMs: number): Stats {
  const s = [...times].sort((a, b) => a - b);
  const pick = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { n: s.length, p50_ms: pick(0.5), p99_ms: pick(0.99), per_s: (s.length * 1000) / totalMs };
}

async function series(n: number, concurrency: number, once: () => Promise<void>, before?: () => void): Promise<Stats> {
  await once(); // warm-up
  const times: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) {
      next++;
      before?.();
      const t = performance.now();
      await once();
      times.push(performance.now() - t);
    }
  }));
  return stats(times, performance.now() - t0);
}

const fake = await startFake();
process.on('exit', () => fake.child.kill('SIGTERM')); // never leave the fake running
const settings = loadSettings({ ...process.env, MAST_BASE_URL: fake.url, LOG_LEVEL: 'silent', WORKER_THREADS: '1', DATA_DIR: `${root}/bench/out/mast-data` });
const engine = await startEngine(settings);
await engine.app.listen({ port: 0, host: '127.0.0.1' });
const address = engine.app.server.address();
const engineUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

async function post(path: string, body: unknown, check: (j: { total_count?: number; product_count?: number }) => boolean): Promise<void> {
  const res = await request(`${engineUrl}${path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  const json = (await res.body.json()) as { total_count?: number; product_count?: number };
  if (res.statusCode !== 200 || !check(json)) throw new Error(`${path} failed: ${res.statusCode} ${JSON.stringify(json).slice(0, 200)}`);
}

const target = () => post('/mast/search/target', { target_name: 'NGC 3132', radius: 0.2, calib_level: [2, 3] }, (j) => j.total_count === 30);
const products = () => post('/mast/products', { obs_id: 'jw02733-o001_t001_nircam_clear-f090w' }, (j) => j.product_count === 10);
const clear = () => engine.ctx.mast.clearCache();

const rows: Array<[string, string, Stats]> = [];
try {
  for (const [name, fn] of [['target search', target], ['product list', products]] as const) {
    rows.push([name, 'engine, uncached', await series(N, 1, fn, clear)]);
    rows.push([name, 'engine, cached', await series(N * 10, 1, fn)]);
    rows.push([name, 'engine, cached, 16 concurrent', await series(N * 10, 16, fn)]);
  }
  if (pythonHas('astroquery', 'astropy')) {
    const py = runPythonJson<{ astroquery: string; target: Stats; products: Stats }>(fileURLToPath(new URL('./search.py', import.meta.url)), [fake.url, String(Math.max(20, Math.round(N / 4)))]);
    rows.push(['target search', `astroquery ${py.astroquery}`, py.target]);
    rows.push(['product list', `astroquery ${py.astroquery}`, py.products]);
  } else {
    console.log('(astroquery side skipped: /usr/bin/python3 lacks astroquery)');
  }
} finally {
  await engine.close();
  fake.child.kill('SIGTERM');
}

const ref = (w: string) => rows.find(([wl, c]) => wl === w && c.startsWith('astroquery'))?.[2];
const header = ['workload', 'client', 'n', 'p50 ms', 'p99 ms', 'req/s', 'p50 speed-up', 'req/s ratio'];
const body = rows.map(([w, c, s]) => {
  const r = ref(w);
  const isRef = c.startsWith('astroquery');
  // Latency ratios only mean something for one-at-a-time series; throughput ratios for all.
  const p50 = r && !isRef && !c.includes('concurrent') ? `${(r.p50_ms / s.p50_ms).toFixed(1)}x` : '';
  const tput = r && !isRef ? `${(s.per_s / r.per_s).toFixed(1)}x` : '';
  return [w, c, String(s.n), s.p50_ms.toFixed(2), s.p99_ms.toFixed(2), s.per_s.toFixed(0), p50, tput];
});
const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
console.log(`MAST search against the fake MAST (${fake.url}), engine over HTTP at ${engineUrl}`);
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const b of body) console.log(line(b));
console.log('uncached = the engine cache (and name cache) cleared before every request: each target search costs a name lookup and a Filtered.Position call, as astroquery\'s query_criteria(objectname=...) does.');
