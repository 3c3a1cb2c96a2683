/**
 * `npm run bench -- library`: list/filter pages over many records (target < 100 ms per page) on
 * SQLite, and on PostgreSQL when BENCH_DATABASE_URL points at an empty database; then a rescan of
 * many files on disk (target < 60 s for 100,000, headers only).
 * Sizes: BENCH_RECORDS (default 1,000,000), BENCH_FILES (default 100,000). Figures only mean
 * something on a quiet machine.
 */
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Database } from '../../src/db/index.js';
import { EVERYONE, LIBRARY_MIGRATIONS, LibraryService, SqlRecordRepository, type RecordQuery } from '../../src/library/index.js';
import { encodeFits } from '../../src/fits/index.js';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 1_000_000);
const FILES = Number(process.env.BENCH_FILES ?? 100_000);
const INSTRUMENTS = ['NIRCAM', 'MIRI', 'NIRSPEC', 'NIRISS'];
const FILTERS = ['F090W', 'F150W', 'F200W', 'F444W', 'F770W', 'F1130W'];
const LEVELS = ['L1', 'L2a', 'L2b', 'L3'];

async function fill(db: Database, n: number): Promise<void> {
  const batch = 2000;
  for (let start = 0; start < n; start += batch) {
    await db.transaction(async (tx) => {
      for (let i = start; i < Math.min(n, start + batch); i++) {
        const created = new Date(Date.UTC(2024, 0, 1) + i * 1000).toISOString();
        await tx.run(`INSERT INTO library_records (data_id, path, file_name, data_type, observation_id, calibration_level, instrument, filter, target, target_key,
          size_bytes, file_mtime_ms, created_at, updated_at, source, owner, visibility) VALUES (?, ?, ?, 'image', ?, ?, ?, ?, ?, ?, 1000, 0, ?, ?, 'scan', ?, ?)`, [
          `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, `bench/${i}.fits`, `${i}.fits`, `jw${String(i % 5000).padStart(5, '0')}-o001`,
          LEVELS[i % 4]!, INSTRUMENTS[i % 4]!, FILTERS[i % 6]!, `Target ${i % 997}`, `target ${i % 997}`, created, created,
          i % 10 === 0 ? 'alice' : null, i % 10 === 0 ? 'private' : 'public',
        ]);
      }
    });
  }
}

async function timePages(repo: SqlRecordRepository, name: string, query: Omit<RecordQuery, 'limit'>): Promise<void> {
  const times: number[] = [];
  const cpu: number[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 5; page++) {
    const t = performance.now();
    const c = process.cpuUsage();
    const r = await repo.list({ ...query, limit: 100, cursor });
    const used = process.cpuUsage(c);
    times.push(performance.now() - t);
    cpu.push((used.user + used.system) / 1000);
    cursor = r.nextCursor ?? undefined;
    if (!cursor) break;
  }
  // CPU time says what a page costs when the machine is loaded (SQLite runs in this thread; PostgreSQL's work is in its server).
  console.log(`  ${name.padEnd(40)} first ${times[0]!.toFixed(1)} ms, next pages max ${Math.max(...times.slice(1), 0).toFixed(1)} ms`
    + ` (CPU of this process: first ${cpu[0]!.toFixed(1)} ms, next max ${Math.max(...cpu.slice(1), 0).toFixed(1)} ms)`);
}

async function listBench(label: string, where: { databaseUrl?: string; sqliteFile: string }): Promise<void> {
  const { db } = await openDatabase({ ...where, migrations: [LIBRARY_MIGRATIONS] });
  try {
    const t = performance.now();
    await fill(db, RECORDS);
    console.log(`${label}: ${RECORDS} records inserted in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const repo = new SqlRecordRepository(db);
    // What the engine does after a scan that changed many records (src/library/service.ts).
    const ta = performance.now();
    await repo.refreshStatistics();
    console.log(`  statistics refreshed (ANALYZE) in ${((performance.now() - ta) / 1000).toFixed(1)} s`);
    await timePages(repo, 'all, newest first', { viewer: EVERYONE });
    await timePages(repo, 'instrument=MIRI', { viewer: EVERYONE, instrument: 'MIRI' });
    await timePages(repo, 'level=L3 filter=F444W', { viewer: EVERYONE, levels: ['L3'], filter: 'F444W' });
    await timePages(repo, 'target prefix "target 12"', { viewer: EVERYONE, target: 'target 12' });
    await timePages(repo, 'user bob (public + own)', { viewer: { kind: 'user', userId: 'bob', admin: false } });
    await timePages(repo, 'mine (alice)', { viewer: { kind: 'user', userId: 'alice', admin: false }, mine: true });
  } finally {
    await db.close();
  }
}

async function scanBench(dir: string): Promise<void> {
  const bytes = await encodeFits([{ axes: [], cards: [{ keyword: 'INSTRUME', value: 'NIRCAM' }, { keyword: 'FILTER', value: 'F200W' }] },
    { axes: [8, 8], data: new Float32Array(64), extname: 'SCI' }]);
  for (let i = 0; i < FILES; i++) {
    const sub = join(dir, 'files', String(i % 100));
    if (i < 100) await mkdir(sub, { recursive: true });
    await writeFile(join(sub, `jw01234-o${String(i).padStart(6, '0')}_t001_nircam_i2d.fits`), bytes);
  }
  const { db } = await openDatabase({ sqliteFile: join(dir, 'scan.db'), migrations: [LIBRARY_MIGRATIONS] });
  const library = new LibraryService({ db, dataDir: join(dir, 'files') });
  try {
    // Wall time depends on the machine's load; the process's CPU time (every thread: libuv's file
    // system pool and SQLite included) much less, so both are printed.
    const cpuSeconds = (since: NodeJS.CpuUsage) => {
      const u = process.cpuUsage(since);
      return `${((u.user + u.system) / 1e6).toFixed(1)} s CPU (user ${(u.user / 1e6).toFixed(1)}, system ${(u.system / 1e6).toFixed(1)})`;
    };
    let cpu = process.cpuUsage();
    const first = await library.scan();
    console.log(`scan of ${FILES} new files: ${(first.durationMs / 1000).toFixed(1)} s wall, ${cpuSeconds(cpu)} (${first.added} added)`);
    cpu = process.cpuUsage();
    const again = await library.scan();
    console.log(`rescan, nothing changed: ${(again.durationMs / 1000).toFixed(1)} s wall, ${cpuSeconds(cpu)} (${again.unchanged} unchanged)`);
  } finally {
    await library.close();
  }
}

const dir = await mkdtemp(join(tmpdir(), 'bench-library-'));
try {
  await listBench('sqlite', { sqliteFile: join(dir, 'list.db') });
  if (process.env.BENCH_DATABASE_URL) await listBench('postgres', { databaseUrl: process.env.BENCH_DATABASE_URL, sqliteFile: join(dir, 'unused.db') });
  else console.log('postgres: set BENCH_DATABASE_URL to an empty database to run the same pages there');
  await scanBench(dir);
} finally {
  await rm(dir, { recursive: true, force: true });
}
