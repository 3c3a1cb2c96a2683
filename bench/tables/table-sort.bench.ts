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
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openTables, tablePage } from '../../src/tables/index.js';

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
  let seed = 17;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
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
  const opened = await openTables(path, { maxFileBytes: 2 ** 40 });
  const page = await tablePage(opened.table(1), { page: 0, pageSize: 100, sortColumn: 'C7', sortDirection: 'desc' });
  await opened.close();
  const ms = performance.now() - t0;
  process.stdout.write(JSON.stringify({ ms, rss: peakRssMb(), first: page.rows[0]?.C7 }) + '\n');
}

const PY = `
import sys, time, resource
from astropy.table import Table
t0 = time.perf_counter()
t = Table.read(sys.argv[1], hdu=1)
t.sort('C7', reverse=True)
ms = (time.perf_counter() - t0) * 1000
print(f"{ms:.0f} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} {t['C7'][0]}")
`;

async function main(): Promise<void> {
  if (process.argv[2] === '--engine') return engineSide(process.argv[3] as string);
  const dir = mkdtempSync(join(tmpdir(), 'bench-table-sort-'));
  try {
    const path = join(dir, 'big.fits');
    await writeTable(path);
    const self = fileURLToPath(import.meta.url);
    const e = spawnSync(process.execPath, ['--import', 'tsx', self, '--engine', path], { encoding: 'utf8' });
    if (e.status !== 0) throw new Error(e.stderr);
    const r = JSON.parse(e.stdout.trim().split('\n').pop() as string) as { ms: number; rss: number; first: number };
    process.stdout.write(`rows ${ROWS} x ${COLS} float64 columns, sort by C7 descending, first page of 100\n`);
    process.stdout.write(`engine  ${r.ms.toFixed(0).padStart(7)} ms  peak RSS ${r.rss.toFixed(0)} MB  first ${r.first}\n`);
    const py = spawnSync('/usr/bin/python3', ['-c', PY, path], { encoding: 'utf8' });
    if (py.status === 0) {
      const [ms, rss, first] = py.stdout.trim().split(' ');
      process.stdout.write(`astropy ${String(ms).padStart(7)} ms  peak RSS ${rss} MB  first ${first}  (Table.read + Table.sort)\n`);
    } else process.stdout.write('astropy: not available (apt-get install python3-astropy)\n');
    process.stdout.write('goal: < 3000 ms and < 500 MB at 5,000,000 rows; figures only mean something on a quiet machine\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
