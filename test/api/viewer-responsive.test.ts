import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { writeRamp } from './viewer-files.js';

describe('a heavy preview never blocks the event loop', () => {
  let engine: TestEngine;
  before(async () => {
    engine = await startTestEngine();
    await writeRamp(engine.dataDir, 'heavy.fits', 3000, 3000);
  });
  after(async () => engine.dispose());

  it('light requests (GET /, GET /health) are answered while the preview renders', async () => {
    // The preview's task waits in the middle of its render (a test hold, src/workers/task-hold.ts:
    // at its second stop check, so its reading of the plane has begun) until four light answers
    // came, so they surely come while it renders, however fast or loaded the machine; then it
    // finishes. A preview rendered on the main thread would never reach the hold and would block
    // the answers: it fails the first assertion below instead.
    const hold = engine.ctx.pool.holdForTest('viewer.preview-part');
    try {
      let previewDone = false;
      const heavy = engine.app
        .inject({ url: '/preview/x?file_path=heavy.fits&stretch=histeq&black_point=0.01&white_point=0.99&width=2000&height=2000' })
        .then((res) => {
          previewDone = true;
          return res;
        });
      await Promise.race([hold.reached(), heavy]);
      assert.equal(previewDone, false, 'the preview reached its hold point on a pool thread before it finished');
      const answeredDuringPreview: string[] = [];
      while (!previewDone) {
        for (const url of ['/', '/health']) {
          const res = await engine.app.inject({ url });
          assert.equal(res.statusCode, 200);
          if (!previewDone) answeredDuringPreview.push(url);
        }
        if (answeredDuringPreview.length >= 4) hold.release();
        await new Promise((r) => setTimeout(r, 5));
      }
      const res = await heavy;
      assert.equal(res.statusCode, 200);
      assert.ok(answeredDuringPreview.includes('/'), 'GET / was answered before the preview finished');
      assert.ok(answeredDuringPreview.includes('/health'), 'GET /health (which itself uses the pool) was answered before the preview finished');
      assert.ok(answeredDuringPreview.length >= 4, `only ${answeredDuringPreview.length} light answers during the preview`);
    } finally {
      hold.release();
    }
  });

  it('liveness stays healthy under 200 concurrent previews (the pool\'s queue is deep; /health never waits for it)', async () => {
    await writeRamp(engine.dataDir, 'load.fits', 400, 400);
    // Every pool thread is held by a ping that waits for the test (shared memory: [arrived,
    // expected], one more expected than there are threads), so the 200 previews queue behind them
    // and the load surely lasts until three probes were answered, however fast or loaded the
    // machine. The pings give up after a minute on their own: if /health waited for the pool, the
    // probes would answer only after the load and the count below would fail (rather than hang).
    const threads = engine.ctx.settings.workerThreads;
    const hold = new Int32Array(new SharedArrayBuffer(8));
    hold[1] = threads + 1;
    const holders = Array.from({ length: threads }, () => engine.ctx.pool.run('ping', { meet: hold, meetTimeoutMs: 60_000 }));
    while (Atomics.load(hold, 0) < threads) await new Promise((r) => setTimeout(r, 10));
    const release = () => {
      Atomics.add(hold, 0, 1);
      Atomics.notify(hold, 0);
    };
    let pending = 200;
    const load = Array.from({ length: 200 }, (_, i) =>
      engine.app.inject({ url: `/preview/x?file_path=load.fits&width=300&height=300&gamma=${(1 + i * 1e-6).toFixed(8)}` }).finally(() => pending--));
    const probes: Array<{ status: number; body: string; during: boolean }> = [];
    while (pending > 0) {
      const res = await engine.app.inject({ url: '/health' });
      probes.push({ status: res.statusCode, body: res.json().status, during: pending > 0 });
      if (probes.filter((p) => p.during).length === 3) release();
      await new Promise((r) => setTimeout(r, 10));
    }
    await Promise.all(holders);
    const answers = await Promise.all(load);
    assert.ok(answers.every((r) => r.statusCode === 200), 'every preview rendered');
    const during = probes.filter((p) => p.during);
    assert.ok(during.length >= 3, `only ${during.length} probes answered during the load`);
    assert.deepEqual([...new Set(probes.map((p) => `${p.status} ${p.body}`))], ['200 healthy'], 'no probe degraded');
    // Readiness reports the load instead (its shape; whether it is saturated depends on timing).
    const ready = (await engine.app.inject({ url: '/health/ready' })).json();
    assert.equal(typeof ready.worker_pool.queued_tasks, 'number');
  });
});
