import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FileSlots, type SlotTicket } from '../../src/downloads/scheduler.js';

const signal = new AbortController().signal;
const tick = () => new Promise((r) => setImmediate(r));

/** A promise's state without waiting for it. */
async function settled(p: Promise<unknown>): Promise<'pending' | 'resolved' | 'rejected'> {
  let state: 'pending' | 'resolved' | 'rejected' = 'pending';
  p.then(() => (state = 'resolved'), () => (state = 'rejected'));
  await tick();
  return state;
}

describe('FileSlots: files streaming at once, and the next one preparing while one finishes', () => {
  it('streams at most `size` files; a waiter gets a free slot when one is released', async () => {
    const slots = new FileSlots(2, 2);
    const a = await slots.enter(signal);
    const b = await slots.enter(signal);
    assert.equal(await settled(a.stream(signal)), 'resolved');
    assert.equal(await settled(b.stream(signal)), 'resolved');
    const c = slots.enter(signal);
    assert.equal(await settled(c), 'pending');
    b.release();
    b.release(); // idempotent: frees one slot, not two
    const ct = await c;
    assert.equal(await settled(ct.stream(signal)), 'resolved');
    assert.equal(slots.inUse, 2);
    const d = slots.enter(signal);
    assert.equal(await settled(d), 'pending');
    a.release();
    ct.release();
    (await d).release();
    assert.equal(slots.inUse, 0);
  });

  it('a file that requested all of its bytes lets the next one prepare, which streams when the slot comes to it', async () => {
    const slots = new FileSlots(1, 1);
    const a = await slots.enter(signal);
    const b = slots.enter(signal);
    assert.equal(await settled(b), 'pending');
    a.handOver();
    const bt = await b;
    const streaming = bt.stream(signal);
    assert.equal(await settled(streaming), 'pending', 'prepares, but does not stream beside the holder');
    a.handOver(); // once only
    const c = slots.enter(signal);
    assert.equal(await settled(c), 'pending');
    a.release();
    assert.equal(await settled(streaming), 'resolved');
    assert.equal(slots.inUse, 1);
    assert.equal(await settled(c), 'pending', 'still one file streaming at most');
    bt.release();
    (await c).release();
    assert.equal(slots.inUse, 0);
  });

  it('hands over only within the prepare budget; without a budget no file prepares', async () => {
    const slots = new FileSlots(2, 1);
    const a = await slots.enter(signal);
    const b = await slots.enter(signal);
    const c = slots.enter(signal);
    const d = slots.enter(signal);
    a.handOver();
    b.handOver();
    assert.equal(await settled(c), 'resolved');
    assert.equal(await settled(d), 'pending', 'the budget of one preparing file is used');
    b.release();
    const dt = await d;
    assert.equal(await settled(dt.stream(signal)), 'resolved', 'a freed slot streams at once');

    const none = new FileSlots(1, 0);
    const x = await none.enter(signal);
    const y = none.enter(signal);
    x.handOver();
    assert.equal(await settled(y), 'pending');
    x.release();
    assert.equal(await settled(y), 'resolved');
  });

  it('a preparing file that gives up lets the next waiter prepare in its place; the slot is never lost', async () => {
    const slots = new FileSlots(1, 1);
    const a = await slots.enter(signal);
    const b = slots.enter(signal);
    const c = slots.enter(signal);
    a.handOver();
    const bt = await b;
    assert.equal(await settled(c), 'pending');
    bt.release(); // e.g. its first request failed for good, or the file was already on disk
    const ct = await c;
    const streaming = ct.stream(signal);
    assert.equal(await settled(streaming), 'pending');
    a.release();
    assert.equal(await settled(streaming), 'resolved');
    ct.release();
    assert.equal(slots.inUse, 0);
    assert.equal(await settled((await slots.enter(signal)).stream(signal)), 'resolved');
  });

  it('a hand-over asked for while preparing happens once the file streams (one preparing file per slot)', async () => {
    const slots = new FileSlots(1, 1);
    const a = await slots.enter(signal);
    const b = slots.enter(signal);
    const c = slots.enter(signal);
    a.handOver();
    const bt: SlotTicket = await b;
    bt.handOver(); // a one-piece file: all requested before it may stream
    assert.equal(await settled(c), 'pending', 'no second preparing file behind a preparing one');
    a.release();
    await bt.stream(signal);
    assert.equal(await settled(c), 'resolved', 'prepares behind b now');
  });

  it('an abort rejects a waiting enter and a waiting stream', async () => {
    const slots = new FileSlots(1, 1);
    const a = await slots.enter(signal);
    const ac = new AbortController();
    const b = slots.enter(ac.signal);
    const c = slots.enter(signal);
    ac.abort(new Error('paused'));
    await assert.rejects(b, /paused/);
    a.handOver();
    const ct = await c;
    const ac2 = new AbortController();
    const waiting = ct.stream(ac2.signal);
    ac2.abort(new Error('cancelled'));
    await assert.rejects(waiting, /cancelled/);
    ct.release();
    a.release();
    assert.equal(slots.inUse, 0);
  });
});
