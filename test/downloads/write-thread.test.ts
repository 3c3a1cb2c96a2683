import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { nodeFileLayer } from '../../src/downloads/file-layer.js';
import { WRITE_PIECE, WriteThread } from '../../src/downloads/write-thread.js';
import { seededBytes, tempDir } from './helpers.js';

describe('file writes in pieces on the write thread', () => {
  it('writes shared and ordinary buffers at their positions, whatever their size and alignment to the pieces', async () => {
    const tmp = await tempDir();
    const path = join(tmp.dir, 'out.part');
    const data = seededBytes(3 * WRITE_PIECE * 11 + 777, 5);
    const file = await nodeFileLayer.openWritable(path);
    // The second half (shared memory: the write thread) before the first (ordinary memory: libuv), and a
    // shared view that does not start at its buffer's start.
    const half = Math.floor(data.length / 2) + 3;
    const shared = Buffer.from(new SharedArrayBuffer(data.length - half + 10));
    data.copy(shared, 10, half);
    const writes = [file.write(shared.subarray(10), half), file.write(Buffer.from(data.subarray(0, half)), 0)];
    // close() waits for writes still under way before the descriptor goes.
    await file.close();
    await Promise.all(writes);
    assert.ok((await readFile(path)).equals(data));
    await tmp.remove();
  });

  it('a thread that never answers (stuck booting) is never written to and is given up after bootTimeoutMs; a booted one writes (session 12)', { timeout: 300_000 }, async () => {
    const tmp = await tempDir();
    const handle = await open(join(tmp.dir, 'w.bin'), 'w+');
    try {
      const data = Buffer.from(new SharedArrayBuffer(3 * WRITE_PIECE + 5));
      data.set(seededBytes(data.length, 9));
      // Alive, but it never listens: a write posted to it would wait in its queue for ever.
      const mute = new WriteThread({ program: 'setInterval(() => {}, 1 << 30);', bootTimeoutMs: 100 });
      const givenUp = mute.start();
      assert.equal(await mute.write(handle.fd, data, 0), undefined, 'written elsewhere, not queued behind the boot');
      // start() resolves once the thread answered or failed (a one-shot run waits on it: DownloadManager)
      await givenUp;
      assert.equal(mute.state, 'failed');
      assert.equal(await mute.write(handle.fd, data, 0), undefined);

      const thread = new WriteThread({ bootTimeoutMs: 60_000 });
      await thread.start();
      assert.equal(thread.state, 'running');
      await thread.start(); // running already: at once
      assert.deepEqual(await thread.write(handle.fd, data, 0), { seq: 1, done: data.length });
      assert.ok((await readFile(join(tmp.dir, 'w.bin'))).equals(data));
    } finally {
      await handle.close();
      await tmp.remove();
    }
  });

  it('no thread can be made (new Worker throws ERR_WORKER_INIT_FAILED, EAGAIN): writes go elsewhere, the thread is not given up, a later write makes it', async () => {
    const tmp = await tempDir();
    const handle = await open(join(tmp.dir, 'e.bin'), 'w+');
    try {
      const data = Buffer.from(new SharedArrayBuffer(WRITE_PIECE + 5));
      data.set(seededBytes(data.length, 3));
      let refuse = true;
      let tries = 0;
      const thread = new WriteThread({
        retryMs: 0,
        startThread: (source, options) => {
          tries++;
          if (refuse) throw Object.assign(new Error('Worker initialization failure: EAGAIN'), { code: 'ERR_WORKER_INIT_FAILED' });
          return new Worker(source, options);
        },
      });
      await thread.start(); // no thread could be made: resolves at once
      assert.equal(await thread.write(handle.fd, data, 0), undefined, 'written elsewhere');
      const state = (): string => thread.state;
      assert.equal(state(), 'idle', 'not failed for good');
      assert.equal(tries, 2);
      refuse = false;
      assert.equal(await thread.write(handle.fd, data, 0), undefined, 'the thread boots; this write goes elsewhere');
      while (state() !== 'running') await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(await thread.write(handle.fd, data, 0), { seq: 1, done: data.length });
      assert.equal(tries, 3);
      assert.ok((await readFile(join(tmp.dir, 'e.bin'))).equals(data));
    } finally {
      await handle.close();
      await tmp.remove();
    }
  });
});
