/**
 * Resumable multipart uploads: a process SIGKILLed in the middle of an upload into S3 leaves its
 * state (upload id, completed parts); a new process resumes the same upload from the end of the last
 * completed part, sends only the rest, and the object appears whole, only at completion.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalStorage, S3Storage, type StorageProvider, type UploadedPart } from '../../src/storage/index.js';
import { ResumableUpload, type UploadState } from '../../src/storage/resumable-upload.js';
import { startTestS3, type TestS3 } from '../helpers/s3.js';
import { patternAt } from './upload-pattern.js';

const MiB = 1024 * 1024;
const TOTAL = 12 * MiB + 777;
const CHILD = fileURLToPath(new URL('./resumable-upload-child.ts', import.meta.url));

/** Counts the parts a provider is sent. */
function counting(store: StorageProvider): { store: StorageProvider; parts: number[] } {
  const parts: number[] = [];
  const wrapped = Object.create(store) as StorageProvider;
  wrapped.uploadPart = async (key: string, id: string, n: number, body: Buffer): Promise<UploadedPart> => {
    parts.push(n);
    return store.uploadPart(key, id, n, body);
  };
  return { store: wrapped, parts };
}

async function finish(upload: ResumableUpload, from: number): Promise<void> {
  for (let offset = from; offset < TOTAL; offset += MiB) await upload.write(patternAt(offset, Math.min(MiB, TOTAL - offset)));
  await upload.complete();
}

describe('resumable multipart upload', () => {
  let server: TestS3;
  let s3: S3Storage;
  let dir: string;

  before(async () => {
    server = await startTestS3('fauxqs', ['engine']);
    s3 = new S3Storage(server.settings('engine'));
    dir = await mkdtemp(join(tmpdir(), 'resumable-'));
  });
  after(async () => {
    await s3.close();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('resumes the same upload after SIGKILL without sending completed parts again', async () => {
    const stateFile = join(dir, 'state.json');
    const key = 'mast/jw9/killed.fits';
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
      env: { ...process.env, ...server.env('engine'), UPLOAD_STATE_FILE: stateFile, UPLOAD_KEY: key, CHILD_BYTES: String(7 * MiB) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
      child.once('exit', () => reject(new Error(`child exited early: ${err}`)));
    });
    child.kill('SIGKILL');
    await exited;

    const state = JSON.parse(await readFile(stateFile, 'utf8')) as UploadState;
    assert.equal(state.parts.length, 1, 'one 5 MiB part was complete at the kill');
    assert.equal(await s3.stat(key), undefined, 'nothing visible under the key');

    const { store, parts } = counting(s3);
    const saved: UploadState[] = [];
    const upload = ResumableUpload.resume(store, state, async (st) => void saved.push(st));
    assert.equal(upload.nextOffset, 5 * MiB);
    for (let offset = upload.nextOffset; offset < TOTAL; offset += MiB) {
      await upload.write(patternAt(offset, Math.min(MiB, TOTAL - offset)));
      assert.equal(await s3.stat(key), undefined, 'still nothing visible before completion');
    }
    const done = await upload.complete();
    assert.deepEqual(parts, [2, 3], 'part 1 was not sent again');
    assert.equal(done.size, TOTAL);
    assert.equal(saved.at(-1)?.uploadId, state.uploadId, 'the same upload');
    assert.ok((await s3.readRange(key, 0, TOTAL)).equals(patternAt(0, TOTAL)));
  });

  for (const kind of ['local', 's3'] as const) {
    it(`${kind}: a state left at any part boundary resumes to the same bytes`, async () => {
      const base: StorageProvider = kind === 'local' ? new LocalStorage(join(dir, 'data')) : s3;
      const key = `mast/jw9/${kind}.fits`;
      let last: UploadState | undefined;
      const first = await ResumableUpload.start(base, key, 5 * MiB, async (st) => void (last = st));
      for (let offset = 0; offset < 11 * MiB; offset += MiB) await first.write(patternAt(offset, MiB));
      // Crash: `first` is dropped with 1 MiB buffered; the saved state has parts 1 and 2.
      assert.equal(last!.parts.length, 2);
      const { store, parts } = counting(base);
      const again = ResumableUpload.resume(store, JSON.parse(JSON.stringify(last)) as UploadState, async () => undefined);
      await finish(again, again.nextOffset);
      assert.deepEqual(parts, [3]);
      assert.ok((await base.readRange(key, 0, TOTAL)).equals(patternAt(0, TOTAL)));
    });
  }

  it('refuses parts under 5 MiB and states whose parts are not in order; abort drops the upload', async () => {
    await assert.rejects(ResumableUpload.start(s3, 'x/y.fits', MiB, async () => undefined), /at least/);
    assert.throws(() => ResumableUpload.resume(s3, { key: 'x/y.fits', uploadId: 'u', partBytes: 5 * MiB, parts: [{ partNumber: 2, etag: 'e', size: 5 * MiB }] }, async () => undefined), /not a full part/);
    const up = await ResumableUpload.start(s3, 'x/aborted.fits', 5 * MiB, async () => undefined);
    await up.write(patternAt(0, 5 * MiB));
    await up.abort();
    assert.equal(await s3.stat('x/aborted.fits'), undefined);
  });
});
