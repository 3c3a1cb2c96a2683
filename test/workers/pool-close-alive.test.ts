/**
 * A close that must finish keeps the process alive until it has (issue #20, session 19). Each case
 * runs in a child process where nothing else is alive: a pool task that ignores its stop is
 * running when the close begins, so its thread is terminated after the abort grace period while
 * the close waits. Before the fix the close waited for piscina's flush, which a terminated thread
 * never answers, behind unref'd timers only: the event loop emptied, the process exited (code 13,
 * unsettled top-level await) and what comes after the close never ran. In the test runner that was
 * the "Promise resolution is still pending but the event loop has already resolved" failure of
 * test/api/decompression-bombs.test.ts's `after` hook (a thumbnail's second part still inflating).
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runTsx, type CliResult } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/paths.js';

const src = (path: string) => JSON.stringify(pathToFileURL(join(REPO_ROOT, 'src', path)).href);

/**
 * Runs an ES module script under tsx, from a file (with `-e` the worker threads would inherit the
 * eval flags); resolves with its exit code and output.
 */
async function runScript(script: string): Promise<CliResult> {
  const dir = await mkdtemp(join(tmpdir(), 'close-alive-script-'));
  const file = join(dir, 'script.mjs');
  await writeFile(file, script);
  try {
    return await runTsx([file]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Starts a ping that spins for a minute without looking at its stop, and waits until it runs.
 * The threads are warm first, as in a server that has served: every other thread is idle, so
 * piscina's flush waits for the spinning thread alone (while threads still boot, the answers of
 * their start-up pings ended that wait by chance).
 */
const SPIN_UNTIL_STARTED = `
  await pool.warmUp();
  const meet = new Int32Array(new SharedArrayBuffer(8));
  meet[1] = 1; // the ping counts itself in meet[0] as it starts, then spins
  const task = pool.run('ping', { meet, spinMs: 60_000 }).then(() => 'answered', (err) => err.code ?? String(err));
  while (Atomics.load(meet, 0) < 1) await new Promise((r) => setTimeout(r, 5));`;

it('WorkerPool.close finishes in a process with nothing else alive while a stopped task\'s thread is terminated', async () => {
  const r = await runScript(`
    const { WorkerPool } = await import(${src('workers/pool.ts')});
    const pool = new WorkerPool({ threads: 2, abortGraceMs: 100, keepAllThreads: true });
    ${SPIN_UNTIL_STARTED}
    await pool.close();
    process.stdout.write(JSON.stringify({ closed: true, task: await task, stats: pool.stats() }));`);
  assert.equal(r.code, 0, `exit code ${r.code}; stdout ${r.stdout}; stderr ${r.stderr}`);
  const out = JSON.parse(r.stdout);
  assert.equal(out.closed, true);
  assert.equal(out.task, 'POOL_CLOSED');
  assert.equal(out.stats.terminated, 1, 'the task ignored its stop: its thread was terminated during the close');
  assert.equal(out.stats.active, 0);
  assert.equal(out.stats.threads, 0);
});

it('Engine.close finishes, and what follows it runs, while a stopped pool task\'s thread is terminated', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'engine-close-alive-'));
  try {
    const r = await runScript(`
      const { writeFile } = await import('node:fs/promises');
      const { loadSettings } = await import(${src('config.ts')});
      const { startEngine } = await import(${src('engine.ts')});
      const engine = await startEngine(loadSettings({ DATA_DIR: ${JSON.stringify(dir)}, LOG_LEVEL: 'silent', WORKER_THREADS: '2', TASK_ABORT_GRACE_MS: '300', LIBRARY_SCAN_ON_START: 'false' }));
      const pool = engine.ctx.pool;
      ${SPIN_UNTIL_STARTED}
      await engine.close();
      await writeFile(${JSON.stringify(join(dir, 'after-close'))}, 'ran');
      process.stdout.write(JSON.stringify({ task: await task, stats: pool.stats() }));`);
    assert.equal(r.code, 0, `exit code ${r.code}; stdout ${r.stdout}; stderr ${r.stderr}`);
    const out = JSON.parse(r.stdout);
    assert.equal(out.task, 'UNAVAILABLE', 'the task was stopped by the shutdown');
    assert.equal(out.stats.terminated, 1);
    assert.equal(out.stats.threads, 0);
    assert.equal(existsSync(join(dir, 'after-close')), true, 'the step after the close ran');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
