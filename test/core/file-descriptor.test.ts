/**
 * Files by descriptor number (src/core/file-descriptor.ts): what the FITS reader and writer and
 * the storage layer use instead of fs/promises FileHandles.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeFd, fstatFd, openFd, readFd, readFullyFd, writeAllFd } from '../../src/core/file-descriptor.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('file descriptors', () => {
  it('writes at positions, reads back, stats and closes', async () => {
    const path = join(dir, 'a.bin');
    const fd = await openFd(path, 'wx');
    const data = Uint8Array.from({ length: 300_000 }, (_, i) => i % 251);
    await writeAllFd(fd, data.subarray(100_000), 100_000);
    await writeAllFd(fd, data.subarray(0, 100_000), 0);
    assert.equal((await fstatFd(fd)).size, 300_000);
    await closeFd(fd);
    assert.deepEqual(new Uint8Array(await readFile(path)), data);

    const rd = await openFd(path, 'r');
    try {
      const into = new Uint8Array(10);
      assert.equal(await readFd(rd, into, 2, 8, 1000), 8);
      assert.deepEqual([...into.subarray(2)], [...data.subarray(1000, 1008)]);
      const tail = new Uint8Array(500);
      assert.equal(await readFullyFd(rd, tail, 0, 500, 299_800), 200, 'fewer only at the end');
      assert.deepEqual(tail.subarray(0, 200), data.subarray(299_800));
      assert.equal(await readFd(rd, tail, 0, 10, 300_000), 0);
    } finally {
      await closeFd(rd);
    }
  });

  it('rejects with the errno code: a missing file, an existing one under wx', async () => {
    await assert.rejects(openFd(join(dir, 'missing'), 'r'), { code: 'ENOENT' });
    const path = join(dir, 'b.bin');
    await closeFd(await openFd(path, 'w'));
    await assert.rejects(openFd(path, 'wx'), { code: 'EEXIST' });
  });
});
