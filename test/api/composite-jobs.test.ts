/**
 * The job form of the N-channel composite and of the observation mosaic (issue 16): `?async=true`
 * answers 202 with the job's URLs, progress arrives on GET /api/jobs/{id}/events (stages of the
 * render, fractions never going back), the output is the same image/FITS the synchronous route
 * gives, and a request the synchronous route refuses is refused before anything is queued.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { writeTile } from './sky-files.js';

function events(body: string): Array<[string, Record<string, unknown>]> {
  return body.split('\n\n').filter((b) => b.startsWith('event:')).map((block) => {
    const event = /^event: (.*)$/m.exec(block)![1]!;
    return [event, JSON.parse(/^data: (.*)$/m.exec(block)![1]!) as Record<string, unknown>];
  });
}

describe('composite and observation-mosaic renders as jobs', () => {
  let engine: TestEngine;
  const base = { ra: 150.1, dec: 2.2, width: 48, height: 40, scale: 1e-4 };
  before(async () => {
    engine = await startTestEngine();
    await writeTile(engine.dataDir, { ...base, name: 'j/r.fits', value: (x, y) => 1 + x + y });
    await writeTile(engine.dataDir, { ...base, name: 'j/g.fits', value: (x) => 2 + Math.sin(x / 3) });
    await writeTile(engine.dataDir, { ...base, name: 'j/b.fits', value: (_x, y) => 3 + y / 4 });
    await writeTile(engine.dataDir, { ...base, ra: 150.1035, name: 'j/east.fits', value: (x, y) => 5 + ((x * y) % 7) });
  });
  after(async () => engine.dispose());

  const REQUEST = {
    channels: [
      { file_paths: ['j/r.fits'], color: { hue: 0 } },
      { file_paths: ['j/g.fits'], color: { hue: 120 } },
      { file_paths: ['j/b.fits'], color: { rgb: [0, 0, 1] } },
    ],
    width: 64,
    height: 48,
  };

  it('runs generate-nchannel?async=true as a job with progress events and the same image as the synchronous route', async () => {
    const sync = await engine.app.inject({ method: 'POST', url: '/composite/generate-nchannel', payload: REQUEST });
    assert.equal(sync.statusCode, 200, sync.body);
    const start = await engine.app.inject({ method: 'POST', url: '/composite/generate-nchannel?async=true', payload: REQUEST });
    assert.equal(start.statusCode, 202, start.body);
    const accepted = start.json() as Record<string, string>;
    const id = accepted.job_id!;
    assert.deepEqual(accepted, {
      job_id: id, status: 'queued', job_url: `/api/jobs/${id}`, events_url: `/api/jobs/${id}/events`, output_url: `/api/jobs/${id}/outputs/0/download`,
    });
    const sse = await engine.app.inject({ method: 'GET', url: accepted.events_url! });
    const stream = events(sse.body);
    assert.deepEqual(stream.at(-1), ['end', { jobId: id, status: 'succeeded' }]);
    const records = stream.filter(([e]) => e === 'job').map(([, d]) => d);
    const fractions = records.map((r) => (r.progress as { fraction: number }).fraction);
    assert.deepEqual([...fractions].sort((a, b) => a - b), fractions, 'progress never goes back');
    const job = (await engine.app.inject({ method: 'GET', url: accepted.job_url! })).json();
    assert.equal(job.type, 'composite-nchannel');
    assert.equal(job.result.headers['x-composite-budget-status'], 'ok');
    assert.ok(Number(job.result.headers['x-quality-score']) >= 1);
    const out = await engine.app.inject({ method: 'GET', url: accepted.output_url! });
    assert.equal(out.statusCode, 200);
    assert.ok(out.rawPayload.equals(sync.rawPayload), 'the job writes the image the synchronous route answers');
  });

  it('refuses what the synchronous route refuses before queuing anything', async () => {
    const before = (await engine.app.inject({ method: 'GET', url: '/api/jobs?kind=composite-nchannel' })).json().total as number;
    const bad = await engine.app.inject({ method: 'POST', url: '/composite/generate-nchannel?async=true', payload: { channels: [{ file_paths: ['j/r.fits'], color: { luminance: true } }] } });
    assert.equal(bad.statusCode, 422, bad.body);
    const missing = await engine.app.inject({ method: 'POST', url: '/composite/generate-nchannel?async=true', payload: { channels: [{ file_paths: ['j/none.fits'], color: { hue: 0 } }] } });
    assert.equal(missing.statusCode, 404, missing.body);
    const obsMissing = await engine.app.inject({ method: 'POST', url: '/mosaic/generate-observation?async=true', payload: { file_paths: ['j/r.fits', 'j/none.fits'] } });
    assert.equal(obsMissing.statusCode, 404, obsMissing.body);
    assert.equal((await engine.app.inject({ method: 'GET', url: '/api/jobs?kind=composite-nchannel' })).json().total, before);
    assert.equal((await engine.app.inject({ method: 'GET', url: '/api/jobs?kind=observation-mosaic' })).json().total, 0);
  });

  it('runs generate-observation?async=true as a job whose output is the FITS mosaic', async () => {
    const payload = { file_paths: ['j/r.fits', 'j/east.fits'], batch_size: 4 };
    const sync = await engine.app.inject({ method: 'POST', url: '/mosaic/generate-observation', payload });
    assert.equal(sync.statusCode, 200, sync.body);
    const start = await engine.app.inject({ method: 'POST', url: '/mosaic/generate-observation?async=true', payload });
    assert.equal(start.statusCode, 202, start.body);
    const { job_id: id, events_url: eventsUrl, output_url: outputUrl } = start.json() as Record<string, string>;
    const stream = events((await engine.app.inject({ method: 'GET', url: eventsUrl! })).body);
    assert.deepEqual(stream.at(-1), ['end', { jobId: id, status: 'succeeded' }]);
    const job = (await engine.app.inject({ method: 'GET', url: `/api/jobs/${id}` })).json();
    assert.equal(job.type, 'observation-mosaic');
    assert.equal(job.result.outputs[0].suffix, 'fits');
    assert.equal(job.result.headers['x-mosaic-width'], sync.headers['x-mosaic-width']);
    const out = await engine.app.inject({ method: 'GET', url: outputUrl! });
    assert.equal(out.statusCode, 200);
    // The same pixels (the DATE card differs by the second it was written, and so does the
    // CHECKSUM, which covers it).
    const strip = (b: Buffer) => b.toString('latin1').replace(/DATE    = '[^']*'/, '').replace(/CHECKSUM= '[^']*'/, '');
    assert.equal(strip(out.rawPayload), strip(sync.rawPayload));
  });
});
