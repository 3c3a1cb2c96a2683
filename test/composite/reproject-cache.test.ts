/**
 * The reprojection cache (src/composite/reproject-cache.ts) and the resolution blur between
 * instruments (src/composite/resolution.ts): bounds by bytes and age, least recently used out
 * first, keys that change with every pixel-changing input; blur sigmas from native scales in grid
 * pixels, only across instruments; the blur keeps no-coverage NaN and a constant field.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { channelKey, ReprojectionCache, sharedCopy } from '../../src/composite/reproject-cache.js';
import { blurCovered, resolutionSigmas } from '../../src/composite/resolution.js';

const f = (path: string, mtimeMs = 1, size = 100) => ({ path, dev: 1, ino: 2, size, mtimeMs });
const entry = (key: string, floats: number) => ({ key, data: sharedCopy(new Float32Array(floats)) });

describe('ReprojectionCache', () => {
  it('keys change with the files, their identity, matching and limits', () => {
    const limits = { maxFileBytes: 1, maxElements: 2 };
    const k = channelKey([f('/a'), f('/b')], true, limits);
    assert.notEqual(k, channelKey([f('/a'), f('/b', 2)], true, limits), 'a rewritten file');
    assert.notEqual(k, channelKey([f('/a'), f('/b', 1, 101)], true, limits), 'another size');
    assert.notEqual(k, channelKey([f('/b'), f('/a')], true, limits), 'order');
    assert.notEqual(k, channelKey([f('/a'), f('/b')], false, limits), 'background matching of several files');
    assert.equal(channelKey([f('/a')], true, limits), channelKey([f('/a')], false, limits), 'one file is never matched');
    assert.notEqual(k, channelKey([f('/a'), f('/b')], true, { ...limits, maxElements: 3 }));
  });

  it('is bounded by bytes, least recently used out first, and by age', () => {
    let now = 0;
    const cache = new ReprojectionCache(3 * 400, 1000, () => now);
    cache.put(entry('a\ng', 100), 'a');
    cache.put(entry('b\ng', 100), 'b');
    cache.put(entry('c\ng', 100), 'c');
    assert.equal(cache.size, 1200);
    assert.deepEqual(cache.lookup(['a']).map((e) => e.key), ['a\ng']); // a is now the most recent
    cache.put(entry('d\ng', 100), 'd');
    assert.equal(cache.count, 3);
    assert.deepEqual(cache.lookup(['b']), [], 'b was the least recently used');
    assert.equal(cache.lookup(['a', 'c', 'd']).length, 3);
    cache.put(entry('huge\ng', 1000), 'huge');
    assert.deepEqual(cache.lookup(['huge']), [], 'an entry over the bound is not kept');
    assert.equal(cache.count, 3);
    now = 999;
    assert.equal(cache.lookup(['a']).length, 1, 'a lookup renews the age');
    now = 1500;
    assert.deepEqual(cache.lookup(['c', 'd']), [], 'expired');
    assert.equal(cache.lookup(['a']).length, 1);
    assert.equal(cache.size, 400);
    const off = new ReprojectionCache(0, 1000);
    off.put(entry('a\ng', 1), 'a');
    assert.equal(off.count, 0);
  });

  it('hands out the same shared memory it was given (no copy per lookup)', () => {
    const cache = new ReprojectionCache(1e6, 1e6);
    const e = entry('k\ng', 4);
    cache.put(e, 'k');
    const [got] = cache.lookup(['k']);
    assert.ok(got!.data.buffer instanceof SharedArrayBuffer);
    assert.equal(got!.data, e.data);
  });
});

describe('resolution blur between instruments', () => {
  const NIRCAM = 0.031 / 3600;
  const MIRI = 0.111 / 3600;
  it('blurs only channels coarser than 1.5x the finest, only with two instruments, sigma in grid pixels', () => {
    const channels = [{ instrument: 'NIRCAM', nativeScale: NIRCAM }, { instrument: 'NIRCAM', nativeScale: 2 * NIRCAM }, { instrument: 'MIRI', nativeScale: MIRI }];
    const full = resolutionSigmas(channels, NIRCAM);
    assert.deepEqual(full.map((s) => Math.round(s * 1000) / 1000), [0, 2, Math.round((MIRI / NIRCAM) * 1000) / 1000]);
    // a preview grid 4x coarser: sigma shrinks with it (the upstream kept the native-grid sigma)
    const preview = resolutionSigmas(channels, 4 * NIRCAM);
    assert.equal(preview[0], 0);
    assert.equal(preview[1], 0.5);
    assert.ok(Math.abs(preview[2]! - MIRI / (4 * NIRCAM)) < 1e-9);
    assert.equal(resolutionSigmas(channels, 10 * NIRCAM)[1], 0, 'below half a pixel: no blur');
    assert.deepEqual(resolutionSigmas(channels.map((c) => ({ ...c, instrument: 'NIRCAM' })), NIRCAM), [0, 0, 0], 'one instrument');
    assert.deepEqual(resolutionSigmas([{ instrument: 'NIRCAM', nativeScale: NIRCAM }, { instrument: undefined, nativeScale: MIRI }], NIRCAM), [0, 0], 'unknown instruments do not count');
  });

  it('keeps no coverage NaN, a constant field constant, and spreads a point source', () => {
    const w = 21, h = 15;
    const data = new Float32Array(w * h).fill(2);
    for (let y = 0; y < h; y++) for (let x = 0; x < 5; x++) data[y * w + x] = NaN;
    blurCovered(data, w, h, 2);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const v = data[y * w + x]!;
        if (x < 5) assert.ok(Number.isNaN(v));
        else assert.ok(Math.abs(v - 2) < 1e-5, `constant at ${x},${y}: ${v}`);
      }
    }
    const point = new Float32Array(w * h);
    point[7 * w + 10] = 1;
    blurCovered(point, w, h, 1.5);
    let sum = 0;
    for (const v of point) sum += v;
    assert.ok(Math.abs(sum - 1) < 1e-4, 'flux kept');
    assert.ok(point[7 * w + 10]! < 0.1 && point[7 * w + 11]! > 0.05);
  });
});
