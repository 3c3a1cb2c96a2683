import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ContentDigest } from '../../src/downloads/content-digest.js';
import { DigestService, feedFile } from '../../src/downloads/digest-service.js';
import { nodeFileLayer } from '../../src/downloads/file-layer.js';
import { PrefixDigest } from '../../src/downloads/prefix-digest.js';
import { seededBytes, tempDir } from './helpers.js';

describe('PrefixDigest (hashing the written prefix of a file downloaded out of order)', () => {
  const service = new DigestService({ useWorker: false });

  it('hashes the prefix in steps as it grows and gives the digest of the whole file', async () => {
    const tmp = await tempDir();
    const path = join(tmp.dir, 'f.part');
    const data = seededBytes(3 * 1024 * 1024 + 17, 3);
    await writeFile(path, data);
    const reads: Array<[number, number]> = [];
    const behind: PrefixDigest = new PrefixDigest(service.create(), async (from, to) => {
      reads.push([from, to]);
      await feedFile(behind.digest, nodeFileLayer, path, to, undefined, from);
    }, 1024 * 1024);
    for (const end of [1000, 1024 * 1024, 1024 * 1024 + 5, 2 * 1024 * 1024 + 9]) behind.grew(end);
    const digest = await behind.upTo(data.length);
    assert.ok(digest);
    const expected = new ContentDigest();
    expected.update(data);
    assert.equal((await digest.finish()).sha256, expected.finish().sha256);
    // Contiguous reads from 0 to the end, none below the step except the last.
    assert.equal(reads[0]![0], 0);
    for (let i = 1; i < reads.length; i++) assert.equal(reads[i]![0], reads[i - 1]![1]);
    assert.equal(reads.at(-1)![1], data.length);
    assert.ok(reads.length >= 2);
    await tmp.remove();
  });

  it('gives no digest when reading back failed, and abandon() drops a digest not handed over', async () => {
    const failing = new PrefixDigest(service.create(), async () => {
      throw new Error('EIO');
    }, 1);
    failing.grew(10);
    assert.equal(await failing.upTo(10), undefined);
    let disposed = false;
    const digest = { ...service.create(), dispose: () => { disposed = true; } };
    const left = new PrefixDigest(digest, async () => undefined, 1);
    await left.abandon();
    assert.equal(disposed, true);
  });
});
