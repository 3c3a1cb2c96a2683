import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RenderBusyError, RenderGate } from '../../src/jobs/index.js';

describe('RenderGate', () => {
  it('admits slots + queue depth interactive renders, then answers 429 with Retry-After', async () => {
    const gate = new RenderGate(1, 1, 60_000);
    const first = await gate.enterInteractive();
    const waiting = gate.enterInteractive();
    await assert.rejects(gate.enterInteractive(), (err: unknown) => {
      assert.ok(err instanceof RenderBusyError);
      assert.equal(err.httpStatus, 429);
      assert.equal(err.headers['retry-after'], '60');
      return true;
    });
    assert.deepEqual(gate.stats(), { active: 1, waiting: 1, slots: 1 });
    first();
    const second = await waiting;
    second();
    assert.deepEqual(gate.stats(), { active: 0, waiting: 0, slots: 1 });
  });

  it('an interactive render that waits longer than the wait budget gets 429', async () => {
    const gate = new RenderGate(1, 4, 0);
    const held = await gate.enterInteractive();
    await assert.rejects(gate.enterInteractive(), RenderBusyError);
    assert.equal(gate.retryAfterSeconds, 1, 'never less than 1 s');
    held();
  });

  it('jobs queue past the depth (never 429), first come first served, and leave on abort', async () => {
    const gate = new RenderGate(1, 0, 0);
    const order: string[] = [];
    const held = await gate.enter();
    const a = gate.enter().then((r) => { order.push('a'); return r; });
    const controller = new AbortController();
    const b = gate.enter(controller.signal);
    const c = gate.run(async () => order.push('c'), { interactive: false });
    controller.abort(new Error('cancelled'));
    await assert.rejects(b, /cancelled/);
    held();
    (await a)();
    await c;
    assert.deepEqual(order, ['a', 'c']);
    assert.deepEqual(gate.stats(), { active: 0, waiting: 0, slots: 1 });
  });
});
