import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ByteLru, SingleFlight } from '../../src/routes/viewer-support.js';

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
});
