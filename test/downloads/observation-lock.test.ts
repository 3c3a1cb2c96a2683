/**
 * The observation lock (`.download.lock`): an empty or unreadable lock is waited for while it is
 * young and taken over once it is old (it was retried every 20 ms for ever); a stale lock is taken
 * over by exactly one of several jobs at once (two of them could each remove it and both go on);
 * a lock is never seen without its job id. Session 13: old drafts and markers of a gone lock are
 * swept; an old marker of a taker still running is not removed (a paused taker and another both went on).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { lockObservation, OBSERVATION_LOCK_NAME } from '../../src/downloads/observation-lock.js';
import { tempDir } from './helpers.js';

const nobodyRuns = { isRunning: async () => false };

async function inTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const tmp = await tempDir();
  try {
    await body(tmp.dir);
  } finally {
    await tmp.remove();
  }
}

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

  it('(session 13) sweeps drafts left by killed creators once old, and markers of a lock that is gone; leaves young drafts', () => inTempDir(async (dir) => {
    const old = new Date(Date.now() - 3_600_000);
    const oldDraft = `${OBSERVATION_LOCK_NAME}.4242-0123456789ab.new`;
    const oldMarkerDraft = `${OBSERVATION_LOCK_NAME}.takeover-5-6.4242-0123456789ab.new`;
    const youngDraft = `${OBSERVATION_LOCK_NAME}.4243-0123456789ab.new`;
    const goneMarker = `${OBSERVATION_LOCK_NAME}.takeover-1-2`;
    for (const name of [oldDraft, oldMarkerDraft, youngDraft, goneMarker, `${goneMarker}.2`, 'jw01.fits', '.download.lock.keep']) {
      await writeFile(join(dir, name), 'x');
    }
    for (const name of [oldDraft, oldMarkerDraft]) await utimes(join(dir, name), old, old);
    const release = await lockObservation(dir, 'job-a', nobodyRuns, AbortSignal.timeout(60_000));
    assert.deepEqual((await readdir(dir)).sort(), [OBSERVATION_LOCK_NAME, youngDraft, '.download.lock.keep', 'jw01.fits'].sort());
    await release();
    assert.deepEqual((await readdir(dir)).sort(), [youngDraft, '.download.lock.keep', 'jw01.fits'].sort(), 'a young draft may be a live creator\'s');
  }));

  it('(session 14) a draft older than 60 s whose creator is alive is kept; a dead creator\'s, another host\'s and an older engine\'s are swept', () => inTempDir(async (dir) => {
    // Drafts are `.download.lock.{pid}-h{8 hex of sha256(hostname)}-{hex}.new` (the lock's and a takeover marker's).
    const host = createHash('sha256').update(hostname()).digest('hex').slice(0, 8);
    const otherHost = host === '00000000' ? '11111111' : '00000000';
    const dead = spawn(process.execPath, ['-e', '']);
    await once(dead, 'exit');
    assert.ok(dead.pid);
    const alive = `${OBSERVATION_LOCK_NAME}.${process.pid}-h${host}-0123456789ab.new`;
    const aliveMarker = `${OBSERVATION_LOCK_NAME}.takeover-5-6.${process.pid}-h${host}-0123456789ab.new`;
    const deadCreator = `${OBSERVATION_LOCK_NAME}.${dead.pid}-h${host}-0123456789ab.new`;
    const elsewhere = `${OBSERVATION_LOCK_NAME}.${process.pid}-h${otherHost}-0123456789ab.new`;
    const olderEngine = `${OBSERVATION_LOCK_NAME}.${process.pid}-0123456789ab.new`;
    const old = new Date(Date.now() - 3_600_000);
    for (const name of [alive, aliveMarker, deadCreator, elsewhere, olderEngine]) {
      await writeFile(join(dir, name), 'job-x');
      await utimes(join(dir, name), old, old);
    }
    const release = await lockObservation(dir, 'job-a', nobodyRuns, AbortSignal.timeout(60_000));
    // Before: every draft over 60 s old was swept, this live process's too (its link then failed with ENOENT).
    assert.deepEqual((await readdir(dir)).sort(), [OBSERVATION_LOCK_NAME, alive, aliveMarker].sort());
    await release();
    assert.deepEqual((await readdir(dir)).sort(), [alive, aliveMarker].sort());
  }));

  it('(session 13) an old takeover marker of a taker still running is not removed: the lock is not taken over until that taker stops', () => inTempDir(async (dir) => {
    const path = join(dir, OBSERVATION_LOCK_NAME);
    await writeFile(path, 'dead-job');
    const judged = await stat(path, { bigint: true });
    // A taker paused (stopped, swapped out) for an hour after making its marker: older than the 30 s that used to count as dead.
    const marker = join(dir, `${OBSERVATION_LOCK_NAME}.takeover-${judged.ino}-${judged.mtimeNs}`);
    await writeFile(marker, 'taker job-slow');
    const old = new Date(Date.now() - 3_600_000);
    await utimes(marker, old, old);
    let slowRuns = true;
    let askedAboutSlow = 0;
    const stop = new AbortController();
    const options = {
      isRunning: async (id: string) => {
        if (id !== 'job-slow') return false;
        if (++askedAboutSlow === 3) stop.abort(new Error('stop waiting'));
        return slowRuns;
      },
    };
    await assert.rejects(lockObservation(dir, 'job-b', options, AbortSignal.any([stop.signal, AbortSignal.timeout(60_000)])));
    assert.equal(await readFile(path, 'utf8'), 'dead-job', 'the lock is left to the taker at work');
    assert.equal((await stat(path, { bigint: true })).ino, judged.ino);
    assert.equal(await readFile(marker, 'utf8'), 'taker job-slow', 'its marker is left alone');
    // The taker's job stops (its process died mid-takeover): the next marker of the chain, then the lock.
    slowRuns = false;
    const release = await lockObservation(dir, 'job-b', options, AbortSignal.timeout(60_000));
    assert.equal(await readFile(path, 'utf8'), 'job-b');
    assert.deepEqual(await readdir(dir), [OBSERVATION_LOCK_NAME], 'the markers of the old lock are removed');
    await release();
    assert.deepEqual(await readdir(dir), []);
  }));
});
