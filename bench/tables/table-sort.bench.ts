/**
 * Sorting a large FITS table by one column: GET /analysis/table-data's core (read the sort column
 * only, radix argsort, read the page's rows) beside astropy's Table.read + Table.sort on the same
 * file. Goal (issue #17): 5 million rows x 20 columns in < 3 s and < 500 MB RSS.
 *
 *   npm run bench -- table-sort                   # BENCH_ROWS=200000 by default (smoke size)
 *   BENCH_ROWS=5000000 npm run bench -- table-sort   # the issue's size (quiet machine only)
 *
 * The file is written to a temp dir in blocks (never held whole). The engine side runs in a child
 * process so its peak RSS is its own (reported from /proc/self/status VmHWM).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openTables, tablePage } from '../../src/tables/index.js';
import { recordResult } from '../lib/results.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 200_000);
const COLS = 20;

function card(s: string): string {
  return s.padEnd(80, ' ');
}

async function writeTable(path: string): Promise<void> {
  const rowBytes = COLS * 8;
  const cards = [
    "XTENSION= 'BINTABLE'", 'BITPIX  =                    8', 'NAXIS   =                    2', `NAXIS1  = ${String(rowBytes).padStart(20)}`,
    `NAXIS2  = ${String(ROWS).padStart(20)}`, 'PCOUNT  =                    0', 'GCOUNT  =                    1', `TFIELDS = ${String(COLS).padStart(20)}`,
  ];
  for (let c = 1; c <= COLS; c++) cards.push(`${`TTYPE${c}`.padEnd(8)}= 'C${c}'`, `${`TFORM${c}`.padEnd(8)}= 'D'`);
  cards.push('END');
  const primary = ['SIMPLE  =                    T', 'BITPIX  =                    8', 'NAXIS   =                    0', 'EXTEND  =                    T', 'END'];
  const block = (cs: string[]) => {
    const text = cs.map(card).join('');
    return Buffer.from(text.padEnd(Math.ceil(text.length / 2880) * 2880, ' '), 'latin1');
  };
  const fh = await open(path, 'w');
  await fh.write(block(primary));
  await fh.write(block(cards));
  // A 32-bit LCG in integer arithmetic (Math.imul): full period 2^32. The product in doubles lost its
  // low bits past 2^53 and the sequence cycled after 5,607 draws, so a column held at most 419 distinct values.
  let seed = 17;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const chunkRows = 50_000;
  for (let r0 = 0; r0 < ROWS; r0 += chunkRows) {
    const n = Math.min(chunkRows, ROWS - r0);
    const buf = Buffer.alloc(n * rowBytes);
    for (let i = 0; i < n * COLS; i++) buf.writeDoubleBE(rand() * 1e6, i * 8);
    await fh.write(buf);
  }
  const dataBytes = ROWS * rowBytes;
  const pad = (2880 - (dataBytes % 2880)) % 2880;
  if (pad) await fh.write(Buffer.alloc(pad));
  await fh.close();
}

function peakRssMb(): number {
  const status = spawnSync('cat', [`/proc/${process.pid}/status`]).stdout.toString();
  const m = /VmHWM:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

async function engineSide(path: string): Promise<void> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const opened = await openTables(path, { maxFileBytes: 2 ** 40 });
  const page = await tablePage(opened.table(1), { page: 0, pageSize: 100, sortColumn: 'C7', sortDirection: 'desc' });
  await opened.close();
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  const cpuMs = (c.user + c.system) / 1000;
  process.stdout.write(JSON.stringify({ ms, cpuMs, rss: peakRssMb(), first: page.rows[0]?.C7 }) + '\n');
}

const PY = `
import sys, time, resource
from astropy.table import Table
t0 = time.perf_counter()
c0 = time.process_time()
t = Table.read(sys.argv[1], hdu=1)
t.sort('C7', reverse=True)
ms = (time.perf_counter() - t0) * 1000
cpu = (time.process_time() - c0) * 1000
print(f"{ms:.0f} {cpu:.0f} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} {t['C7'][0]}")
`;

interface SideFigures {
  readonly ms: number;
  readonly cpuMs: number;
  readonly rss: number;
}

function record(ours: SideFigures, astropy: SideFigures | undefined): void {
  const name = `${ROWS} rows x ${COLS} float64 columns, sort by one column`;
  const common = { referenceName: 'astropy Table.read + Table.sort', higherIsBetter: false } as const;
  const extra = { rss_mb: ours.rss, ...(astropy ? { reference_rss_mb: astropy.rss } : {}), load1: loadavg()[0] ?? Number.NaN };
  recordResult({ case: name, metric: 'ms CPU', ours: ours.cpuMs, reference: astropy?.cpuMs, ...common, extra });
  recordResult({ case: name, metric: 'ms wall', ours: ours.ms, reference: astropy?.ms, ...common, extra });
}

async function main(): Promise<void> {
  if (process.argv[2] === '--engine') return engineSide(process.argv[3] as string);
  const dir = mkdtempSync(join(tmpdir(), 'bench-table-sort-'));
  try {
    const path = join(dir, 'big.fits');
    await writeTable(path);
    const self = fileURLToPath(import.meta.url);
    const e = spawnSync(process.execPath, ['--import', 'tsx', self, '--engine', path], { encoding: 'utf8' });
    if (e.status !== 0) throw new Error(e.stderr);
    const r = JSON.parse(e.stdout.trim().split('\n').pop() as string) as { ms: number; cpuMs: number; rss: number; first: number };
    process.stdout.write(`rows ${ROWS} x ${COLS} float64 columns, sort by C7 descending, first page of 100\n`);
    process.stdout.write(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} (wall figures are inflated by load; CPU = user + system)\n`);
    process.stdout.write(`engine  ${r.ms.toFixed(0).padStart(7)} ms wall ${r.cpuMs.toFixed(0).padStart(7)} ms CPU  peak RSS ${r.rss.toFixed(0)} MB  first ${r.first}\n`);
    const py = spawnSync('/usr/bin/python3', ['-c', PY, path], { encoding: 'utf8' });
    if (py.status === 0) {
      const [ms, cpu, rss, first] = py.stdout.trim().split(' ');
      process.stdout.write(`astropy ${String(ms).padStart(7)} ms wall ${String(cpu).padStart(7)} ms CPU  peak RSS ${rss} MB  first ${first}  (Table.read + Table.sort)\n`);
      record(r, { ms: Number(ms), cpuMs: Number(cpu), rss: Number(rss) });
    } else {
      process.stdout.write('astropy: not available (apt-get install python3-astropy)\n');
      record(r, undefined);
    }
    process.stdout.write('goal: < 3000 ms and < 500 MB at 5,000,000 rows; figures only mean something on a quiet machine\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
