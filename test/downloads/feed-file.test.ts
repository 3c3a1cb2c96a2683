import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ContentDigest } from '../../src/downloads/content-digest.js';
import { DigestService, feedFile } from '../../src/downloads/digest-service.js';
import { nodeFileLayer, type FileLayer } from '../../src/downloads/file-layer.js';
import { seededBytes, inTempDir } from './helpers.js';

/** The real file system, counting the reads that go through `read()` and the closes. */
function countingLayer(): FileLayer & { reads: number; closes: number } {
  const layer = {
    ...nodeFileLayer,
    reads: 0,
    closes: 0,
    async openReadable(path: string) {
      const inner = await nodeFileLayer.openReadable(path);
      return {
        fd: inner.fd,
        read: (into: Uint8Array, position: number) => {
          layer.reads++;
          return inner.read(into, position);
        },
        close: () => {
          layer.closes++;
          return inner.close();
        },
      };
    },
  };
  return layer;
}

function expected(data: Uint8Array) {
  const d = new ContentDigest();
  d.update(data);
  return d.finish();
}

describe('feedFile on a digest thread (the thread reads the file itself)', () => {
  const service = new DigestService({ threads: 1 });
  after(() => service.close());

  it('hashes [from, to) pieces read on the thread as hashing the whole file here, with no read on this thread', async () => {
    await inTempDir(async (dir) => {
      // Over two 8 MiB requests, not a multiple of the thread's 2 MiB reads.
      const data = seededBytes(19 * 1024 * 1024 + 2881, 4);
      const path = join(dir, 'f.part');
      await writeFile(path, data);
      const fs = countingLayer();
      const digest = service.create();
      // As PrefixDigest feeds a file written out of order: the prefix in steps.
      const cut = 9 * 1024 * 1024 + 77;
      await feedFile(digest, fs, path, cut);
      await feedFile(digest, fs, path, data.length, undefined, cut);
      assert.equal(digest.bytes, data.length);
      assert.deepEqual(await digest.finish(), expected(data));
      assert.equal(fs.reads, 0);
      assert.equal(fs.closes, 2);
    });
  });

  it('stops at the end of a file shorter than asked, as reads returning 0 did', async () => {
    await inTempDir(async (dir) => {
      const data = seededBytes(8 * 1024 * 1024 + 5, 6);
      const path = join(dir, 'short.part');
      await writeFile(path, data);
      const digest = service.create();
      await feedFile(digest, nodeFileLayer, path, 40 * 1024 * 1024);
      assert.equal(digest.bytes, data.length);
      assert.deepEqual(await digest.finish(), expected(data));
    });
  });

  it("rejects with the read's errno code, and closes the file", async () => {
    await inTempDir(async (tmpDir) => {
      let closed = 0;
      // A descriptor that cannot be read (a directory: EISDIR), as a failing disk would be.
      const fs: FileLayer = {
        ...nodeFileLayer,
        async openReadable() {
          const dir = await open(tmpDir, 'r');
          return { fd: dir.fd, read: async () => 0, close: async () => void (closed++, await dir.close()) };
        },
      };
      const digest = service.create();
      await assert.rejects(feedFile(digest, fs, 'ignored', 20 * 1024 * 1024), (err: NodeJS.ErrnoException) => err.code === 'EISDIR');
      assert.equal(closed, 1);
      assert.ok(Number.isNaN(digest.bytes));
      await assert.rejects(digest.finish());
      // The thread still hashes other streams.
      const next = service.create();
      await next.update(Buffer.from('abc'));
      assert.deepEqual(await next.finish(), expected(Buffer.from('abc')));
    });
  });

  it('stops on abort between requests and closes the file', async () => {
    await inTempDir(async (dir) => {
      const path = join(dir, 'a.part');
      await writeFile(path, seededBytes(20 * 1024 * 1024, 2));
      const fs = countingLayer();
      const abort = new AbortController();
      abort.abort(new Error('paused'));
      const digest = service.create();
      await assert.rejects(feedFile(digest, fs, path, 20 * 1024 * 1024, abort.signal), /paused/);
      assert.equal(fs.closes, 1);
      digest.dispose();
    });
  });
});
