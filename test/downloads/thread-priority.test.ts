import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { DigestService, sharedBuffers } from '../../src/downloads/digest-service.js';
import { nodeFileLayer } from '../../src/downloads/file-layer.js';
import { BACKGROUND_NICE, lowerThreadPriority, startBelowEventLoop } from '../../src/core/thread-priority.js';
import { seededBytes, sha256, tempDir } from './helpers.js';

// Per-thread nice values are Linux's (setpriority on a thread id named by /proc/thread-self).
const perThread = process.platform === 'linux' && existsSync('/proc/thread-self');
const mainNice = os.getPriority();
const skip = !perThread ? 'per-thread priorities are Linux-only' : mainNice >= 19 ? 'the process already runs at the lowest priority' : false;

/** Nice values of this process's threads other than the main one (field 19 of /proc/self/task/<tid>/stat). */
function otherThreadsNice(): number[] {
  const out: number[] = [];
  for (const tid of readdirSync('/proc/self/task')) {
    if (Number(tid) === process.pid) continue;
    try {
      const stat = readFileSync(join('/proc/self/task', tid, 'stat'), 'utf8');
      out.push(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
    } catch {
      // the thread has exited
    }
  }
  return out;
}

describe('download threads run below the event loop (thread-priority.ts)', { skip }, () => {
  const lowered = Math.min(19, mainNice + BACKGROUND_NICE);

  it('lowers only the calling thread, also from an evaluated program that embeds its source', async () => {
    const source = `const { parentPort } = require('node:worker_threads');
      const os = require('node:os');
      const got = (${lowerThreadPriority.toString()})(os, require('node:fs').readlinkSync, ${BACKGROUND_NICE});
      parentPort.postMessage({ got, tid: Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop()) });`;
    const worker = new Worker(source, { eval: true });
    const reply = await new Promise<{ got: number; tid: number }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    assert.equal(reply.got, lowered);
    assert.equal(os.getPriority(reply.tid), lowered);
    assert.equal(os.getPriority(), mainNice, 'the process (its main thread) keeps its priority');
    await worker.terminate();
    // On the main thread too it names the calling thread: here, the process's main thread id.
    assert.equal(Number(readlinkSync('/proc/thread-self').split('/').pop()), process.pid);
  });

  it('startBelowEventLoop lowers a new thread before its code runs; the thread lowering itself then keeps that value (not twice as low)', async () => {
    const source = `const { parentPort } = require('node:worker_threads');
      const os = require('node:os');
      const tid = Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop());
      const atStart = os.getPriority(tid);
      const got = (${lowerThreadPriority.toString()})(os, require('node:fs').readlinkSync, ${BACKGROUND_NICE});
      parentPort.postMessage({ atStart, got, now: os.getPriority(tid) });`;
    const worker = startBelowEventLoop(() => new Worker(source, { eval: true }));
    const reply = await new Promise<{ atStart: number; got: number; now: number }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    assert.deepEqual(reply, { atStart: lowered, got: lowered, now: lowered });
    assert.equal(os.getPriority(), mainNice, 'the process (its main thread) keeps its priority');
  });

  it('the digest thread and the write thread lower themselves once they run; the answers are unchanged', async () => {
    const before = otherThreadsNice().filter((n) => n === lowered).length;
    const service = new DigestService({ threads: 1 });
    const tmp = await tempDir();
    try {
      const data = seededBytes(3 * 1024 * 1024 + 11, 9);
      const digest = service.create();
      await digest.update(data);
      assert.equal((await digest.finish()).sha256, sha256(data));
      // A shared buffer written through the file layer goes to the write thread (once it has
      // answered that it runs: until then writes go through libuv, session 12).
      const file = await nodeFileLayer.openWritable(join(tmp.dir, 'out.part'));
      const shared = sharedBuffers.take();
      data.copy(shared, 0, 0, shared.length);
      await file.write(shared, 0);
      sharedBuffers.give(shared);
      await file.close();
      while (otherThreadsNice().filter((n) => n === lowered).length < before + 2) await new Promise((r) => setTimeout(r, 20));
      assert.ok(otherThreadsNice().filter((n) => n === lowered).length >= before + 2, `threads at nice ${lowered}: ${otherThreadsNice().join(' ')}`);
      assert.equal(os.getPriority(), mainNice);
    } finally {
      await service.close();
      await tmp.remove();
    }
  });
});
