/**
 * One product-selection rule (issue 12): for one observation of the fake MAST, `POST /mast/products`,
 * the download routes and the CLI's `download` pick the same files, by default (SCIENCE .fits: no
 * `_cat.ecsv`) and when asked for the catalogue too.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeMast } from '../fake-mast/server.js';
import { runCli } from '../helpers/cli.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';

const OBS = 'jw02733-o001_t001_nircam_clear-f090w';
type Json = Record<string, any>;
let fake: FakeMast;
let engine: TestEngine;
let cliDir: string;

async function post(url: string, payload: Json): Promise<Json> {
  const res = await engine.app.inject({ method: 'POST', url, payload });
  assert.equal(res.statusCode, 200, res.body);
  return res.json() as Json;
}

async function chunkedFiles(body: Json): Promise<string[]> {
  const { job_id } = await post('/mast/download/start-chunked', body);
  const end = Date.now() + 300_000; // generous: seconds on a quiet machine, far more at load 16
  for (;;) {
    const p = (await engine.app.inject({ method: 'GET', url: `/mast/download/progress-chunked/${job_id}` })).json() as Json;
    if (p.is_complete) {
      assert.equal(p.status, 'complete', JSON.stringify(p.error));
      return p.file_progress.map((f: Json) => f.filename as string).sort();
    }
    assert.ok(Date.now() < end, 'chunked download timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function cliFiles(args: string[]): Promise<string[]> {
  const r = await runCli(['download', OBS, '--json', '--no-progress', ...args], { MAST_BASE_URL: fake.url, DATA_DIR: cliDir, CHUNK_SIZE: '65536' });
  assert.equal(r.code, 0, r.stderr);
  const body = JSON.parse(r.stdout) as Json;
  assert.equal(body.status, 'complete');
  return body.files.map((f: Json) => f.filename as string).sort();
}

before(async () => {
  fake = await FakeMast.start({ imageSize: 64 });
  engine = await startTestEngine({ MAST_BASE_URL: fake.url, CHUNK_SIZE: '65536', AUTO_RESUME_DOWNLOADS: 'false' });
  cliDir = await mkdtemp(join(tmpdir(), 'selection-cli-'));
});
after(async () => {
  await engine.dispose();
  await fake.close();
  await rm(cliDir, { recursive: true, force: true });
});

describe('one product-selection rule for /mast/products, the download routes and the CLI', () => {
  it('by default all give the same SCIENCE .fits files (the _cat.ecsv is in none of them)', async () => {
    const listed = ((await post('/mast/products', { obs_id: OBS })).products as Json[]).map((p) => p.productFilename as string).sort();
    assert.equal(listed.length, 10);
    assert.ok(!listed.some((n) => n.endsWith('_cat.ecsv')));
    const chunked = await chunkedFiles({ obs_id: OBS });
    const sync = await post('/mast/download', { obs_id: OBS });
    const cli = await cliFiles([]);
    assert.deepEqual(chunked, listed);
    assert.deepEqual(sync.files.map((f: string) => f.split('/').pop()).sort(), listed);
    assert.equal(sync.file_count, listed.length);
    assert.deepEqual(cli, listed);
  });

  it('asked for .fits and .ecsv, all give the same files, the _cat.ecsv included', async () => {
    const listed = ((await post('/mast/products', { obs_id: OBS, extension: ['fits', 'ecsv'] })).products as Json[]).map((p) => p.productFilename as string).sort();
    assert.equal(listed.length, 11);
    assert.ok(listed.includes(`${OBS}_cat.ecsv`));
    assert.deepEqual(await chunkedFiles({ obs_id: OBS, extension: ['fits', 'ecsv'] }), listed);
    assert.deepEqual(await cliFiles(['--ext', 'fits', '--ext', 'ecsv']), listed);
  });

  it('every product: product_type ALL and extension * (CLI --all)', async () => {
    const listed = ((await post('/mast/products', { obs_id: OBS, product_type: 'ALL', extension: '*' })).products as Json[]).map((p) => p.productFilename as string).sort();
    assert.equal(listed.length, 13);
    assert.deepEqual(await chunkedFiles({ obs_id: OBS, product_type: 'ALL', extension: ['*'] }), listed);
    assert.deepEqual(await cliFiles(['--all']), listed);
  });
});
