/**
 * Records follow the files: a job's FITS outputs are records (job id, input records, owner) by the
 * time the job is completed, for any kind (the job core's completion hook); a removed job's gone
 * files, and a file deleted by hand, are noticed; GET /library gives every file its data_id.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { writeProduct } from '../library/fixtures.js';
import { inputFileNames } from '../../src/library/job-outputs.js';

const INPUT = 'mast/jw02733-o001_t001_nircam_clear-f090w/jw02733-o001_t001_nircam_clear-f090w_i2d.fits';
const SECRET = 'a-test-secret-that-is-long-enough-0123456789';

async function token(sub: string): Promise<string> {
  return new SignJWT({ sub }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setIssuer('JwstDataAnalysis')
    .setAudience('JwstDataAnalysisClient').setExpirationTime('10m').sign(new TextEncoder().encode(SECRET));
}

interface Dto { id: string; fileName: string; jobId?: string; derivedFrom: string[]; userId?: string; isPublic: boolean; filePath: string }

describe('records follow job outputs and deleted files', () => {
  let engine: TestEngine;
  let inputId: string;
  before(async () => {
    engine = await startTestEngine({ LIBRARY_SCAN_ON_START: 'false' });
    await writeProduct(engine.dataDir, { rel: INPUT, instrument: 'NIRCAM', filter: 'F090W', target: 'NGC 1234' });
    inputId = (await engine.ctx.library.registerCompletedFile({ path: INPUT, source: 'download' })).dataId;
  });
  after(() => engine.dispose());

  it('finds input files under every file key of a job, nested channels included', () => {
    assert.deepEqual(inputFileNames({ file_path: 'a.fits', parameters: { other_file_path: 'b.fits', sigma: 'c.fits' }, red: { file_paths: ['c.fits', 'a.fits'] }, data_id: 'x' }),
      ['a.fits', 'b.fits', 'c.fits', 'x']);
  });

  it("registers a job's FITS outputs with lineage before the job is completed", async () => {
    // The record must exist the moment the job is completed: look it up from the completion event itself.
    const seenAtCompletion: Array<Promise<number>> = [];
    const stop = engine.ctx.jobs.subscribe(undefined, (e) => {
      if (e.job.state === 'completed') seenAtCompletion.push(engine.ctx.library.repo.list({ viewer: { kind: 'everyone' }, jobId: e.job.id, limit: 10 }).then((p) => p.records.length));
    });
    const start = await engine.app.inject({ method: 'POST', url: '/process/jobs', payload: { data_id: inputId, algorithm: 'gaussian_filter', parameters: { sigma: 1 } } });
    assert.equal(start.statusCode, 202, start.body);
    const jobId = start.json().job_id as string;
    const job = await engine.ctx.jobs.waitUntilSettled(jobId);
    stop();
    assert.equal(job.state, 'completed');
    assert.deepEqual(await Promise.all(seenAtCompletion), [1]);

    const list = (await engine.app.inject({ method: 'GET', url: `/api/jwstdata` })).json() as Dto[];
    const made = list.find((d) => d.jobId === jobId);
    assert.ok(made, 'the output is a record');
    assert.deepEqual(made.derivedFrom, [inputId]);
    assert.equal(made.filePath, job.outputs[0]!.path);
    const lineage = (await engine.app.inject({ method: 'GET', url: `/api/jwstdata/${made.id}/lineage` })).json();
    assert.equal(lineage.jobId, jobId);
    assert.equal(lineage.source, 'job');
    assert.deepEqual(lineage.inputs.map((i: { fileName: string }) => i.fileName), [INPUT.split('/').pop()]);

    // Saving the output keeps a copy with a record of its own, same lineage.
    const saved = (await engine.app.inject({ method: 'POST', url: `/api/jobs/${jobId}/outputs/0/save` })).json();
    const copy = (await engine.app.inject({ method: 'GET', url: `/api/jwstdata/${saved.dataId}` })).json() as Dto;
    assert.equal(copy.filePath, saved.filePath);
    assert.deepEqual(copy.derivedFrom, [inputId]);

    // Removing the job removes its folder: its record is noticed missing (kept for lineage, hidden from lists).
    assert.equal((await engine.app.inject({ method: 'DELETE', url: `/api/jobs/${jobId}` })).statusCode < 300, true);
    await engine.ctx.library.idle(); // the removed event's check runs in the library's background work
    assert.equal((await engine.ctx.library.repo.get(made.id))?.missing, true);
    const after = (await engine.app.inject({ method: 'GET', url: `/api/jwstdata` })).json() as Dto[];
    assert.ok(!after.some((d) => d.id === made.id));
    assert.ok(after.some((d) => d.id === saved.dataId), 'the saved copy stays');
  });

  it('notices a file deleted by hand when its record is used, and its return', async () => {
    const rel = 'uploads/jw01234-o005_t002_miri_f770w_i2d.fits';
    await writeProduct(engine.dataDir, { rel, instrument: 'MIRI', filter: 'F770W' });
    const id = (await engine.ctx.library.registerCompletedFile({ path: rel, source: 'import' })).dataId;
    await rm(join(engine.dataDir, rel));
    assert.equal((await engine.app.inject({ method: 'GET', url: `/cubeinfo/${id}` })).statusCode, 404);
    assert.equal((await engine.ctx.library.repo.get(id))?.missing, true);
    await writeProduct(engine.dataDir, { rel, instrument: 'MIRI', filter: 'F770W' });
    assert.equal((await engine.app.inject({ method: 'GET', url: `/cubeinfo/${id}` })).statusCode, 200);
    assert.equal((await engine.ctx.library.repo.get(id))?.missing, false);
  });

  it('GET /library gives each file its data_id, registering files placed since the last scan', async () => {
    const rel = 'uploads/by-hand_cal.fits';
    await writeProduct(engine.dataDir, { rel, instrument: 'NIRSPEC' });
    const body = (await engine.app.inject({ method: 'GET', url: '/library' })).json() as { groups: Array<{ files: Array<{ file_path: string; data_id: string | null }> }> };
    const files = body.groups.flatMap((g) => g.files);
    assert.ok(files.length >= 2);
    for (const f of files) {
      assert.ok(f.data_id, `${f.file_path} has a data_id`);
      assert.equal((await engine.ctx.library.repo.get(f.data_id))?.path, f.file_path);
    }
    assert.ok(files.some((f) => f.file_path === rel));
  });
});

describe('GET /library with users', () => {
  let engine: TestEngine;
  before(async () => {
    engine = await startTestEngine({ LIBRARY_SCAN_ON_START: 'false', JWT_SECRET_KEY: SECRET });
    await writeProduct(engine.dataDir, { rel: INPUT, instrument: 'NIRCAM' });
    await writeProduct(engine.dataDir, { rel: 'users/alice/a_i2d.fits', instrument: 'MIRI' });
    await engine.ctx.library.registerCompletedFile({ path: 'users/alice/a_i2d.fits', source: 'job', owner: 'alice' });
  });
  after(() => engine.dispose());

  it("leaves out files of other users' private records", async () => {
    const paths = async (sub: string) => ((await engine.app.inject({ method: 'GET', url: '/library', headers: { authorization: `Bearer ${await token(sub)}` } })).json() as { groups: Array<{ files: Array<{ file_path: string }> }> })
      .groups.flatMap((g) => g.files.map((f) => f.file_path)).sort();
    assert.deepEqual(await paths('alice'), [INPUT, 'users/alice/a_i2d.fits']);
    assert.deepEqual(await paths('bob'), [INPUT]);
  });
});
