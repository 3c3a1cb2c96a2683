import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ByteLru } from '../../src/core/byte-lru.js';
import { SingleFlight } from '../../src/routes/viewer-support.js';

describe('viewer route helpers', () => {
  it('ByteLru evicts least recently used entries to stay within its byte budget', () => {
    const lru = new ByteLru<string>(100, 60);
    lru.set('a', 'A', 40);
    lru.set('b', 'B', 40);
    assert.equal(lru.get('a'), 'A'); // a is now the most recent
    lru.set('c', 'C', 40); // evicts b
    assert.equal(lru.get('b'), undefined);
    assert.equal(lru.get('a'), 'A');
    assert.equal(lru.get('c'), 'C');
    assert.ok(lru.bytes <= 100);
    lru.set('huge', 'H', 61); // over the per-entry cap: not kept
    assert.equal(lru.get('huge'), undefined);
  });

  it('SingleFlight shares one run between concurrent callers of the same key', async () => {
    const sf = new SingleFlight<number>();
    let runs = 0;
    const work = () => new Promise<number>((r) => setTimeout(() => r(++runs), 20));
    const [a, b] = await Promise.all([sf.run('k', work), sf.run('k', work)]);
    assert.deepEqual([a, b, runs], [1, 1, 1]);
    assert.equal(sf.size, 0);
    assert.equal(await sf.run('k', work), 2);
  });

  it('SingleFlight stops the shared run only when every caller has gone', async () => {
    const sf = new SingleFlight<string>();
    let shared: AbortSignal | undefined;
    const work = (signal: AbortSignal) => {
      shared = signal;
      return new Promise<string>((resolve, reject) => {
        const t = setTimeout(() => resolve('done'), 200);
        signal.addEventListener('abort', () => {
          clearTimeout(t);
          reject(signal.reason as Error);
        });
      });
    };
    const a = new AbortController();
    const b = new AbortController();
    const pa = sf.run('k', work, a.signal);
    const pb = sf.run('k', work, b.signal);
    a.abort(new Error('a went away'));
    await assert.rejects(pa, /a went away/);
    assert.equal(shared?.aborted, false, 'b still waits: the run goes on');
    assert.equal(await pb, 'done');

    const c = new AbortController();
    const pc = sf.run('k2', work, c.signal);
    c.abort(new Error('c went away'));
    await assert.rejects(pc, /c went away/);
    assert.equal(shared?.aborted, true, 'nobody waits: the run is stopped');
    assert.equal(sf.size, 0);
  });
});
