/**
 * WAL checkpoints off the event loop (issue #20, session 15; src/db/sqlite-checkpointer.ts): the
 * main connection's commits no longer copy the WAL back into the database (a commit past SQLite's
 * 1000-page auto-checkpoint did, on the event loop), the checkpoint thread does, close leaves the
 * database whole and without a WAL, and without a thread commits checkpoint as before.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';
import { CHECKPOINT_THREAD_START, ONE_SHOT_CHECKPOINT_THREAD_START, SqliteDatabase, type SqliteDatabaseOptions } from '../../src/db/sqlite.js';

const PAGE = 4096;
/** A row of ~1500 pages (more than the 1000-page auto-checkpoint), its content differing per `n` (SQLite skips unchanged overflow pages). */
const bigRow = (n: number) => String(n % 10).repeat(6 * 1024 * 1024);
const walPages = (file: string) => (existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size / PAGE : 0);
const NEVER = { intervalMs: 3_600_000, busyMs: 3_600_000, nudgeBytes: Infinity };

describe('embedded database: WAL checkpoints on their own thread', () => {
  let dir: string;
  let n = 0;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sqlite-ckpt-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function open(options: SqliteDatabaseOptions): Promise<{ db: SqliteDatabase; file: string }> {
    const file = join(dir, `engine-${++n}.db`);
    const db = new SqliteDatabase(file, options);
    await db.checkpointThreadStarted();
    db.execScript('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
    return { db, file };
  }
  const write = (db: SqliteDatabase, i: number) => db.run('INSERT INTO t (id, v) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET v = excluded.v', [bigRow(i)]);

  it('commits do not checkpoint; the thread does; close leaves the database whole and no WAL', async () => {
    const { db, file } = await open({ checkpointThread: NEVER });
    assert.equal(db.checkpointState, 'running');
    for (let i = 1; i <= 3; i++) await write(db, i);
    // Three rows' pages one after the other: no commit copied the WAL back (and restarted it).
    assert.ok(walPages(file) > 3 * 1400, `WAL ${walPages(file)} pages`);
    const done = await db.checkpointNow();
    assert.ok(done && done.busy === 0 && done.log > 3 * 1400 && done.checkpointed === done.log, JSON.stringify(done));
    // Everything copied: the next commit starts the WAL again from its beginning.
    await db.run('UPDATE t SET v = ? WHERE id = 1', ['small']);
    const next = await db.checkpointNow();
    assert.ok(next && next.log < 100, JSON.stringify(next));
    const truncated = await db.checkpointNow('TRUNCATE');
    assert.deepEqual(truncated, { busy: 0, log: 0, checkpointed: 0 });
    await write(db, 4);
    await db.close();
    assert.equal(db.checkpointState, 'stopped');
    assert.equal(existsSync(`${file}-wal`), false);
    const check = new BetterSqlite3(file, { readonly: true });
    try {
      assert.equal(check.pragma('integrity_check', { simple: true }), 'ok');
      assert.equal((check.prepare('SELECT v FROM t WHERE id = 1').get() as { v: string }).v, bigRow(4));
    } finally {
      check.close();
    }
  });

  it('the thread checkpoints by itself and truncates the WAL once nothing is written', async () => {
    const { db, file } = await open({ checkpointThread: { intervalMs: 20, busyMs: 10 } });
    for (let i = 1; i <= 2; i++) await write(db, i);
    for (let waited = 0; walPages(file) > 0 && waited < 30_000; waited += 20) await sleep(20);
    assert.equal(walPages(file), 0);
    assert.equal((await db.query<{ n: number }>('SELECT length(v) AS n FROM t'))[0]!.n, bigRow(2).length);
    await db.close();
  });

  it('without a thread (none could be made, or it ended) commits checkpoint as SQLite does by default', async () => {
    const none = await open({ checkpointThread: { ...NEVER, startThread: () => { throw Object.assign(new Error('no threads'), { code: 'ERR_WORKER_INIT_FAILED' }); } } });
    assert.equal(none.db.checkpointState, 'failed');
    // A thread that answers, then ends: its database turns the auto-checkpoint back on.
    const ended = await open({
      checkpointThread: {
        ...NEVER,
        startThread: (_source, options) => new Worker("require('node:worker_threads').parentPort.postMessage({ ready: true }); setTimeout(() => {}, 50);", { ...options }),
      },
    });
    while (ended.db.checkpointState === 'running') await sleep(10);
    assert.equal(ended.db.checkpointState, 'failed');
    for (const { db, file } of [none, ended]) {
      for (let i = 1; i <= 3; i++) await write(db, i);
      // Each commit past 1000 pages copied the WAL back, so the next one started it again.
      assert.ok(walPages(file) < 1600, `WAL ${walPages(file)} pages`);
      assert.equal(await db.checkpointNow(), undefined);
      await db.close();
      assert.equal(existsSync(`${file}-wal`), false);
    }
  });

  it('the thread starts once about 1 MiB was committed, or a while after opening; a process that writes little and ends soon starts none', async () => {
    let made = 0;
    const startThread = (source: string, options: WorkerOptions) => (made++, new Worker(source, options));
    const file = join(dir, `engine-${++n}.db`);
    const db = new SqliteDatabase(file, { checkpointThread: { ...NEVER, startThread } });
    db.execScript('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
    await db.run('INSERT INTO t (id, v) VALUES (1, ?)', ['x'.repeat(100_000)]);
    assert.equal(made, 0);
    assert.equal(db.checkpointState, 'starting');
    await db.run('UPDATE t SET v = ? WHERE id = 1', ['y'.repeat(CHECKPOINT_THREAD_START.bytes)]);
    assert.equal(made, 1, 'started by the commit that took the writes past 1 MiB');
    await db.checkpointThreadStarted();
    assert.equal(db.checkpointState, 'running');
    await db.close();
    assert.equal(existsSync(`${file}-wal`), false);
    // Opened and closed at once (a one-shot command): no thread, the WAL still removed at close.
    const quick = new SqliteDatabase(join(dir, `engine-${++n}.db`), { checkpointThread: { ...NEVER, startThread } });
    quick.execScript('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    await quick.run('INSERT INTO t (id) VALUES (1)');
    await quick.close();
    assert.equal(made, 1);
    // Or a while after opening, written or not.
    const timed = new SqliteDatabase(join(dir, `engine-${++n}.db`), { checkpointThread: { ...NEVER, startThread }, checkpointThreadStart: { bytes: Infinity, ms: 20 } });
    while (made < 2) await sleep(10);
    await timed.checkpointThreadStarted();
    assert.equal(timed.checkpointState, 'running');
    await timed.close();
  });

  it('a one-shot process (ONE_SHOT_CHECKPOINT_THREAD_START) starts the thread only once it committed 1 MiB, never on a timer (issue #20, session 19)', async () => {
    let made = 0;
    const startThread = (source: string, options: WorkerOptions) => (made++, new Worker(source, options));
    const db = new SqliteDatabase(join(dir, `engine-${++n}.db`), { checkpointThread: { ...NEVER, startThread }, checkpointThreadStart: ONE_SHOT_CHECKPOINT_THREAD_START });
    db.execScript('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
    await db.run('INSERT INTO t (id, v) VALUES (1, ?)', ['x'.repeat(100_000)]);
    // Timers fire in the order they expire: an Infinity taken by setTimeout as 1 ms would have fired by now.
    await sleep(20);
    assert.equal(made, 0);
    assert.equal(db.checkpointState, 'starting');
    await db.run('UPDATE t SET v = ? WHERE id = 1', ['y'.repeat(CHECKPOINT_THREAD_START.bytes)]);
    assert.equal(made, 1, 'started by the commit that took the writes past 1 MiB');
    await db.checkpointThreadStarted();
    await db.close();
  });

  it('an in-memory database has no thread', async () => {
    const db = new SqliteDatabase(':memory:');
    assert.equal(db.checkpointState, 'off');
    await db.close();
  });
});
