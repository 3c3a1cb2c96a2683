import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { FakeMast } from '../fake-mast/server.js';
import { runCli } from '../helpers/cli.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
let fake: FakeMast;
let dataDir: string;

const cli = (args: string[], onStart?: (child: ChildProcess) => void) =>
  runCli(args, { MAST_BASE_URL: fake.url, DATA_DIR: dataDir, CHUNK_SIZE: '65536', MAX_RETRIES: '1', RETRY_BASE_DELAY: '0.01' }, onStart);

before(async () => {
  fake = await FakeMast.start({ imageSize: 256 });
  dataDir = await mkdtemp(join(tmpdir(), 'cli-download-'));
});
after(async () => {
  await fake.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('jwst-engine download', () => {
  it('downloads an observation, printing each verified file with its SHA-256', async () => {
    const r = await cli(['download', 'jw01039-o004_t001_miri_ch3-long', '--no-progress']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /✓ jw01039-o004_t001_miri_ch3-long_s3d\.fits \(.*\) sha256 [0-9a-f]{64}/);
    assert.match(r.stdout, /^2 files, .* in .*jw01039-o004_t001_miri_ch3-long\n$/);
    const bytes = await readFile(join(dataDir, 'mast', 'jw01039-o004_t001_miri_ch3-long', 'jw01039-o004_t001_miri_ch3-long_x1d.fits'));
    assert.equal(sha(bytes), sha(fake.dataset.files.get('mast:jwst/product/jw01039-o004_t001_miri_ch3-long_x1d.fits')!.bytes()));
    // Each file is a library record of the engine's database, as an engine's download makes it:
    // public, made by the download job, with the verified SHA-256.
    const db = new Database(join(dataDir, 'engine.db'), { readonly: true });
    try {
      const rows = db.prepare("SELECT path, sha256, source, job_id, visibility FROM library_records WHERE path LIKE '%jw01039-o004_t001_miri_ch3-long%' ORDER BY path").all() as Array<{ path: string; sha256: string; source: string; job_id: string | null; visibility: string }>;
      assert.equal(rows.length, 2, JSON.stringify(rows));
      for (const row of rows) {
        assert.equal(row.sha256, sha(await readFile(join(dataDir, row.path))), row.path);
        assert.deepEqual([row.source, row.visibility, typeof row.job_id], ['download', 'public', 'string']);
      }
    } finally {
      db.close();
    }
  });

  it('Ctrl-C pauses (exit 130); running it again resumes to the end', async () => {
    // Every file but the two small ones stops at 128 KiB (two 64 KiB chunks) until the pause: the
    // download is unfinished when Ctrl-C comes, however fast or loaded the machine.
    const gate = fake.holdDownloads(131_072);
    const folder = join(dataDir, 'mast', 'jw02733-o002_t001_miri_f770w');
    /** Whether a `.part` file of the download holds bytes. */
    const partialOnDisk = async () => {
      for (const name of await readdir(folder).catch(() => [])) {
        if (name.endsWith('.part') && (await stat(join(folder, name)).then((st) => st.size, () => 0)) > 0) return true;
      }
      return false;
    };
    const first = await cli(['download', 'jw02733-o002_t001_miri_f770w', '--no-progress'], (child) => {
      let said = '';
      let sent = false;
      child.stderr!.on('data', (d: Buffer) => {
        said += d.toString();
        // Once the job exists (its line is out), not at the first output: any earlier line (a
        // warning, say) would, on a loaded machine, send Ctrl-C before there is a job to pause
        // (the CLI then exits 130 without the 'Paused' line). Then once bytes are on disk (not
        // after a fixed time), so that the second run has something to resume from.
        if (!sent && /Job [0-9a-f]{12}:/.test(said)) {
          sent = true;
          void (async () => {
            while (!(await partialOnDisk())) await new Promise((r) => setTimeout(r, 20));
            child.kill('SIGINT');
          })();
        }
      });
    });
    gate.release();
    assert.equal(first.code, 130, first.stderr);
    assert.match(first.stderr, /Paused\. Run the same command again to resume\./);
    fake.reset();
    const second = await cli(['download', 'jw02733-o002_t001_miri_f770w', '--no-progress', '--json']);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /Resuming job [0-9a-f]{12}: .* already on disk/);
    const body = JSON.parse(second.stdout);
    assert.equal(body.status, 'complete');
    for (const f of body.files) {
      const want = fake.dataset.files.get(`mast:jwst/product/${f.filename}`.toLowerCase())!.bytes();
      assert.equal(f.sha256, sha(want));
      assert.equal(sha(await readFile(f.path)), sha(want));
    }
  });

  it('--file downloads only the named products; an unknown name fails with a message naming it', async () => {
    const obs = 'jw01039-o004_t001_miri_ch3-long';
    const r = await cli(['download', obs, '--file', `${obs}_s3d.jpg`, '--file', `${obs}_x1d.fits`, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const body = JSON.parse(r.stdout);
    assert.equal(body.status, 'complete');
    assert.deepEqual(body.files.map((f: { filename: string }) => f.filename).sort(), [`${obs}_s3d.jpg`, `${obs}_x1d.fits`]);
    for (const f of body.files) assert.equal(f.sha256, sha(fake.dataset.files.get(`mast:jwst/product/${f.filename}`)!.bytes()));
    const bad = await cli(['download', obs, '--file', 'nope_i2d.fits']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /not among the products of jw01039-o004_t001_miri_ch3-long: nope_i2d\.fits/);
  });

  it('rejects a bad obs_id', async () => {
    const r = await cli(['download', '../x']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /obs_id contains invalid characters/);
  });
});
