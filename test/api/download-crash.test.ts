/**
 * The engine killed with SIGKILL mid-download, then started again: the job is found again,
 * resumes by itself from the bytes on disk, and ends with byte-identical files. Also SIGTERM:
 * the job is saved as paused (by shutdown) and resumed by the next start.
 */
import { after, before, describe, it } from 'node:test';
import { jobStoreFromSettings } from '../../src/jobs/store-from-settings.js';
import { loadSettings } from '../../src/config.js';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeMast } from '../fake-mast/server.js';
import type { FakeDownloadEndpoint } from '../fake-mast/download-endpoint.js';
import { freePort, spawnEngine, waitForHealth, type SpawnedEngine } from '../helpers/engine-process.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
type Json = Record<string, any>;

let fake: FakeMast;
before(async () => {
  fake = await FakeMast.start({ imageSize: 256 });
});
after(async () => {
  await fake.close();
});

class EngineProcess {
  /** The running (or last) engine process; a restart replaces it. */
  proc?: SpawnedEngine;
  constructor(readonly port: number, readonly dataDir: string) {}

  async start(): Promise<void> {
    this.proc = spawnEngine({
      PORT: String(this.port),
      HOST: '127.0.0.1',
      DATA_DIR: this.dataDir,
      LOG_LEVEL: 'warn',
      WORKER_THREADS: '1',
      MAST_BASE_URL: fake.url,
      CHUNK_SIZE: '65536',
      RETRY_BASE_DELAY: '0.01',
    });
    await waitForHealth(this.port, this.proc);
  }

  async call(method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> {
    const res = await fetch(`http://127.0.0.1:${this.port}${path}`, {
      method,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json()) as Json };
  }

  async waitFor(jobId: string, done: (p: Json) => boolean, timeoutMs = 300_000): Promise<Json> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const r = await this.call('GET', `/mast/download/progress-chunked/${jobId}`);
      if (r.status === 200 && done(r.body)) return r.body;
      if (Date.now() > until) throw new Error(`timed out: ${JSON.stringify(r.body)}`);
      await new Promise((res) => setTimeout(res, 100));
    }
  }

  stop(signal: NodeJS.Signals): Promise<number | null> {
    this.proc!.child.kill(signal);
    return this.proc!.exited;
  }
}

function fakeBytes(filename: string): Buffer {
  return fake.dataset.files.get(`mast:jwst/product/${filename}`.toLowerCase())!.bytes();
}

for (const [signal, obsId] of [['SIGKILL', 'jw09992-o004_t001_miri_f770w'], ['SIGTERM', 'jw09992-o003_t001_miri_f770w']] as const) {
  describe(`engine stopped with ${signal} mid-download`, () => {
    it('finds the job again after a restart and finishes it with byte-identical files, reusing the bytes on disk', async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'download-crash-'));
      const engine = new EngineProcess(await freePort(), dataDir);
      let held: { release: () => void } | undefined;
      try {
        fake.reset();
        // Both files stop at 128 KiB until the engine is stopped (which cuts the held requests):
        // mid-download when the signal comes, however fast or loaded the machine.
        held = fake.holdDownloads(131_072);
        await engine.start();
        const start = await engine.call('POST', '/mast/download/start-chunked', { obs_id: obsId });
        assert.equal(start.status, 200, JSON.stringify(start.body));
        const id = start.body.job_id as string;
        const before = await engine.waitFor(id, (p) => p.downloaded_bytes > 150_000);
        assert.equal(before.stage, 'downloading');
        const code = await engine.stop(signal);
        if (signal === 'SIGTERM') assert.equal(code, 0, engine.proc?.stderr());

        // The download is a job-core record (DATA_DIR/engine.db); its checkpoint is the saved form.
        const store = await jobStoreFromSettings(loadSettings({ DATA_DIR: dataDir }));
        const record = (await store.get(id))!;
        await store.close();
        assert.equal(record.kind, 'download');
        assert.equal(record.state, signal === 'SIGKILL' ? 'running' : 'queued');
        const state = record.checkpoint as Json;
        // The file list is stored before the first byte (byte progress at most once a second).
        assert.equal(state.status, 'downloading');
        // After kill -9 the saved state may lag the disk by up to a second: the .part files are the truth.
        const partial: Json[] = [];
        const partialSizes = new Map<string, number>();
        for (const f of state.files as Json[]) {
          if (f.status === 'complete') continue;
          const size = await stat(`${f.local_path}.part`).then((s) => s.size, () => 0);
          assert.ok(size >= f.downloaded_bytes, 'never less on disk than recorded');
          if (size > 0) partial.push(f);
          partialSizes.set(f.filename as string, size);
        }
        assert.ok(partial.length > 0, 'a partial file is on disk');

        const endpoint = fake.downloadState.get('endpoint') as FakeDownloadEndpoint;
        const mark = endpoint.requests.length;
        fake.setDownloadSwitches({ '*': {} });
        await engine.start();
        const done = await engine.waitFor(id, (p) => p.is_complete);
        assert.equal(done.stage, 'complete', JSON.stringify(done));
        for (const f of done.file_progress as Json[]) {
          assert.equal(f.sha256, sha(fakeBytes(f.filename)));
          assert.equal(sha(await readFile(f.local_path)), sha(fakeBytes(f.filename)), `${f.filename} identical`);
        }
        // The partial file continued where the disk said, not from byte 0.
        const after = endpoint.requests.slice(mark).filter((r) => r.method === 'GET');
        for (const f of partial) {
          const first = after.find((r) => r.method === 'GET' && r.uri.toLowerCase().endsWith(f.filename.toLowerCase()));
          // A .part that already held every byte (killed between the last write and the rename) needs no GET at all.
          if (!first && partialSizes.get(f.filename) === f.total_bytes) continue;
          assert.ok(first?.range && !first.range.startsWith('bytes=0-'), `${f.filename} resumed at ${first?.range}`);
        }
        await engine.stop('SIGTERM');
      } finally {
        engine.proc?.child.kill('SIGKILL');
        held?.release();
        await rm(dataDir, { recursive: true, force: true });
      }
    });
  });
}
