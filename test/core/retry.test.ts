import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelayMs, ManualClock, parseRetryAfter, Retrier, withRetry } from '../../src/core/retry.js';

const policy = { maxRetries: 3, baseDelayMs: 1000, maxDelayMs: 30_000, maxRetryAfterMs: 300_000 };

describe('the one retry policy (src/core/retry.ts)', () => {
  it('backs off exponentially with up to 50 % jitter, capped', () => {
    assert.equal(backoffDelayMs(1, policy, undefined, () => 0), 1000);
    assert.equal(backoffDelayMs(2, policy, undefined, () => 0), 2000);
    assert.equal(backoffDelayMs(3, policy, undefined, () => 0.999999), 4000 + 4000 * 0.5 * 0.999999);
    assert.equal(backoffDelayMs(10, policy, undefined, () => 0), 30_000);
  });

  it('honours Retry-After (seconds or date), capped, when it asks for longer', () => {
    assert.equal(backoffDelayMs(1, policy, 7000, () => 0), 7000);
    assert.equal(backoffDelayMs(3, policy, 10, () => 0), 4000);
    assert.equal(backoffDelayMs(1, policy, 10_000_000, () => 0), 300_000);
    assert.equal(parseRetryAfter('3'), 3000);
    assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT')), 10_000);
    assert.equal(parseRetryAfter('soon'), undefined);
    assert.equal(parseRetryAfter(undefined), undefined);
  });

  it('Retrier: counts retries, restarts the count on progress, stops at maxRetries', async () => {
    const clock = new ManualClock();
    const r = new Retrier(policy, { clock, random: () => 0 });
    assert.equal(r.next(), 1000);
    assert.equal(r.next(), 2000);
    assert.equal(r.next({ progressed: true }), 1000);
    assert.equal(r.next(), 2000);
    assert.equal(r.next(), 4000);
    assert.equal(r.next(), undefined);
    await assert.rejects(r.wait(new Error('gave up')), /gave up/);
  });

  it('Retrier: no retry whose wait would end past the time budget', async () => {
    const clock = new ManualClock(1_000_000);
    const r = new Retrier({ ...policy, maxRetries: 10 }, { clock, random: () => 0, budgetMs: 5000 });
    await r.wait(new Error('a'));
    await r.wait(new Error('b'));
    assert.deepEqual(clock.sleeps, [1000, 2000]);
    assert.equal(r.next(), undefined, 'at 3 s, a 4 s wait would end past the 5 s budget');
    const late = new Retrier(policy, { clock, budgetMs: 60_000 });
    assert.equal(late.next({ retryAfterMs: 120_000 }), undefined, 'a Retry-After beyond the budget ends the retries');
  });

  it('withRetry: retries what is retryable with the injected clock (no real sleeping), gives up on the rest', async (t) => {
    const clock = new ManualClock();
    let calls = 0;
    // Every real timer set meanwhile (a wall-clock bound on the call flaked on a loaded machine).
    const timers = t.mock.method(globalThis, 'setTimeout');
    const value = await withRetry(async () => {
      calls++;
      if (calls < 4) throw Object.assign(new Error('503'), { retryAfterMs: calls === 2 ? 20_000 : undefined });
      return 'ok';
    }, policy, (err) => ({ retryAfterMs: (err as { retryAfterMs?: number }).retryAfterMs }), { clock, random: () => 0 });
    assert.equal(value, 'ok');
    assert.equal(calls, 4);
    assert.deepEqual(clock.sleeps, [1000, 20_000, 4000]);
    const real = timers.mock.calls.map((c) => c.arguments[1] as number | undefined);
    assert.ok(!real.some((ms) => (ms ?? 0) >= 1000), `no real waiting: timers of ${real.join(', ')} ms`);
    await assert.rejects(withRetry(async () => { throw new Error('404'); }, policy, () => false, { clock }), /404/);
    let n = 0;
    await assert.rejects(withRetry(async () => { n++; throw new Error('always'); }, policy, () => true, { clock }), /always/);
    assert.equal(n, policy.maxRetries + 1);
  });

  it('an abort stops the wait', async () => {
    const ac = new AbortController();
    ac.abort(new Error('stopped'));
    await assert.rejects(new ManualClock().sleep(10, ac.signal), /stopped/);
  });
});
