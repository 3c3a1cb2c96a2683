import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { ContentDigest } from '../../src/downloads/content-digest.js';
import { DigestService, feedFile, sharedBuffers, SMALL_STREAM, type StreamDigest } from '../../src/downloads/digest-service.js';
import type { WriteOutcome } from '../../src/downloads/write-thread.js';
import { nodeFileLayer } from '../../src/downloads/file-layer.js';
import { seededBytes, sha256, inTempDir } from './helpers.js';

/** Copies `data` into shared buffers and posts each to be written at its position and hashed, without waiting. */
function postWrites(digest: StreamDigest, data: Buffer, fd: number, lazy: boolean): { buffers: Buffer[]; posted: Array<Promise<WriteOutcome | undefined>> } {
  const buffers: Buffer[] = [];
  const posted: Array<Promise<WriteOutcome | undefined>> = [];
  for (let pos = 0; pos < data.length; pos += sharedBuffers.size) {
    const buf = sharedBuffers.take();
    buffers.push(buf);
    const n = data.copy(buf, 0, pos, Math.min(data.length, pos + sharedBuffers.size));
    posted.push(digest.updateAndWrite!(buf.subarray(0, n), fd, pos, lazy));
  }
  return { buffers, posted };
}

/**
 * `broken` streams in a row settle but fail (their thread died or was given up: bytes NaN, finish
 * rejects); the next digest still gives the right answer (on a live thread, or this one).
 */
async function failsThenHashesElsewhere(service: DigestService, broken: number): Promise<void> {
  for (let i = 0; i < broken; i++) {
    const doomed = service.create();
    await doomed.update(Buffer.from('abc'));
    await doomed.update(Buffer.from('def'));
    assert.ok(Number.isNaN(doomed.bytes));
    await assert.rejects(doomed.finish());
  }
  const last = service.create();
  await last.update(Buffer.from('abc'));
  assert.equal((await last.finish()).sha256, sha256(Buffer.from('abc')));
}

describe('DigestService (SHA-256 and FITS checksums on a worker thread)', () => {
  const services: DigestService[] = [];
  after(async () => {
    for (const s of services) await s.close();
  });

  it('gives the same answer as hashing on this thread, for shared and ordinary buffers', async () => {
    const service = new DigestService();
    services.push(service);
    const data = seededBytes(5 * 1024 * 1024 + 123, 7);
    const digest = service.create();
    const shared = sharedBuffers.take();
    for (let pos = 0; pos < data.length; pos += shared.length) {
      const n = data.copy(shared, 0, pos, Math.min(data.length, pos + shared.length));
      await digest.update(shared.subarray(0, n));
    }
    await digest.update(Buffer.from('tail'));
    sharedBuffers.give(shared);
    const expected = new ContentDigest();
    expected.update(data);
    expected.update(Buffer.from('tail'));
    const want = expected.finish();
    const got = await digest.finish();
    assert.equal(got.sha256, want.sha256);
    assert.equal(got.bytes, data.length + 4);
    assert.deepEqual(got.fits, want.fits);
  });

  it('digests a file on disk (feedFile)', async () => {
    await inTempDir(async (dir) => {
      const data = seededBytes(3 * 1024 * 1024 + 5, 3);
      const path = join(dir, 'f.bin');
      await writeFile(path, data);
      const service = new DigestService();
      services.push(service);
      const digest = service.create();
      await feedFile(digest, nodeFileLayer, path, 1_000_000);
      assert.equal((await digest.finish()).sha256, sha256(data.subarray(0, 1_000_000)));
    });
  });

  it('workers that die: pending updates settle, finish rejects, later digests go to a live worker, then to this thread', async () => {
    await inTempDir(async (dir) => {
      const script = join(dir, 'dying-worker.mjs');
      await writeFile(script, "import { parentPort } from 'node:worker_threads';\nparentPort.once('message', () => { throw new Error('worker crashed'); });\n");
      const service = new DigestService({ workerFile: script, threads: 2 });
      services.push(service);
      // Each of the two threads takes a stream and dies with it.
      await failsThenHashesElsewhere(service, 2);
    });
  });

  it('a worker that never answers (stuck booting): given up after bootTimeoutMs, its stream fails, later digests hash here', { timeout: 300_000 }, async () => {
    await inTempDir(async (dir) => {
      // Alive, but its module never gets to listen: messages wait in its queue for ever.
      const script = join(dir, 'mute-worker.mjs');
      await writeFile(script, 'setInterval(() => {}, 1 << 30);\n');
      const service = new DigestService({ workerFile: script, threads: 1, bootTimeoutMs: 100 });
      services.push(service);
      // Before the fix its update never settled (the cluster test's resumed download at 43 %).
      await failsThenHashesElsewhere(service, 1);
    });
  });

  it('no thread can be made (new Worker throws ERR_WORKER_INIT_FAILED, EAGAIN): warm does not throw, digests hash here, the next use makes the thread', async () => {
    let refuse = true;
    let made = 0;
    const service = new DigestService({
      threads: 1,
      startThread: (source, options) => {
        if (refuse) throw Object.assign(new Error('EAGAIN'), { code: 'ERR_WORKER_INIT_FAILED' });
        made++;
        return new Worker(source, options);
      },
    });
    services.push(service);
    assert.doesNotThrow(() => service.warm(1));
    const here = service.create();
    await here.update(Buffer.from('abc'));
    assert.equal(here.updateAndWrite, undefined, 'hashed on this thread');
    assert.equal((await here.finish()).sha256, sha256(Buffer.from('abc')));
    // Threads again (the machine's load went down): the thread is made, not given up for good.
    refuse = false;
    const there = service.create();
    await there.update(Buffer.from('def'));
    assert.equal(typeof there.updateAndWrite, 'function', 'hashed on the digest thread');
    assert.equal((await there.finish()).sha256, sha256(Buffer.from('def')));
    assert.equal(made, 1);
  });

  it('warmOne(): starts the next thread not started, one a call, false when none is left (a one-shot run starts one per turn)', async () => {
    let made = 0;
    const service = new DigestService({ threads: 2, startThread: (source, options) => (made++, new Worker(source, options)) });
    services.push(service);
    assert.equal(service.warmOne(), true);
    assert.equal(made, 1);
    assert.equal(service.warmOne(), true);
    assert.equal(made, 2);
    assert.equal(service.warmOne(), false);
    assert.equal(made, 2);
    await service.running(300_000);
  });

  it('running(): resolves once the started threads answered (a stream then writes on them at once), at once when none boots, after maxMs for one that never answers', { timeout: 300_000 }, async () => {
    const service = new DigestService({ threads: 2 });
    services.push(service);
    await service.running(10); // nothing started: resolves at once
    service.warm();
    await service.running(300_000);
    const digest = service.create();
    assert.equal(digest.writesNow?.(), true, 'its threads run');
    await digest.update(Buffer.from('abc'));
    assert.equal(digest.threads, 2, 'split at its first bytes: the other thread runs too');
    assert.equal((await digest.finish()).sha256, sha256(Buffer.from('abc')));
    await inTempDir(async (dir) => {
      const script = join(dir, 'mute-worker.mjs');
      await writeFile(script, 'setInterval(() => {}, 1 << 30);\n');
      const mute = new DigestService({ workerFile: script, threads: 1 });
      services.push(mute);
      mute.warm();
      await mute.running(50); // gives up waiting; the thread itself is given up later (bootTimeoutMs)
      const stuck = mute.create();
      assert.equal(stuck.writesNow?.(), false, 'not running: its writes go elsewhere');
      stuck.dispose();
      await mute.close();
    });
  });

  it('a small stream hashes on this thread while no digest thread runs (no thread started for it); a large one starts them all; once one runs, small streams go there too', async () => {
    let made = 0;
    const service = new DigestService({ threads: 2, startThread: (source, options) => (made++, new Worker(source, options)) });
    services.push(service);
    // The same answer (SHA-256, byte count, FITS verdict) as ContentDigest on this thread.
    const data = seededBytes(2 * 2880, 7);
    const want = new ContentDigest();
    want.update(data);
    const small = service.create(SMALL_STREAM);
    assert.equal(small.updateAndWrite, undefined, 'hashed on this thread');
    await small.update(data);
    assert.deepEqual(await small.finish(), want.finish());
    assert.equal(made, 0, 'no thread started for a small stream');
    // Unknown or large: on a thread, and every thread boots now.
    for (const expected of [SMALL_STREAM + 1, undefined]) {
      const large = service.create(expected);
      assert.equal(typeof large.updateAndWrite, 'function', `on a thread (${expected})`);
      await large.update(Buffer.from(data));
      assert.equal((await large.finish()).sha256, sha256(data));
    }
    assert.equal(made, 2);
    // A thread has answered: a small stream goes to it (no hashing on this thread any more).
    const later = service.create(1024);
    assert.equal(typeof later.updateAndWrite, 'function');
    later.dispose();
  });

  it('writes and hashes on the digest thread (updateAndWrite): bytes at their positions, then a failed write stops the later ones', async () => {
    await inTempDir(async (dir) => {
      const service = new DigestService();
      services.push(service);
      const data = seededBytes(5 * 1024 * 1024 + 123, 11);
      const path = join(dir, 'w.bin');
      const handle = await open(path, 'w+');
      const digest = service.create();
      // Posted without waiting, as BatchWriter does: the thread writes them in order.
      const { buffers, posted } = postWrites(digest, data, handle.fd, false);
      const outcomes = await Promise.all(posted);
      assert.deepEqual(outcomes, [{ done: 2 * 1024 * 1024 }, { done: 2 * 1024 * 1024 }, { done: 1024 * 1024 + 123 }]);
      const got = await digest.finish();
      assert.equal(got.sha256, sha256(data));
      await handle.close();
      assert.ok((await readFile(path)).equals(data));

      // A descriptor open for reading only: the first write fails with its code, the next is not tried.
      const reader = await open(path, 'r');
      const failing = service.create();
      const first = await failing.updateAndWrite!(buffers[0]!.subarray(0, 1000), reader.fd, 0);
      assert.equal(first?.done, 0);
      assert.equal(first?.code, 'EBADF');
      const second = await failing.updateAndWrite!(buffers[1]!.subarray(0, 1000), reader.fd, 1000);
      assert.equal(second?.done, 0);
      // not tried: the first failure is reported again (same code, so ENOSPC stays a full disk)
      assert.equal(second?.code, 'EBADF');
      assert.match(second?.message ?? '', /^an earlier write of this file failed: /);
      failing.dispose();
      await reader.close();
      // Ordinary (not shared) memory is not taken: the caller writes it, and the digest is given up.
      const plain = service.create();
      assert.equal(await plain.updateAndWrite!(Buffer.from('abc'), 0, 0), undefined);
      assert.ok(Number.isNaN(plain.bytes));
      plain.dispose();
      for (const b of buffers) sharedBuffers.give(b);
    });
  });

  it('lazy writes (no reply per buffer): settle when hurried, or by themselves; a failure still carries its code', async () => {
    await inTempDir(async (dir) => {
      const service = new DigestService();
      services.push(service);
      const data = seededBytes(6 * 1024 * 1024 + 17, 5);
      const handle = await open(join(dir, 'lazy.bin'), 'w+');
      const digest = service.create();
      const { buffers, posted } = postWrites(digest, data, handle.fd, true);
      // The first ones settle without a wake-up (looked at on a timer); the rest once hurried.
      assert.deepEqual(await posted[0], { done: 2 * 1024 * 1024 });
      digest.hurry!(0);
      assert.deepEqual(await Promise.all(posted), [2, 2, 2].map((m) => ({ done: m * 1024 * 1024 })).concat([{ done: 17 }]));
      assert.equal((await digest.finish()).sha256, sha256(data));
      await handle.close();
      assert.ok((await readFile(join(dir, 'lazy.bin'))).equals(data));

      const reader = await open(join(dir, 'lazy.bin'), 'r');
      const failing = service.create();
      const first = failing.updateAndWrite!(buffers[0]!.subarray(0, 100), reader.fd, 0, true);
      const second = failing.updateAndWrite!(buffers[1]!.subarray(0, 100), reader.fd, 100, true);
      failing.hurry!(0);
      assert.equal((await first)?.code, 'EBADF');
      assert.equal((await second)?.code, 'EBADF');
      failing.dispose();
      await reader.close();
      for (const b of buffers) sharedBuffers.give(b);
    });
  });

  describe('a stream split over two threads (the FITS sums and writes on one, SHA-256 on the other)', () => {
    /** Both threads of `service` booted and idle: two streams at once, one on each, then finished. */
    async function bootBoth(service: DigestService): Promise<void> {
      const a = service.create();
      const b = service.create();
      await Promise.all([a.update(Buffer.from('a')), b.update(Buffer.from('b'))]);
      await Promise.all([a.finish(), b.finish()]);
    }

    it('gives what hashing on this thread gives, through writes, updates and reads back; a stream beside it is not split', async () => {
      await inTempDir(async (dir) => {
        const service = new DigestService({ threads: 2 });
        services.push(service);
        await bootBoth(service);
        // A FITS file with CHECKSUM/DATASUM, so the FITS half has verdicts to give, twice over.
        const fits = await readFile(new URL('../fixtures/fits-corpus/astropy-checksum.fits', import.meta.url));
        const data = Buffer.concat([fits, seededBytes(4 * 1024 * 1024 + 77, 9)]);
        const path = join(dir, 'split.bin');
        const handle = await open(path, 'w+');
        const digest = service.create();
        const { buffers, posted } = postWrites(digest, data, handle.fd, true);
        assert.equal(digest.threads, 2, 'split at its first bytes');
        // Meanwhile another stream: both threads are taken, so it stays on one.
        const beside = service.create();
        await beside.update(Buffer.from('beside'));
        assert.equal(beside.threads, 1);
        digest.hurry!(0);
        await Promise.all(posted);
        await digest.update(Buffer.from('tail')); // ordinary memory: a copy for each thread
        await handle.close();
        await writeFile(path, Buffer.concat([data, Buffer.from('tail')]));
        // And read back by the threads (as for a file downloaded over several connections).
        const again = await open(path, 'r');
        assert.equal(await digest.updateFromFile!(again.fd, 0, 1000), 1000);
        await again.close();
        const expected = new ContentDigest();
        expected.update(data);
        expected.update(Buffer.from('tail'));
        expected.update(data.subarray(0, 1000));
        const want = expected.finish();
        const got = await digest.finish();
        assert.equal(got.sha256, want.sha256);
        assert.equal(got.bytes, want.bytes);
        assert.deepEqual(got.fits, want.fits);
        assert.ok((await readFile(path)).subarray(0, data.length).equals(data), 'written once, at their positions');
        assert.equal((await beside.finish()).sha256, sha256(Buffer.from('beside')));
        for (const b of buffers) sharedBuffers.give(b);
        // With split off, a stream stays on one thread even when the other is idle.
        const single = new DigestService({ threads: 2, split: false });
        services.push(single);
        await bootBoth(single);
        const one = single.create();
        await one.update(Buffer.from('abc'));
        assert.equal(one.threads, 1);
        assert.equal((await one.finish()).sha256, sha256(Buffer.from('abc')));
      });
    });

    it('the end of the file while reading back: both halves stop there', async () => {
      await inTempDir(async (dir) => {
        const service = new DigestService({ threads: 2 });
        services.push(service);
        await bootBoth(service);
        const data = seededBytes(3000, 4);
        const path = join(dir, 'short.bin');
        await writeFile(path, data);
        const handle = await open(path, 'r');
        const digest = service.create();
        assert.equal(await digest.updateFromFile!(handle.fd, 0, 10_000), 3000);
        await handle.close();
        assert.equal(digest.threads, 2);
        assert.equal(digest.bytes, 3000);
        assert.equal((await digest.finish()).sha256, sha256(data));
      });
    });

    it('the SHA-256 thread dies mid-stream: the digest fails (the caller hashes the file again), the next one hashes on the live thread', async () => {
      await inTempDir(async (dir) => {
        // The second thread boots and answers, then dies at its first update.
        const script = join(dir, 'late-dying-worker.mjs');
        await writeFile(script, "import { parentPort } from 'node:worker_threads';\nparentPort.on('message', () => { throw new Error('worker crashed'); });\nparentPort.postMessage({ ready: true });\n");
        let made = 0;
        const service = new DigestService({
          threads: 2,
          startThread: (source, options) => (made++ === 0 ? new Worker(source, options) : new Worker(script, { workerData: options.workerData })),
        });
        services.push(service);
        // Both booted (the second says it runs), and the real one has served a stream.
        service.warm();
        const first = service.create();
        await first.update(Buffer.from('x'));
        await first.finish();
        // Both have answered (booted), whatever the machine's speed: was a 200 ms wait (issue #20).
        // The bound only ends a wait that would never end; the assertions below tell if it did.
        await service.running(60_000);
        const doomed = service.create();
        const shared = sharedBuffers.take();
        shared.write('abc');
        await doomed.update(shared.subarray(0, 3));
        sharedBuffers.give(shared);
        assert.equal(doomed.threads, 2, 'split at its first bytes');
        assert.ok(Number.isNaN(doomed.bytes));
        await assert.rejects(doomed.finish());
        const next = service.create();
        await next.update(Buffer.from('def'));
        assert.equal(next.threads, 1);
        assert.equal((await next.finish()).sha256, sha256(Buffer.from('def')));
      });
    });
  });
});
