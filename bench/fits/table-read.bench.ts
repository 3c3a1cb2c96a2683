/**
 * FITS tables: column statistics over a whole binary table and a page of rows from its end,
 * against astropy (`fits.getdata(path, 1)` + numpy nanmin/nanmax/nanmean per column).
 * The table (2,000,000 rows x 5 columns, 44 MB) is written to a temporary file by encodeBinTable
 * (in a child process, so the peak RSS printed is the reading alone).
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

async function timeIt<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const r = await fn();
  return [(performance.now() - t0) / 1000, r];
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'table-bench-'));
  const path = join(dir, 'events.fits');
  try {
    // Made in a child process so the peak RSS below is the reading alone.
    const made = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--make', path], { stdio: 'inherit' });
    if (made.status !== 0) throw new Error('could not make the table');
    const mb = statSync(path).size / 1e6;
    const file = await FitsFile.open(path);
    const [tStats] = await timeIt(() => columnStats(file, 1));
    const [tCol] = await timeIt(() => readNumericColumn(file, 1, 'X'));
    const [tPage] = await timeIt(() => readTableRows(file, 1, { offset: ROWS - 100, limit: 100 }));
    await file.close();
    const rss = process.resourceUsage().maxRSS / 1e3;

    let py: { stats: number; column: number; page: number } | undefined;
    if (pythonHas('astropy', 'numpy')) {
      py = runPythonJson(fileURLToPath(new URL('table-read.py', import.meta.url)), [path]);
    }
    const row = (name: string, ours: number, theirs?: number) =>
      `${name.padEnd(34)} ${ours.toFixed(3).padStart(8)} s ${(mb / ours).toFixed(0).padStart(6)} MB/s` +
      (theirs === undefined ? '' : ` | astropy ${theirs.toFixed(3).padStart(8)} s  ratio ${(theirs / ours).toFixed(2)}x`);
    console.log(`table: ${ROWS} rows x 5 columns, ${mb.toFixed(1)} MB`);
    console.log(row('column statistics (5 columns)', tStats, py?.stats));
    console.log(row('one numeric column (float64)', tCol, py?.column));
    console.log(`${'last 100 rows'.padEnd(34)} ${(tPage * 1000).toFixed(2).padStart(8)} ms${py ? ` | astropy ${(py.page * 1000).toFixed(2)} ms` : ''}`);
    console.log(`peak RSS ${rss.toFixed(0)} MB (node)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--make') await makeTable(process.argv[3] as string);
else await main();
