/**
 * FITS tables: column statistics over a whole binary table and a page of rows from its end,
 * against astropy (`fits.getdata(path, 1)` + numpy nanmin/nanmax/nanmean per column).
 * The table (2,000,000 rows x 5 columns, 44 MB) is written to a temporary file by encodeBinTable
 * (in a child process, so the peak RSS printed is the reading alone).
 * Each operation: best of BENCH_REPEAT (default 5) rounds alternating with astropy, after two unmeasured
 * rounds of ours.
 *
 * Our side runs with GLIBC_TUNABLES=glibc.malloc.hugetlb=1 (part of what `npm start` and the
 * Dockerfile set), so a column's fresh 16 MB result is faulted in as 2 MiB pages, as numpy's are
 * (it asks with madvise for arrays of 4 MiB or more). Without it the row was bimodal: whenever
 * glibc had trimmed the freed results of the previous round from the top of its heap, the new
 * result came back as 3,900 fresh 4 KiB pages, +5 ms a call (docs/fits-tables.md, session 11).
 * The Python side runs without the tunable. BENCH_HUGETLB=0 measures our side without it.
 * Run: npm run bench -- table-read
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FitsFile } from '../../src/fits/file.js';
import { columnStats, encodeBinTable, readNumericColumn, readTableRows } from '../../src/fits/table/index.js';
import { encodeFits } from '../../src/fits/writer.js';
import { pythonHas, runPythonJson } from '../lib/python.js';
import { recordResult } from '../lib/results.js';
import { rerunWithTunables } from '../lib/tunables.js';

const HUGETLB = 'glibc.malloc.hugetlb=1';

const ROWS = Number(process.env.TABLE_BENCH_ROWS ?? 2_000_000);

async function makeTable(path: string): Promise<void> {
  const time = new Float64Array(ROWS);
  const x = new Float32Array(ROWS);
  const y = new Float32Array(ROWS);
  const pha = new Int32Array(ROWS);
  const pi = new Int16Array(ROWS);
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (let i = 0; i < ROWS; i++) {
    time[i] = 5.7e8 + i * 0.01;
    x[i] = 4096 * rand();
    y[i] = i % 1000 === 0 ? Number.NaN : 4096 * rand();
    pha[i] = Math.floor(4096 * rand());
    pi[i] = Math.floor(1024 * rand());
  }
  const t = encodeBinTable([
    { name: 'TIME', values: time },
    { name: 'X', values: x },
    { name: 'Y', values: y },
    { name: 'PHA', values: pha },
    { name: 'PI', values: pi },
  ], { extname: 'EVENTS' });
  writeFileSync(path, await encodeFits([{ axes: [] }, { type: 'table', ...t }]));
}

/** [wall, CPU] seconds of one call (CPU: user + system of the process). */
async function timeIt(fn: () => Promise<unknown>): Promise<[number, number]> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await fn();
  const c = process.cpuUsage(c0);
  return [(performance.now() - t0) / 1000, (c.user + c.system) / 1e6];
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'table-bench-'));
  const path = join(dir, 'events.fits');
  try {
    // Made in a child process so the peak RSS below is the reading alone.
    const made = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--make', path], { stdio: 'inherit' });
    if (made.status !== 0) throw new Error('could not make the table');
    const mb = statSync(path).size / 1e6;
    const rounds = Number(process.env.BENCH_REPEAT ?? 5);
    const python = pythonHas('astropy', 'numpy');
    type Times = Record<'stats' | 'column' | 'column_d' | 'page', Array<[number, number]>>;
    const ours: Times = { stats: [], column: [], column_d: [], page: [] };
    const theirs: Times = { stats: [], column: [], column_d: [], page: [] };
    const file = await FitsFile.open(path);
    // two unmeasured rounds: V8 optimises the decoders on the first calls (numpy is compiled ahead)
    for (let round = -2; round < rounds; round++) {
      if (python && round >= 0) {
        const py = runPythonJson<Record<keyof Times, [number, number]>>(fileURLToPath(new URL('table-read.py', import.meta.url)), [path], { GLIBC_TUNABLES: pythonTunables });
        for (const k of Object.keys(theirs) as Array<keyof typeof theirs>) theirs[k].push(py[k]);
      }
      const tStats = await timeIt(() => columnStats(file, 1));
      const tCol = await timeIt(() => readNumericColumn(file, 1, 'X'));
      const tColD = await timeIt(() => readNumericColumn(file, 1, 'TIME'));
      const tPage = await timeIt(() => readTableRows(file, 1, { offset: ROWS - 100, limit: 100 }));
      if (round < 0) continue;
      ours.stats.push(tStats);
      ours.column.push(tCol);
      ours.column_d.push(tColD);
      ours.page.push(tPage);
    }
    await file.close();
    const rss = process.resourceUsage().maxRSS / 1e3;
    const bestOf = (xs: Array<[number, number]>, i: 0 | 1) => (xs.length ? Math.min(...xs.map((x) => x[i])) : undefined);
    const ms = (s: number | undefined) => (s === undefined ? '-' : `${(s * 1000).toFixed(1)} ms`);
    const ratio = (o: number, t: number | undefined) => (t === undefined ? '-' : `${(t / o).toFixed(2)}x`);
    const row = (name: string, key: keyof Times) => {
      const [ow, oc] = [bestOf(ours[key], 0)!, bestOf(ours[key], 1)!];
      const [tw, tc] = [bestOf(theirs[key], 0), bestOf(theirs[key], 1)];
      recordResult({ case: name, metric: 's wall', ours: ow, reference: tw, referenceName: 'astropy', higherIsBetter: false, extra: { rows: ROWS, rounds } });
      recordResult({ case: name, metric: 's CPU', ours: oc, reference: tc, referenceName: 'astropy', higherIsBetter: false, extra: { rows: ROWS, rounds } });
      return [name, ms(ow), ms(tw), ratio(ow, tw), ms(oc), ms(tc), ratio(oc, tc)];
    };
    const rows = [
      row('column statistics (5 columns)', 'stats'),
      row('one float32 column as float64 (X)', 'column'),
      row('one float64 column (TIME)', 'column_d'),
      row('last 100 rows', 'page'),
    ];
    const header = ['operation', 'ours wall', 'astropy wall', 'ratio', 'ours CPU', 'astropy CPU', 'CPU ratio'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
    console.log(`table: ${ROWS} rows x 5 columns, ${mb.toFixed(1)} MB; best of ${rounds} alternating rounds (astropy: best of 2 runs per round); ours with GLIBC_TUNABLES=${process.env.GLIBC_TUNABLES || '(none)'}`);
    console.log(line(header));
    for (const r of rows) console.log(line(r));
    console.log(`peak RSS ${rss.toFixed(0)} MB (node)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The Python side's GLIBC_TUNABLES: this process's without the one added for our side. */
const pythonTunables = (process.env.GLIBC_TUNABLES ?? '').split(':').filter((t) => t && t !== HUGETLB).join(':');

if (process.argv[2] === '--make') await makeTable(process.argv[3] as string);
else {
  const rerun = await rerunWithTunables(process.env.BENCH_HUGETLB === '0' ? '' : HUGETLB, import.meta.url);
  if (rerun !== undefined) process.exitCode = rerun;
  else await main();
}
