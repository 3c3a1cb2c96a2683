import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { startTestEngine } from '../helpers/engine.js';
import { writeFits } from '../../src/fits/writer.js';
import { syntheticPlane } from '../analysis/fixtures.js';
import { writeTile, type TileSpec } from './sky-files.js';

async function writeImage(dataDir: string): Promise<void> {
  await mkdir(join(dataDir, 'data'), { recursive: true });
  const plane = syntheticPlane();
  await writeFits(join(dataDir, 'data', 'synthetic.fits'), [
    { axes: [] },
    { axes: [plane.width, plane.height], data: plane.data as Float32Array, extname: 'SCI' },
  ]);
}

/** SSE body → [event, data] pairs. */
function events(body: string): Array<[string, Record<string, unknown>]> {
  return body.split('\n\n').filter((b) => b.startsWith('event:')).map((block) => {
    const event = /^event: (.*)$/m.exec(block)![1]!;
    const data = JSON.parse(/^data: (.*)$/m.exec(block)![1]!) as Record<string, unknown>;
    return [event, data];
  });
}

const ANALYSIS = { data_id: 'j', file_path: 'data/synthetic.fits', algorithm: 'gaussian_filter', parameters: { sigma: 2 } };

describe('/api/jobs over the job core', () => {
  it('lists, gets, streams, previews, downloads, saves and deletes an analysis job; records survive a restart', async () => {
    const engine = await startTestEngine();
    const dataDir = engine.dataDir;
    let closed = false;
    try {
      await writeImage(dataDir);
      const start = await engine.app.inject({ method: 'POST', url: '/process/jobs', payload: ANALYSIS });
      assert.equal(start.statusCode, 202, start.body);
      const id = start.json().job_id as string;

      // The event stream ends when the job is finished; every record is the same wire shape.
      const sse = await engine.app.inject({ method: 'GET', url: `/api/jobs/${id}/events` });
      assert.equal(sse.statusCode, 200);
      assert.match(String(sse.headers['content-type']), /text\/event-stream/);
      const stream = events(sse.body);
      const last = stream.at(-1)!;
      assert.deepEqual(last, ['end', { jobId: id, status: 'succeeded' }]);
      const records = stream.filter(([e]) => e === 'job').map(([, d]) => d);
      assert.ok(records.length >= 1);
      const fractions = records.map((r) => (r.progress as { fraction: number }).fraction);
      assert.deepEqual([...fractions].sort((a, b) => a - b), fractions, 'progress never goes back');
      assert.equal(records.at(-1)!.status, 'succeeded');

      const got = (await engine.app.inject({ method: 'GET', url: `/api/jobs/${id}` })).json();
      assert.equal(got.type, 'analysis');
      assert.equal(got.state, 'completed');
      assert.equal(got.request.algorithm, 'gaussian_filter');
      const outputs = got.result.outputs as Array<{ storageKey: string; name: string; suffix: string }>;
      assert.equal(outputs.length, 1);
      assert.match(outputs[0]!.storageKey, new RegExp(`^processed/${id}/`));
      assert.equal(outputs[0]!.suffix, 'fits');

      const list = (await engine.app.inject({ method: 'GET', url: '/api/jobs?kind=analysis&status=succeeded&limit=500' })).json();
      assert.equal(list.limit, 200, 'limit clamped');
      assert.deepEqual(list.jobs.map((j: { jobId: string }) => j.jobId), [id]);
      assert.equal((await engine.app.inject({ method: 'GET', url: '/api/jobs?kind=mosaic' })).json().total, 0);
      assert.equal((await engine.app.inject({ method: 'GET', url: '/api/jobs?status=nope' })).statusCode, 422);

      const download = await engine.app.inject({ method: 'GET', url: `/api/jobs/${id}/outputs/0/download` });
      assert.equal(download.statusCode, 200);
      assert.match(String(download.headers['content-disposition']), /attachment; filename=".*\.fits"/);
      assert.equal(download.rawPayload.subarray(0, 6).toString(), 'SIMPLE');
      const preview = await engine.app.inject({ method: 'GET', url: `/api/jobs/${id}/outputs/0/preview?stretch=linear` });
      assert.equal(preview.statusCode, 307);
      const png = await engine.app.inject({ method: 'GET', url: String(preview.headers.location) });
      assert.equal(png.statusCode, 200, png.body);
      assert.equal(png.headers['content-type'], 'image/png');
      assert.equal((await engine.app.inject({ method: 'GET', url: `/api/jobs/${id}/outputs/5/download` })).statusCode, 404);

      const saved = await engine.app.inject({ method: 'POST', url: `/api/jobs/${id}/outputs/0/save` });
      assert.equal(saved.statusCode, 201);
      assert.equal(saved.json().created, true);
      assert.equal((await engine.app.inject({ method: 'POST', url: `/api/jobs/${id}/outputs/0/save` })).json().created, false);

      const cancel = (await engine.app.inject({ method: 'POST', url: `/api/jobs/${id}/cancel` })).json();
      assert.deepEqual(cancel, { cancelRequested: false, status: 'succeeded' });
      assert.equal((await engine.app.inject({ method: 'POST', url: `/api/jobs/${id}/pause` })).statusCode, 409, 'analyses are not pausable');

      // Restart on the same DATA_DIR: the record is found again (DATA_DIR/jobs.sqlite).
      await engine.close();
      closed = true;
      const again = await startTestEngine({ DATA_DIR: dataDir });
      try {
        const found = await again.app.inject({ method: 'GET', url: `/process/jobs/${id}` });
        assert.equal(found.statusCode, 200);
        assert.equal(found.json().status, 'completed');
        assert.equal(found.json().result.algorithm, 'gaussian_filter');
        const del = await again.app.inject({ method: 'DELETE', url: `/api/jobs/${id}` });
        assert.equal(del.statusCode, 200);
        await assert.rejects(stat(join(dataDir, 'processed', id)), /ENOENT/);
        assert.ok((await stat(join(dataDir, saved.json().filePath))).isFile(), 'a saved output outlives its job');
        assert.equal((await again.app.inject({ method: 'GET', url: `/api/jobs/${id}` })).statusCode, 404);
        assert.deepEqual((await again.app.inject({ method: 'GET', url: `/api/jobs/${id}/events` })).json(), { detail: 'Job not found' });
      } finally {
        await again.close();
      }
    } finally {
      if (!closed) await engine.close();
      await (await import('node:fs/promises')).rm(dataDir, { recursive: true, force: true });
    }
  });

  it('streams GET /api/jobs/{id}/events for the sky kinds too (composite, mosaic, footprint), and serves their outputs', async () => {
    const engine = await startTestEngine();
    try {
      const tile = (name: string, ra: number, value: number): TileSpec => ({ name, ra, dec: -5.39, width: 60, height: 50, scale: 2e-4, value: (x, y) => value + 0.1 * x + 0.05 * y });
      for (const t of [tile('k/r.fits', 83.82, 10), tile('k/g.fits', 83.8205, 20), tile('k/b.fits', 83.821, 30)]) await writeTile(engine.dataDir, t);
      const channel = (file: string) => ({ file_paths: [file], stretch: 'linear' });
      const kinds: Array<[string, string, Record<string, unknown>]> = [
        ['composite', '/composite/generate?async=true', { red: channel('k/r.fits'), green: channel('k/g.fits'), blue: channel('k/b.fits'), width: 64, height: 64 }],
        ['mosaic', '/mosaic/generate?async=true', { files: [{ file_path: 'k/r.fits', stretch: 'linear' }, { file_path: 'k/b.fits', stretch: 'linear' }], output_format: 'fits' }],
        ['footprint', '/mosaic/footprint?async=true', { file_paths: ['k/r.fits', 'k/g.fits', 'k/b.fits'] }],
      ];
      for (const [kind, url, payload] of kinds) {
        const start = await engine.app.inject({ method: 'POST', url, payload });
        assert.equal(start.statusCode, 202, `${kind}: ${start.body}`);
        const id = start.json().job_id as string;
        const sse = await engine.app.inject({ method: 'GET', url: `/api/jobs/${id}/events` });
        assert.equal(sse.statusCode, 200, kind);
        const stream = events(sse.body);
        assert.deepEqual(stream.at(-1), ['end', { jobId: id, status: 'succeeded' }], `${kind}: ${sse.body.slice(0, 500)}`);
        const records = stream.filter(([e]) => e === 'job').map(([, d]) => d);
        assert.ok(records.length >= 1 && records.every((r) => r.type === kind && r.jobId === id), kind);
        assert.equal(records.at(-1)!.status, 'succeeded', kind);
        const got = (await engine.app.inject({ method: 'GET', url: `/api/jobs/${id}` })).json();
        assert.equal(got.type, kind);
        assert.deepEqual((await engine.app.inject({ method: 'GET', url: `/api/jobs?kind=${kind}` })).json().jobs.map((j: { jobId: string }) => j.jobId), [id]);
        const outputs = (got.result?.outputs ?? []) as Array<{ storageKey: string }>;
        if (kind !== 'footprint') {
          assert.ok(outputs.length >= 1, `${kind} lists its output`);
          const file = await engine.app.inject({ method: 'GET', url: `/api/jobs/${id}/outputs/0/download` });
          assert.equal(file.statusCode, 200, kind);
          const magic = file.rawPayload.subarray(0, 6).toString('latin1');
          assert.equal(magic, kind === 'composite' ? '\x89PNG\r\n' : 'SIMPLE', kind);
        }
      }
    } finally {
      await engine.dispose();
    }
  });
});
