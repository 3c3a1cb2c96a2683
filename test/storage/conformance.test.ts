/**
 * One conformance suite for every storage provider: the local provider on a temp DATA_DIR, and the
 * S3 provider against each S3-compatible server of test/helpers/s3.ts (real HTTP, real SDK).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { LocalStorage, S3Storage, StorageError, type StorageProvider } from '../../src/storage/index.js';
import { S3_CAPABILITIES, S3_SERVER_KINDS, startTestS3, type S3Capabilities, type TestS3 } from '../helpers/s3.js';

const MiB = 1024 * 1024;

function pattern(n: number, seed = 7): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed + (i >> 11)) & 0xff;
  return b;
}

async function collect(it: AsyncIterable<{ key: string }>): Promise<string[]> {
  const out: string[] = [];
  for await (const o of it) out.push(o.key);
  return out;
}

async function drain(s: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

async function rejectsCode(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof StorageError, `expected a StorageError, got ${String(err)}`);
    assert.equal(err.code, code);
    return true;
  });
}

interface Subject {
  readonly name: string;
  readonly caps: S3Capabilities;
  setup(): Promise<StorageProvider>;
  teardown(): Promise<void>;
}

const LOCAL_CAPS: S3Capabilities = { abortUpload: true, listParts: true, checksSignatures: true, listObjects: true };

function localSubject(): Subject {
  let dir = '';
  return {
    name: 'local',
    caps: LOCAL_CAPS,
    async setup() {
      dir = await mkdtemp(join(tmpdir(), 'storage-local-'));
      return new LocalStorage(dir);
    },
    teardown: () => rm(dir, { recursive: true, force: true }),
  };
}

function s3Subject(kind: (typeof S3_SERVER_KINDS)[number]): Subject {
  let server: TestS3 | undefined;
  let provider: S3Storage | undefined;
  return {
    name: `s3 on ${kind}`,
    caps: S3_CAPABILITIES[kind],
    async setup() {
      server = await startTestS3(kind, ['engine']);
      provider = new S3Storage(server.settings('engine'));
      return provider;
    },
    async teardown() {
      await provider?.close();
      await server?.stop();
    },
  };
}

for (const subject of [localSubject(), ...S3_SERVER_KINDS.map(s3Subject)]) {
  describe(`storage conformance: ${subject.name}`, () => {
    let store: StorageProvider;
    const big = pattern(3 * MiB + 123);

    before(async () => {
      store = await subject.setup();
      await store.write('mast/jw01/a.fits', big);
      await store.write('mast/jw01/b.fits', Buffer.from('bee'));
      await store.write('mast/jw02/c.fits', Buffer.from('sea'));
      await store.write('mast-other/d.fits', Buffer.from('dee'));
    });
    after(() => subject.teardown());

    it('stats objects and says undefined for missing ones', async () => {
      const st = await store.stat('mast/jw01/a.fits');
      assert.equal(st?.size, big.length);
      assert.equal(st?.key, 'mast/jw01/a.fits');
      assert.ok(st?.etag);
      assert.equal(await store.stat('mast/jw01/nope.fits'), undefined);
    });

    it('reads ranges, including the last bytes and past the end', async () => {
      assert.deepEqual(await store.readRange('mast/jw01/a.fits', 0, 2880), big.subarray(0, 2880));
      assert.deepEqual(await store.readRange('mast/jw01/a.fits', 1_000_001, 70_000), big.subarray(1_000_001, 1_070_001));
      assert.deepEqual(await store.readRange('mast/jw01/a.fits', big.length - 10, 100), big.subarray(big.length - 10));
      assert.equal((await store.readRange('mast/jw01/a.fits', big.length + 5, 10)).length, 0);
      await rejectsCode(store.readRange('mast/jw01/nope.fits', 0, 10), 'STORAGE_NOT_FOUND');
    });

    it('streams whole objects and ranges', async () => {
      assert.deepEqual(await drain(await store.readStream('mast/jw01/a.fits')), big);
      assert.deepEqual(await drain(await store.readStream('mast/jw01/a.fits', { start: 10, end: 19 })), big.subarray(10, 20));
      await rejectsCode(store.readStream('mast/none.fits'), 'STORAGE_NOT_FOUND');
    });

    it('writes streams of any size (in parts on S3)', async () => {
      const body = pattern(11 * MiB, 3);
      const chunks = [body.subarray(0, 4 * MiB), body.subarray(4 * MiB, 9 * MiB), body.subarray(9 * MiB)];
      const st = await store.write('streams/s.fits', Readable.from(chunks));
      assert.equal(st.size, body.length);
      assert.deepEqual(await store.readRange('streams/s.fits', 8 * MiB - 5, 10), body.subarray(8 * MiB - 5, 8 * MiB + 5));
      await store.delete('streams/s.fits');
    });

    it('lists by prefix in key order, with a bound', { skip: !subject.caps.listObjects && 'the server refuses ListObjectsV2' }, async () => {
      assert.deepEqual(await collect(store.list('mast')), ['mast-other/d.fits', 'mast/jw01/a.fits', 'mast/jw01/b.fits', 'mast/jw02/c.fits']);
      assert.deepEqual(await collect(store.list('mast/jw0')), ['mast/jw01/a.fits', 'mast/jw01/b.fits', 'mast/jw02/c.fits']);
      assert.deepEqual(await collect(store.list('mast/jw0', { maxKeys: 2 })), ['mast/jw01/a.fits', 'mast/jw01/b.fits']);
      assert.deepEqual(await collect(store.list('nothing')), []);
      assert.deepEqual(await collect(store.list('mast/')), ['mast/jw01/a.fits', 'mast/jw01/b.fits', 'mast/jw02/c.fits']);
      assert.deepEqual(await collect(store.list('mast/', { maxKeys: 2 })), ['mast/jw01/a.fits', 'mast/jw01/b.fits']);
    });

    it('deletes, and deleting a missing object is no error', async () => {
      await store.write('tmp/x.fits', Buffer.from('x'));
      await store.delete('tmp/x.fits');
      assert.equal(await store.stat('tmp/x.fits'), undefined);
      await store.delete('tmp/x.fits');
    });

    it('refuses bad keys before touching the store', async () => {
      for (const key of ['', '../x', 'a/../../x', 'a\0b', '/abs', 'a//b', 'a/./b', 'C:/x', 'a\\b', 'x'.repeat(1025), 'dir/']) {
        await rejectsCode(store.stat(key), 'STORAGE_BAD_KEY');
        await rejectsCode(store.write(key, Buffer.from('z')), 'STORAGE_BAD_KEY');
      }
      await rejectsCode(collect(store.list('../')), 'STORAGE_BAD_KEY');
      // 1024 bytes is the limit, counted in UTF-8.
      await rejectsCode(store.stat('é'.repeat(513)), 'STORAGE_BAD_KEY');
    });

    it('multipart: parts are invisible until complete, then one object in part order', async () => {
      const key = 'mast/jw03/multi.fits';
      const id = await store.startUpload(key);
      const p1 = pattern(5 * MiB, 1);
      const p2 = pattern(5 * MiB, 2);
      const p3 = pattern(1234, 3);
      // Out of order, as parallel connections finish.
      const r2 = await store.uploadPart(key, id, 2, p2);
      const r1 = await store.uploadPart(key, id, 1, p1);
      assert.equal(await store.stat(key), undefined, 'no object before completion');
      if (subject.caps.listObjects) assert.deepEqual(await collect(store.list('mast/jw03/')), []);
      if (subject.caps.listParts) {
        assert.deepEqual((await store.listParts(key, id)).map((p) => [p.partNumber, p.size, p.etag]), [[1, p1.length, r1.etag], [2, p2.length, r2.etag]]);
      }
      const r3 = await store.uploadPart(key, id, 3, p3);
      const st = await store.completeUpload(key, id, [r2, r3, r1]);
      assert.equal(st.size, p1.length + p2.length + p3.length);
      assert.deepEqual(await store.readRange(key, 5 * MiB - 2, 4), Buffer.concat([p1.subarray(-2), p2.subarray(0, 2)]));
      assert.deepEqual(await store.readRange(key, 10 * MiB, 1234), p3);
    });

    it('multipart: a part uploaded again replaces the first one', async () => {
      const key = 'again/m.fits';
      const id = await store.startUpload(key);
      await store.uploadPart(key, id, 1, pattern(5 * MiB, 9));
      const r1 = await store.uploadPart(key, id, 1, pattern(5 * MiB, 8));
      const r2 = await store.uploadPart(key, id, 2, Buffer.from('tail'));
      await store.completeUpload(key, id, [r1, r2]);
      assert.deepEqual(await store.readRange(key, 0, 16), pattern(5 * MiB, 8).subarray(0, 16));
    });

    it('multipart: abort drops the upload', { skip: !subject.caps.abortUpload && 'the server has no AbortMultipartUpload' }, async () => {
      const key = 'aborted/m.fits';
      const id = await store.startUpload(key);
      const r1 = await store.uploadPart(key, id, 1, Buffer.from('part'));
      await store.abortUpload(key, id);
      assert.equal(await store.stat(key), undefined);
      await assert.rejects(store.completeUpload(key, id, [r1]), (err: unknown) => err instanceof StorageError);
    });

    it('presigned URLs (S3) or none (local)', async () => {
      const url = await store.presignedUrl('mast/jw01/b.fits', 60);
      if (store.kind === 'local') {
        assert.equal(url, undefined);
        return;
      }
      assert.ok(url);
      const res = await fetch(url);
      assert.equal(res.status, 200);
      assert.equal(await res.text(), 'bee');
      const ranged = await fetch(url, { headers: { range: 'bytes=1-1' } });
      assert.equal(ranged.status, 206);
      assert.equal(await ranged.text(), 'e');
      if (subject.caps.checksSignatures) {
        const tampered = url.replace('b.fits', 'a.fits');
        assert.equal((await fetch(tampered)).status, 403);
      }
    });

    it('names a local path only on the local provider', () => {
      const p = store.localPath('mast/jw01/a.fits');
      if (store.kind === 'local') assert.ok(p?.endsWith(join('mast', 'jw01', 'a.fits')));
      else assert.equal(p, undefined);
      assert.match(store.location('mast/jw01/a.fits'), store.kind === 'local' ? /mast\/jw01\/a\.fits$/ : /^s3:\/\/engine\/mast\/jw01\/a\.fits$/);
    });
  });
}

describe('local provider specifics', () => {
  let dir: string;
  let store: LocalStorage;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'storage-local2-'));
    store = new LocalStorage(join(dir, 'data'));
    await store.write('in.fits', Buffer.from('in'));
    await writeFile(join(dir, 'secret'), 'secret');
    await symlink(join(dir, 'secret'), join(dir, 'data', 'escape.fits'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('does not follow symlinks out of the root', async () => {
    await assert.rejects(store.readRange('escape.fits', 0, 6), (err: unknown) => (err as { httpStatus?: number }).httpStatus === 403);
  });

  it('leaves no temporary files and keeps uploads out of listings', async () => {
    const id = await store.startUpload('up/x.fits');
    await store.uploadPart('up/x.fits', id, 1, Buffer.from('x'));
    // Symlinks are not listed (they may lead out of the root); uploads in progress are not either.
    assert.deepEqual(await collect(store.list('')), ['in.fits']);
    await store.abortUpload('up/x.fits', id);
    assert.deepEqual((await readdir(join(dir, 'data'))).sort(), ['.uploads', 'escape.fits', 'in.fits']);
  });

  it('an upload id belongs to its key', async () => {
    const id = await store.startUpload('one.fits');
    await rejectsCode(store.uploadPart('two.fits', id, 1, Buffer.from('x')), 'STORAGE_NOT_FOUND');
    await rejectsCode(store.uploadPart('one.fits', 'not-an-id', 1, Buffer.from('x')), 'STORAGE_NOT_FOUND');
  });
});
