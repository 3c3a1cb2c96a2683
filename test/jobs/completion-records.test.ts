/**
 * Records follow the files (issue #18): a job's output records commit in the transaction that marks
 * the job completed, and a run's `alsoWrite` (a downloaded file's record) with the saved state that
 * marks its file done, on SQLite and PostgreSQL. A failure injected inside those writes leaves
 * neither; a job cancelled at the last moment, here or on another node, leaves no record.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { dirname } from 'node:path';
import { openDatabase, type Queryable, type Row, type SqlValue } from '../../src/db/index.js';
import { DbJobStore, InProcessBackend, JOB_MIGRATIONS, JobHandlerRegistry, JobService, copyRecord, type CompletionWrites, type JobHandler, type JobRecord } from '../../src/jobs/index.js';
import { LIBRARY_MIGRATIONS, LibraryService } from '../../src/library/index.js';
import { prepareJobOutputs, preparedWrites } from '../../src/library/job-outputs.js';
import { forEachBackend, type BackendTarget } from '../helpers/db-backends.js';
import { writeProduct } from '../library/fixtures.js';

const RETRYING = 'could not save the end of a job run; retrying';

/**
 * Transactions in which the `n`-th library record insert fails, until `release()` (once when
 * released at the start): the test looks at the database while the writes keep failing.
 */
function failing(n: number, released = false): { wrap(tx: Queryable): Queryable; release(): void; readonly fired: boolean } {
  let fired = false;
  return {
    get fired() { return fired; },
    release: () => { released = true; },
    wrap: (tx) => {
      let seen = 0;
      return {
        kind: tx.kind,
        query: async <T extends Row = Row>(sql: string, params?: readonly SqlValue[]) => {
          if ((!released || !fired) && sql.includes('INSERT INTO library_records') && ++seen === n) {
            fired = true;
            throw new Error('injected failure between the record writes');
          }
          return tx.query<T>(sql, params);
        },
        run: (sql: string, params?: readonly SqlValue[]) => tx.run(sql, params),
      };
    },
  };
}

async function setup(target: BackendTarget, handler: JobHandler) {
  const where = await target.fresh();
  const { db } = await openDatabase({ ...where, migrations: [LIBRARY_MIGRATIONS, JOB_MIGRATIONS] });
  const library = new LibraryService({ db, dataDir: where.dataDir });
  const store = new DbJobStore(db, { ownsDatabase: false });
  const warnings: Array<{ msg: string | undefined; seen: Promise<{ state: string | undefined; records: number }> }> = [];
  const records = async () => (await db.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM library_records'))[0]!.n;
  let jobId = '';
  const warned = new EventEmitter();
  const jobs = new JobService({
    store,
    backend: new InProcessBackend({ compute: 1, transfer: 1 }),
    handlers: new JobHandlerRegistry().register(handler),
    dataDir: where.dataDir,
    storeRetryMs: 1,
    persistIntervalMs: 1,
    progressIntervalMs: 1,
    logger: {
      info: () => undefined,
      error: () => undefined,
      // What the database holds at the moment a write failed (the transaction rolled back).
      // (One statement: one snapshot of both tables on either backend.)
      warn: (_obj, msg) => warnings.push({ msg, seen: (async () => {
        const [row] = await db.query<{ state: string; n: number | string }>('SELECT state, (SELECT COUNT(*) FROM library_records) AS n FROM job_records WHERE id = ?', [jobId]);
        return { state: row?.state, records: Number(row?.n) };
      })() }) && warned.emit('warn'),
    },
  });
  await jobs.start();
  return {
    jobs, library, store, warnings, warned, dataDir: where.dataDir,
    records: async () => Number(await records()),
    submit: async (kind: string) => (jobId = (await jobs.submit(kind, {})).id),
    async close() {
      await jobs.close();
      await library.close();
    },
  };
}

/** A job that writes two FITS outputs in its folder. */
function renderer(onRun?: (ctx: { signal: AbortSignal; job: Readonly<JobRecord> }) => void): JobHandler {
  return {
    kind: 'render',
    async run(ctx) {
      onRun?.(ctx);
      const outputs = [];
      for (const name of ['a_i2d.fits', 'b_i2d.fits']) {
        const rel = `processed/${ctx.job.id}/${name}`;
        await writeProduct(dirname(dirname(await ctx.outputDir())), { rel, instrument: 'NIRCAM', filter: 'F090W' });
        outputs.push({ name, path: rel, sizeBytes: 0, mediaType: 'application/fits' });
      }
      return { result: { n: 2 }, outputs };
    },
  };
}

forEachBackend('completion records', (target) => {
  it('a failure injected between the record writes rolls back the completed state too; the retry commits both', async () => {
    const t = await setup(target, renderer());
    try {
      const fault = failing(2);
      t.jobs.beforeComplete(async (job) => {
        const w = (await prepareJobOutputs(t.library, job))!;
        return { write: (tx) => w.write(fault.wrap(tx)), committed: () => w.committed() };
      });
      const id = await t.submit('render');
      // While the writes fail (retried): still running, no record (the first record's insert rolled back).
      while (t.warnings.length === 0) await once(t.warned, 'warn');
      const failed = t.warnings.filter((w) => w.msg === RETRYING);
      assert.ok(failed.length >= 1);
      assert.deepEqual(await failed[0]!.seen, { state: 'running', records: 0 });
      fault.release();
      const done = await t.jobs.waitUntilSettled(id);
      for (const w of failed) assert.deepEqual(await w.seen, { state: 'running', records: 0 });
      assert.equal(done.state, 'completed');
      assert.equal(await t.records(), 2);
      const rec = (await t.library.recordOf(`processed/${id}/a_i2d.fits`))!;
      assert.equal(rec.jobId, id);
    } finally {
      await t.close();
    }
  });

  it('a job cancelled on another node while its outputs are read leaves no record', async () => {
    const t = await setup(target, renderer());
    try {
      t.jobs.beforeComplete(async (job) => {
        const w = await prepareJobOutputs(t.library, job);
        // Another API node cancels it now (its conditional write on the shared store).
        const other = copyRecord(job) as JobRecord;
        other.state = 'cancelled';
        assert.equal(await t.store.update(other, ['running']), true);
        return w;
      });
      const id = await t.submit('render');
      const done = await t.jobs.waitUntilSettled(id);
      assert.equal(done.state, 'cancelled');
      assert.equal(await t.records(), 0);
    } finally {
      await t.close();
    }
  });

  it('a job cancelled here while its outputs are read leaves no record', async () => {
    let signal: AbortSignal | undefined;
    const t = await setup(target, renderer((ctx) => (signal = ctx.signal)));
    try {
      t.jobs.beforeComplete(async (job) => {
        const cancelling = t.jobs.cancel(job.id); // resolves once the run ended
        if (!signal!.aborted) await once(signal!, 'abort');
        void cancelling;
        return prepareJobOutputs(t.library, job);
      });
      const id = await t.submit('render');
      assert.equal((await t.jobs.waitUntilSettled(id)).state, 'cancelled');
      assert.equal(await t.records(), 0);
    } finally {
      await t.close();
    }
  });

  it('a run\'s alsoWrite lands with the saved state that marks its file done, or neither', async () => {
    const states: Array<{ checkpoint: unknown; records: number }> = [];
    let library: LibraryService | undefined;
    const fault = failing(1, true);
    const handler: JobHandler = {
      kind: 'fetch',
      async run(ctx) {
        const rel = `processed/${ctx.job.id}/c_cal.fits`;
        await writeProduct(dirname(dirname(await ctx.outputDir())), { rel, instrument: 'MIRI', filter: 'F770W' });
        const w = preparedWrites(library!, [await library!.prepareCompletedFile({ path: rel, source: 'download', jobId: ctx.job.id })]);
        const writes: CompletionWrites = { write: (tx) => w.write(fault.wrap(tx)) };
        // The file is marked done and its record registered in one tick; the first save of it fails.
        ctx.alsoWrite(writes);
        await ctx.checkpoint({ done: [rel] }, { now: true });
        states.push(await snapshot(ctx.job.id));
        await ctx.checkpoint({ done: [rel], again: true }, { now: true });
        states.push(await snapshot(ctx.job.id));
        return { result: null };
      },
    };
    const t = await setup(target, handler);
    library = t.library;
    // One statement: one snapshot of both tables on either backend.
    const snapshot = async (id: string) => {
      const [row] = await t.store.db.query<{ record: string; n: number | string }>('SELECT record, (SELECT COUNT(*) FROM library_records) AS n FROM job_records WHERE id = ?', [id]);
      return { checkpoint: (JSON.parse(row!.record) as JobRecord).checkpoint, records: Number(row!.n) };
    };
    try {
      const id = await t.submit('fetch');
      assert.equal((await t.jobs.waitUntilSettled(id)).state, 'completed');
      assert.equal(fault.fired, true);
      // The failed save wrote neither the state nor the record; a later one (the next save, or the
      // progress timer's write after it) both: never the state without the record.
      const rel = `processed/${id}/c_cal.fits`;
      assert.ok(states[0]!.records === 0 ? states[0]!.checkpoint === null : (states[0]!.checkpoint as { done: string[] }).done[0] === rel, JSON.stringify(states[0]));
      assert.deepEqual(states[1], { checkpoint: { done: [rel], again: true }, records: 1 });
    } finally {
      await t.close();
    }
  });
});
