/**
 * The observation lock (`.download.lock`): an empty or unreadable lock is waited for while it is
 * young and taken over once it is old (it was retried every 20 ms for ever); a stale lock is taken
 * over by exactly one of several jobs at once (two of them could each remove it and both go on);
 * a lock is never seen without its job id.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { lockObservation, OBSERVATION_LOCK_NAME } from '../../src/downloads/observation-lock.js';
import { tempDir } from './helpers.js';

const nobodyRuns = { isRunning: async () => false };

describe('observation lock (session 12)', () => {
  it('takes over an empty or unreadable lock once it is older than the grace period, and waits for a young one', async () => {
    const tmp = await tempDir();
    try {
      const path = join(tmp.dir, OBSERVATION_LOCK_NAME);
      for (const text of ['', '\n', '\u0000\u0000\u0000', 'not a job id']) {
        await writeFile(path, text);
        // Young: its writer may still be at it; not taken (the wait ends by its signal).
        const waiting = new AbortController();
        const young = lockObservation(tmp.dir, 'job-young', { ...nobodyRuns, unreadableGraceMs: 3_600_000 }, waiting.signal);
        await sleep(250);
        waiting.abort(new Error('stop waiting'));
        await assert.rejects(young); // aborted: it never took the lock
        assert.equal(await readFile(path, 'utf8'), text, 'a young unreadable lock is left alone');
        // An hour old (a process killed between the lock's create and its write): taken over.
        const old = new Date(Date.now() - 3_600_000);
        await utimes(path, old, old);
        const release = await lockObservation(tmp.dir, 'job-new', nobodyRuns, AbortSignal.timeout(60_000));
        assert.equal(await readFile(path, 'utf8'), 'job-new');
        await release();
      }
      assert.deepEqual(await readdir(tmp.dir), [], 'no lock, draft or takeover marker left behind');
    } finally {
      await tmp.remove();
    }
  });

  it('several jobs finding one stale lock: one at a time holds it, each in turn', async () => {
    const tmp = await tempDir();
    try {
      const path = join(tmp.dir, OBSERVATION_LOCK_NAME);
      for (let round = 0; round < 25; round++) {
        await writeFile(path, 'dead-job');
        // As in the engine, a job is running (its record says so) from before it asks for the lock until after it releases it.
        const running = new Set<string>();
        const holding = new Set<string>();
        let most = 0;
        const options = {
          isRunning: async (id: string) => running.has(id),
          waitForHolder: (_id: string, signal: AbortSignal) => sleep(5, undefined, { signal }),
        };
        await Promise.all(Array.from({ length: 8 }, async (_, i) => {
          const id = `job-${round}-${i}`;
          running.add(id);
          const release = await lockObservation(tmp.dir, id, options, AbortSignal.timeout(120_000));
          holding.add(id);
          most = Math.max(most, holding.size);
          assert.equal((await readFile(path, 'utf8')), id, 'the lock names its holder');
          await sleep(2);
          holding.delete(id);
          await release();
          running.delete(id);
        }));
        assert.equal(most, 1, `round ${round}: ${most} jobs held the lock at once`);
      }
    } finally {
      await tmp.remove();
    }
  });

  it('a lock is never seen without its job id while it is created', async () => {
    const tmp = await tempDir();
    try {
      const path = join(tmp.dir, OBSERVATION_LOCK_NAME);
      let done = false;
      const seen = new Set<string>();
      const reader = (async () => {
        while (!done) {
          const text = await readFile(path, 'utf8').catch(() => undefined);
          if (text !== undefined) seen.add(text);
          await new Promise((r) => setImmediate(r));
        }
      })();
      for (let i = 0; i < 200; i++) {
        const release = await lockObservation(tmp.dir, `job-${i}`, nobodyRuns, AbortSignal.timeout(60_000));
        await release();
      }
      done = true;
      await reader;
      assert.ok(!seen.has(''), 'an empty lock was seen');
    } finally {
      await tmp.remove();
    }
  });
});
