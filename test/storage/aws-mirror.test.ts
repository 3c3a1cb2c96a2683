/**
 * The AWS mirror of MAST as a download source (issue #19): a fake `stpubdata` bucket on the S3 test
 * server holds some of the fake MAST's products under the keys its path lookup gives;
 * `POST /mast/download/start-s3` (and `source: "aws"` on start-chunked) fetch those from the bucket
 * with ranged GETs (no Download/file request reaches MAST for them) and the others from MAST, with
 * the same verification; into local disk and into S3 storage.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Storage } from '../../src/storage/s3.js';
import { AwsMirror, mirrorUrl, PATH_LOOKUP_BATCH } from '../../src/downloads/aws-mirror.js';
import { FakeMast } from '../fake-mast/server.js';
import { cloudKeyOf, loadFakeMirror } from '../fake-mast/cloud.js';
import { freePort, spawnEngine, waitForHealth, type SpawnedEngine } from '../helpers/engine-process.js';
import { startTestS3, type TestS3 } from '../helpers/s3.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
type Json = Record<string, any>;

let fake: FakeMast;
let s3: TestS3;
let mirrorBucket: S3Storage;
let engineBucket: S3Storage;
before(async () => {
  fake = await FakeMast.start({ imageSize: 256 });
  s3 = await startTestS3('fauxqs', ['stpubdata', 'engine']);
  mirrorBucket = new S3Storage(s3.settings('stpubdata'));
  engineBucket = new S3Storage(s3.settings('engine'));
});
after(async () => {
  await mirrorBucket.close();
  await engineBucket.close();
  await s3.stop();
  await fake.close();
});

const expected = (filename: string) => sha(fake.dataset.files.get(`mast:jwst/product/${filename}`.toLowerCase())!.bytes());

async function call(port: number, method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as Json };
}

async function waitDone(port: number, id: string): Promise<Json> {
  for (;;) {
    const r = await call(port, 'GET', `/mast/download/progress-chunked/${id}`);
    if (r.status === 200 && r.body.is_complete) return r.body;
    await new Promise((res) => setTimeout(res, 100));
  }
}

describe('AwsMirror (unit)', () => {
  it('asks the path lookup in batches of 40 and keeps only 200 answers with a plain key', async () => {
    const uris = [...fake.dataset.files.keys()].filter((u) => u.endsWith('.fits')).slice(0, 45);
    fake.reset();
    fake.notInCloud.add(uris[3]!);
    const mirror = new AwsMirror({ bucket: 'stpubdata', endpoint: s3.endpoint }, fake.url);
    const keys = await mirror.cloudKeys([...uris, 'mast:JWST/product/nothing_here.fits'], AbortSignal.timeout(30_000));
    assert.equal(keys.size, uris.length - 1);
    assert.equal(keys.has(uris[3]!), false);
    const lookups = fake.log.filter((r) => r.path.startsWith('/api/v0.1/path_lookup'));
    assert.equal(lookups.length, Math.ceil((uris.length + 1) / PATH_LOOKUP_BATCH));
    const first = fake.dataset.files.get(uris[0]!)!;
    assert.equal(keys.get(uris[0]!), cloudKeyOf(first.filename));
    assert.equal(mirrorUrl({ bucket: 'stpubdata', endpoint: 'https://s3.amazonaws.com/' }, 'jwst/public/a b.fits'), 'https://s3.amazonaws.com/stpubdata/jwst/public/a%20b.fits');
    fake.notInCloud.clear();
  });

  it('a failing lookup places nothing (everything comes from MAST)', async () => {
    const mirror = new AwsMirror({ bucket: 'stpubdata', endpoint: s3.endpoint }, 'http://127.0.0.1:9');
    assert.equal((await mirror.cloudKeys(['mast:JWST/product/x.fits'], AbortSignal.timeout(30_000))).size, 0);
  });
});

for (const storage of ['local', 's3'] as const) {
  describe(`downloads from the AWS mirror into ${storage} storage`, () => {
    it('fetches mirrored files from the bucket, the others from MAST, all verified and identical', async () => {
      const obsId = storage === 'local' ? 'jw09992-o001_t001_miri_f770w' : 'jw09992-o002_t001_miri_f770w';
      const i2d = `${obsId}_i2d.fits`;
      const segm = `${obsId}_segm.fits`;
      // Only the i2d is mirrored: the segmentation map's key is missing from the bucket (fallback on 404).
      await loadFakeMirror(fake, mirrorBucket, [i2d]);
      const dataDir = await mkdtemp(join(tmpdir(), 'aws-mirror-'));
      const port = await freePort();
      let proc: SpawnedEngine | undefined;
      try {
        fake.reset();
        proc = spawnEngine({
          PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'warn', WORKER_THREADS: '1',
          MAST_BASE_URL: fake.url, CHUNK_SIZE: '65536', RETRY_BASE_DELAY: '0.01',
          AWS_MIRROR_ENDPOINT: s3.endpoint, AWS_MIRROR_BUCKET: 'stpubdata',
          ...(storage === 's3' ? s3.env('engine') : {}),
        });
        await waitForHealth(port, proc);
        const start = storage === 'local'
          ? await call(port, 'POST', '/mast/download/start-chunked', { obs_id: obsId, source: 'aws' })
          : await call(port, 'POST', '/mast/download/start-s3', { obs_id: obsId });
        assert.equal(start.status, 200, JSON.stringify(start.body));
        const done = await waitDone(port, start.body.job_id as string);
        assert.equal(done.stage, 'complete', JSON.stringify(done));
        const names = (done.file_progress as Json[]).map((f) => f.filename).sort();
        assert.deepEqual(names, [i2d, segm].sort());
        for (const f of done.file_progress as Json[]) {
          assert.equal(f.sha256, expected(f.filename));
          if (storage === 'local') assert.equal(sha(await readFile(f.local_path)), expected(f.filename));
          else {
            const chunks: Buffer[] = [];
            for await (const c of await engineBucket.readStream(`mast/${obsId}/${f.filename}`)) chunks.push(c as Buffer);
            assert.equal(sha(Buffer.concat(chunks)), expected(f.filename));
          }
        }
        const downloads = fake.log.filter((r) => r.path.startsWith('/api/v0.1/Download/file'));
        assert.equal(downloads.filter((r) => r.query.includes(i2d)).length, 0, 'the mirrored file never asked of MAST');
        assert.ok(downloads.some((r) => r.query.includes(segm)), 'the file the bucket lacks came from MAST');
        assert.ok(fake.log.some((r) => r.path.startsWith('/api/v0.1/path_lookup')), 'keys from the path lookup');
        proc.child.kill('SIGTERM');
        await proc.exited;
      } finally {
        proc?.child.kill('SIGKILL');
        await rm(dataDir, { recursive: true, force: true });
      }
    });
  });
}
