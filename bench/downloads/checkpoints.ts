/**
 * Issue #20 (session 14): what a download job's checkpoints cost as its file count grows. Not a
 * `*.bench.ts` (the runner does not pick it up): `nice node --import tsx bench/downloads/checkpoints.ts
 * [files ...]` (default 400 2000 5000). For each count it runs one real download job (the download
 * manager, the job service, a DbJobStore on SQLite as the engine has it, a library-like record write
 * per file) of that many 2 KB files from the fake MAST server, and prints: the job-record writes
 * (`store.update`) and the event-loop time they took (serialising and writing the whole record),
 * the longest one, the event-loop delay over the run (p99, max), the wall and CPU time of the run,
 * and, apart, the cost of one `jobToJson`, `JSON.stringify` and `structuredClone` of the record at
 * that size, and of the event copy that shares a frozen checkpoint (`deepFreeze`, `copyForEvent`).
 * Since session 15 also: the SQLite statements that write the record (the UPDATE, and the COMMIT of
 * a write with records; better-sqlite3 runs them on the event loop, a turn after `store.update`
 * returned), the record's size, and, where the code has them (checkpoint-builder.ts, `recordJson`),
 * one save as the run makes it (`CheckpointBuilder.build`, one file changed since the last) and
 * the store's text of that record; the same file runs on the code before them. Since the WAL
 * checkpoint thread (session 15, src/db/sqlite-checkpointer.ts): the WAL file's size when the job
 * ended; the same file runs on the code before it. Since records kept in parts (session 16,
 * db-store.ts): the chunk rows' statements apart (the UPDATE of the job's row is then small), and
 * a running save's whole `store.update` with one file changed.
 */
import { performance, monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { openDatabase, type Queryable } from '../../src/db/index.js';
import { DownloadManager, downloadJobOf } from '../../src/downloads/download-manager.js';
import { jobToJson } from '../../src/downloads/job.js';
import { StaticProductSource, type RemoteProduct } from '../../src/downloads/product-source.js';
import { DbJobStore, InProcessBackend, JOB_MIGRATIONS, JobHandlerRegistry, JobService, type JobRecord } from '../../src/jobs/index.js';
import * as jobTypes from '../../src/jobs/types.js';
import { copyForEvent, deepFreeze, type JsonObject } from '../../src/jobs/types.js';
import { FakeDownloadEndpoint, startDownloadServer } from '../../test/fake-mast/download-endpoint.js';

const RECORDS = { component: 'bench-records', migrations: [{ version: 1, name: 'file records', sqlite: 'CREATE TABLE file_records (path TEXT PRIMARY KEY)', postgres: 'CREATE TABLE file_records (path TEXT PRIMARY KEY)' }] };

async function run(files: number): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'ckpt-bench-'));
  const endpoint = new FakeDownloadEndpoint();
  const server = await startDownloadServer(endpoint);
  const { db } = await openDatabase({ databaseUrl: undefined, sqliteFile: join(dataDir, 'engine.db'), dataDir, migrations: [JOB_MIGRATIONS, RECORDS] } as never);
  const store = new DbJobStore(db, { ownsDatabase: false });
  let writes = 0;
  let writeMs = 0;
  let longestWrite = 0;
  const update = store.update.bind(store);
  store.update = async (...args: Parameters<DbJobStore['update']>) => {
    // better-sqlite3 is synchronous: the event loop is held from the call to the promise's return.
    const t0 = performance.now();
    const p = update(...args);
    const held = performance.now() - t0;
    writes++;
    writeMs += held;
    longestWrite = Math.max(longestWrite, held);
    return p;
  };
  // The statements themselves (synchronous, on the event loop).
  const sqlite = db as unknown as { runNow: (sql: string, params: unknown[]) => number; db: { exec: (sql: string) => unknown } };
  const statementMs: number[] = [];
  const timed = <A extends unknown[], R>(f: (...a: A) => R, when: (...a: A) => boolean) => (...a: A): R => {
    if (!when(...a)) return f(...a);
    const t0 = performance.now();
    try {
      return f(...a);
    } finally {
      statementMs.push(performance.now() - t0);
    }
  };
  let inRecordWrite = false;
  // Session 16: the chunk rows of a record kept in parts (db-store.ts), timed apart.
  const partMs: number[] = [];
  const isPart = (sql: string) => sql.startsWith('INSERT INTO job_record_parts') || sql.startsWith('DELETE FROM job_record_parts');
  const runNow = sqlite.runNow.bind(sqlite);
  sqlite.runNow = timed((sql: string, params: unknown[]) => {
    if (isPart(sql)) {
      const t0 = performance.now();
      try {
        return runNow(sql, params);
      } finally {
        partMs.push(performance.now() - t0);
      }
    }
    const r = runNow(sql, params);
    if (sql.startsWith('UPDATE job_records')) inRecordWrite = true;
    return r;
  }, (sql) => sql.startsWith('UPDATE job_records'));
  const exec = sqlite.db.exec.bind(sqlite.db);
  sqlite.db.exec = timed((sql: string) => {
    inRecordWrite = false;
    return exec(sql);
  }, (sql) => sql === 'COMMIT' && inRecordWrite);
  const jobs = new JobService({ store, backend: new InProcessBackend({ compute: 1, transfer: 4 }), handlers: new JobHandlerRegistry(), dataDir });
  const obsId = 'jw01234-o001_t001_nircam';
  const list: RemoteProduct[] = [];
  const body = Buffer.alloc(2048, 7);
  for (let i = 0; i < files; i++) {
    const name = `${obsId}_${String(i).padStart(5, '0')}_x1d.json`;
    const uri = `mast:JWST/product/${name}`;
    endpoint.addFile(uri, body, {});
    list.push({ filename: name, url: FakeDownloadEndpoint.urlFor(server.url, uri), dataUri: uri, size: body.length });
  }
  const downloads = new DownloadManager({
    downloadDir: join(dataDir, 'mast'), dataDir, products: new StaticProductSource(new Map([[obsId, list]])), jobs, syncData: false,
    onFileComplete: (f) => ({ write: async (tx: Queryable) => void (await tx.run('INSERT INTO file_records (path) VALUES (?) ON CONFLICT (path) DO NOTHING', [f.relativePath])) }),
  });
  await jobs.start();
  await downloads.start();
  const delay = monitorEventLoopDelay({ resolution: 1 });
  try {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    delay.enable();
    const job = await downloads.createJob({ obsId, productType: 'SCIENCE' });
    const done = await downloads.waitUntilSettled(job.id);
    delay.disable();
    const wall = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    if (done.status !== 'complete') throw new Error(`job ended ${done.status}: ${done.error}`);
    // The WAL's size on disk when the job ended (it grows when checkpoints fall behind the writes).
    const walMb = (() => {
      try {
        return statSync(join(dataDir, 'engine.db-wal')).size / 1e6;
      } catch {
        return 0;
      }
    })();
    const saved = downloadJobOf((await store.get(job.id)) as JobRecord);
    const complete = saved.files.filter((f) => f.status === 'complete').length;
    const recs = (await db.query<{ n: number }>('SELECT count(*) AS n FROM file_records'))[0]!.n;
    // One save's pieces at this size, apart (median of 9).
    const med = (f: () => unknown) => {
      const t: number[] = [];
      for (let i = 0; i < 9; i++) {
        const s = performance.now();
        f();
        t.push(performance.now() - s);
      }
      return t.sort((a, b) => a - b)[4]!;
    };
    const record = (await store.get(job.id))!;
    const toJson = med(() => jobToJson(saved));
    const clone = med(() => structuredClone(record));
    const stringify = med(() => JSON.stringify(record));
    const freeze = med(() => deepFreeze(jobToJson(saved))) - toJson;
    const frozen = { ...record, checkpoint: deepFreeze(jobToJson(saved) as unknown as JsonObject) };
    const eventCopy = med(() => copyForEvent(frozen));
    const statements = [...statementMs].sort((a, b) => a - b);
    const runStatements = `${(statements.reduce((a, b) => a + b, 0) / 1000).toFixed(3)} s, median ${statements[statements.length >> 1]?.toFixed(1)} ms, longest ${statements.at(-1)?.toFixed(1)} ms`;
    const parts = [...partMs].sort((a, b) => a - b);
    const runParts = parts.length === 0 ? 'none' : `${parts.length} (${(parts.reduce((a, b) => a + b, 0) / 1000).toFixed(3)} s, median ${parts[parts.length >> 1]!.toFixed(2)} ms, longest ${parts.at(-1)!.toFixed(1)} ms)`;
    // Session 15's pieces, where the code has them.
    let incremental = 'no incremental checkpoint';
    const builderModule = await import('../../src/downloads/checkpoint-builder.js' as string).catch(() => undefined) as
      { CheckpointBuilder: new () => { build(job: typeof saved): object } } | undefined;
    const recordJson = (jobTypes as { recordJson?: (job: JobRecord) => string }).recordJson;
    if (builderModule && recordJson) {
      const builder = new builderModule.CheckpointBuilder();
      builder.build(saved);
      // Min and median of 31: on a loaded machine the median also holds the time the process waited for a core.
      let k = 0;
      const builds: number[] = [];
      for (let i = 0; i < 31; i++) {
        saved.files[k++ % saved.files.length]!.etag = `"${k}"`;
        const t0 = performance.now();
        builder.build(saved);
        builds.push(performance.now() - t0);
      }
      builds.sort((a, b) => a - b);
      const built = { ...record, checkpoint: builder.build(saved) as JsonObject };
      const text = med(() => recordJson(built));
      statementMs.length = 0;
      for (let i = 0; i < 9; i++) await store.update(built);
      const write = [...statementMs].sort((a, b) => a - b)[4]!;
      // A running job's save with one file changed, the whole store.update (its statements are synchronous): median of 9.
      const saves: number[] = [];
      await store.update({ ...record, state: 'running', checkpoint: builder.build(saved) as JsonObject });
      for (let i = 0; i < 9; i++) {
        saved.files[k++ % saved.files.length]!.etag = `"${k}"`;
        const next = { ...record, state: 'running' as const, checkpoint: builder.build(saved) as JsonObject };
        const t0 = performance.now();
        await store.update(next);
        saves.push(performance.now() - t0);
      }
      saves.sort((a, b) => a - b);
      incremental = `incremental build (1 file changed) min ${builds[0]!.toFixed(2)} median ${builds[15]!.toFixed(2)} ms, recordJson ${text.toFixed(2)} ms, its UPDATE ${write.toFixed(2)} ms, a running save's store.update ${saves[4]!.toFixed(2)} ms`;
    }
    console.log([
      `${String(files).padStart(5)} files`,
      `wall ${wall.toFixed(2)} s`, `cpu ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s`,
      `record writes ${writes} (${(writeMs / 1000).toFixed(3)} s, longest ${longestWrite.toFixed(1)} ms)`,
      `record statements ${statementMs.length ? runStatements : '-'}`,
      `chunk-row statements ${runParts}`,
      `loop delay p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms max ${(delay.max / 1e6).toFixed(1)} ms`,
      `one jobToJson ${toJson.toFixed(2)} ms, JSON.stringify ${stringify.toFixed(2)} ms, structuredClone ${clone.toFixed(2)} ms, deepFreeze ${freeze.toFixed(2)} ms, copyForEvent (frozen checkpoint) ${eventCopy.toFixed(2)} ms`,
      `${incremental} (record ${(JSON.stringify(record).length / 1e6).toFixed(2)} MB)`,
      `saved complete ${complete}/${files}, records ${recs}, WAL at the end ${walMb.toFixed(1)} MB`,
    ].join(' | '));
  } finally {
    await downloads.close();
    await jobs.close();
    await db.close();
    await server.close?.();
    await rm(dataDir, { recursive: true, force: true });
  }
}

const counts = process.argv.slice(2).map(Number).filter((n) => n > 0);
console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}, node ${process.version}`);
for (const n of counts.length ? counts : [400, 2000, 5000]) await run(n);
