/**
 * Work can be stopped: a running render, analysis, composite or mosaic ends when its client goes
 * away or its job is cancelled, and the worker task itself ends at one of its own checks (it does
 * not finish, and its thread is not terminated: the engine runs with a very long
 * TASK_ABORT_GRACE_MS here, so only the tasks' own checks can end them).
 *
 * No timing assertion: each case waits for the pool to be idle again (generous polling) and
 * asserts, from the pool's counters, that the task ended cancelled rather than finished.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import type { PoolStats } from '../../src/workers/pool.js';
import { writeTile } from './sky-files.js';

let engine: TestEngine;
let base: string;

/** Smooth sky with sources, so every algorithm has something to find. */
const sky = (x: number, y: number) => 10 + Math.sin(x / 37) * Math.cos(y / 23) * 5 + ((x * 7 + y * 13) % 101 === 0 ? 500 : 0);

before(async () => {
  engine = await startTestEngine({ WORKER_THREADS: '2', TASK_ABORT_GRACE_MS: '600000', MAX_CONCURRENT_RENDERS: '4' });
  await engine.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(engine.app.server.address() as AddressInfo).port}`;
  const scale = 0.031 / 3600;
  await writeTile(engine.dataDir, { name: 'big/a.fits', ra: 150, dec: 2, width: 2400, height: 2400, scale, value: sky });
  await writeTile(engine.dataDir, { name: 'big/b.fits', ra: 150 + (1200 * scale) / Math.cos((2 * Math.PI) / 180), dec: 2, width: 2400, height: 2400, scale, value: sky });
  await engine.ctx.pool.run('ping', {}); // a thread is up
  await writeTile(engine.dataDir, { name: 'big/huge.fits', ra: 150, dec: 2, width: 6000, height: 6000, scale, value: sky });
});

after(async () => {
  await engine?.dispose();
});

const stats = (): PoolStats => engine.ctx.pool.stats();

async function until(what: string, test: () => boolean | Promise<boolean>, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (pool ${JSON.stringify(stats())})`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Waits until a pool task of the work runs, lets it run a moment, then calls `stop`; asserts the task ended cancelled. */
async function assertStops(stop: () => Promise<void> | void): Promise<void> {
  await until('an idle pool before the case', () => stats().active === 0);
  const before = stats();
  await until('the task to start', () => stats().active > 0 && stats().queued === 0);
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(stats().active > 0, 'the work still runs when it is stopped (it is heavy enough for this test)');
  await stop();
  await until('the pool to be idle after the stop', () => stats().active === 0);
  const now = stats();
  // one task, or each running task of a render split over threads (src/workers/composite-render.ts)
  const cancelled = now.cancelled - before.cancelled;
  assert.ok(cancelled >= 1 && cancelled <= stats().threads, `the task ended at its own check, unfinished: ${JSON.stringify({ before, now })}`);
  assert.equal(now.terminated, before.terminated, 'no thread had to be terminated');
}

/** A request the client abandons once its task runs. */
async function abandoned(path: string, init: RequestInit = {}): Promise<void> {
  const controller = new AbortController();
  const response = fetch(`${base}${path}`, { ...init, signal: controller.signal }).then(
    (r) => ({ status: r.status }),
    (err: unknown) => ({ error: err }),
  );
  await assertStops(() => controller.abort());
  assert.ok('error' in (await response), 'the client saw its own abort');
}

const json = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, any> }> {
  const r = await fetch(`${base}${path}`, body === undefined ? { method } : { ...json(body), method });
  return { status: r.status, body: (await r.json()) as Record<string, any> };
}

const MOSAIC = { files: [{ file_path: 'big/a.fits' }, { file_path: 'big/b.fits' }], output_format: 'fits', interpolation: 'exact' };

describe('a client that goes away stops its work', () => {
  it('render: GET /preview', async () => {
    await abandoned('/preview/x?file_path=big/huge.fits&width=4000&height=4000');
  });

  it('analysis: POST /process (its job is cancelled too)', async () => {
    await abandoned('/process', json({ data_id: 'x', file_path: 'big/a.fits', algorithm: 'find_stars', parameters: { fwhm: 12 } }));
    await until('the analysis job to be cancelled', async () => {
      const page = (await call('GET', '/api/jobs?kind=analysis')).body;
      const all = page.jobs as Array<Record<string, unknown>>;
      return all.length === 1 && all[0]!.state === 'cancelled';
    }, 30_000);
  });

  it('composite: POST /composite/generate', async () => {
    await abandoned('/composite/generate', json({
      red: { file_paths: ['big/a.fits'] }, green: { file_paths: ['big/b.fits'] }, blue: { file_paths: ['big/a.fits', 'big/b.fits'] },
      interpolation: 'exact', width: 4000, height: 4000,
    }));
  });

  it('N-channel composite: POST /composite/generate-nchannel', async () => {
    await abandoned('/composite/generate-nchannel', json({
      channels: [{ file_paths: ['big/a.fits'], color: { hue: 0 } }, { file_paths: ['big/b.fits'], color: { hue: 120 } }, { file_paths: ['big/a.fits', 'big/b.fits'], color: { hue: 240 } }],
      width: 4000, height: 4000,
    }));
  });

  it('N-channel composite stream: POST /composite/generate-nchannel-stream', async () => {
    // the NDJSON answer starts at once (200), so the client goes away while reading the events
    const controller = new AbortController();
    const response = fetch(`${base}/composite/generate-nchannel-stream`, {
      ...json({
        channels: [{ file_paths: ['big/a.fits'], color: { hue: 0 } }, { file_paths: ['big/b.fits'], color: { hue: 120 } }, { file_paths: ['big/a.fits', 'big/b.fits'], color: { hue: 240 } }],
        width: 4000, height: 4000,
      }),
      signal: controller.signal,
    });
    // read below; aborted before its headers came (a loaded machine), it must not count as unhandled meanwhile
    response.catch(() => undefined);
    await assertStops(() => controller.abort());
    const settled = await response.then((r) => r.text().then(() => 'read', () => 'aborted'), () => 'aborted');
    assert.equal(settled, 'aborted', 'the client saw its own abort, not a complete answer');
  });

  it('mosaic: POST /mosaic/generate', async () => {
    await abandoned('/mosaic/generate', json(MOSAIC));
  });

  it('render of a library record: GET /api/jwstdata/{id}/preview (forwarded to /preview)', async () => {
    assert.equal((await call('POST', '/api/jwstdata/scan')).status, 200);
    let id: string | undefined;
    await until('the record of big/huge.fits', async () => {
      const list = (await (await fetch(`${base}/api/jwstdata`)).json()) as Array<Record<string, unknown>>;
      id = list.find((r) => JSON.stringify(r).includes('huge.fits'))?.id as string | undefined;
      return id !== undefined;
    }, 60_000);
    await abandoned(`/api/jwstdata/${id}/preview?width=4000&height=4000`);
  });
});

describe('a cancelled job stops its work', () => {
  it('mosaic job: POST /api/jobs/{id}/cancel', async () => {
    const started = await call('POST', '/mosaic/generate?async=true', MOSAIC);
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const id = started.body.job_id as string;
    await assertStops(async () => {
      const r = await call('POST', `/api/jobs/${id}/cancel`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
    });
    assert.equal((await call('GET', `/api/jobs/${id}`)).body.state, 'cancelled');
  });

  it('analysis job: POST /api/jobs/{id}/cancel', async () => {
    const started = await call('POST', '/process/jobs', { data_id: 'x', file_path: 'big/b.fits', algorithm: 'find_stars', parameters: { fwhm: 12 } });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const id = started.body.job_id as string;
    await assertStops(async () => {
      const r = await call('POST', `/api/jobs/${id}/cancel`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
    });
    assert.equal((await call('GET', `/process/jobs/${id}`)).body.status, 'cancelled');
  });
});

describe('engine shutdown (last: it closes the engine)', () => {
  it('in-flight requests answer 503 {"detail"}, an NDJSON composite stream ends with a 503 error event; the pool ends idle', async () => {
    const mosaic = fetch(`${base}/mosaic/generate`, json(MOSAIC)).then(async (r) => ({ status: r.status, body: await r.text() }));
    const stream = fetch(`${base}/composite/generate-nchannel-stream`, json({
      channels: [{ file_paths: ['big/a.fits'], color: { hue: 0 } }, { file_paths: ['big/b.fits'], color: { hue: 120 } }, { file_paths: ['big/huge.fits'], color: { hue: 240 } }],
      width: 4000, height: 4000,
    })).then(async (r) => ({ status: r.status, body: await r.text() }));
    await until('both renders to run', () => engine.ctx.renderGate.stats().active === 2 && stats().active >= 2);
    const closing = engine.close();
    const m = await mosaic;
    assert.equal(m.status, 503, m.body.slice(0, 200));
    assert.equal(typeof (JSON.parse(m.body) as { detail: unknown }).detail, 'string');
    const s = await stream;
    assert.equal(s.status, 200);
    const last = JSON.parse(s.body.trim().split('\n').at(-1)!) as Record<string, unknown>;
    assert.deepEqual([last.event, last.status_code], ['error', 503], s.body.slice(-300));
    await closing;
    assert.equal(stats().active, 0);
  });
});
