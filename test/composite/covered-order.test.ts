/**
 * The shared order statistics of a channel (tone.ts CoveredOrder) give what a fresh copy and
 * selection give (percentilesOfMapped), in any order of calls; flipRows flips and crops as a flip
 * followed by cropImage, and flipRowsInPlace gives the same in the image's own array.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CoveredOrder, channelStretch, toneChannel } from '../../src/composite/tone.js';
import { cropImage, flipRows, flipRowsInPlace } from '../../src/composite/canvas.js';
import { percentilesOfMapped } from '../../src/imaging/index.js';

function channel(n: number): Float32Array {
  const d = new Float32Array(n);
  let s = 7;
  for (let i = 0; i < n; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    d[i] = i % 17 === 0 ? NaN : (s / 2 ** 32) ** 3 * 100 - 2;
  }
  return d;
}

const finite = (d: Float32Array) => Float64Array.from(d.filter((v) => Number.isFinite(v)));

describe('CoveredOrder', () => {
  it('equals percentiles of a fresh finite copy, mapped or not, whatever was asked before', () => {
    const d = channel(20_011);
    const order = new CoveredOrder(d);
    assert.equal(order.count, finite(d).length);
    const f = (v: number) => Math.asinh(v / 3);
    for (const qs of [[0.1, 99.9], [2.5, 99.5], [0, 100], [0.1, 50, 99.9], [37.25]]) {
      assert.deepEqual(order.percentiles(qs), percentilesOfMapped(finite(d), qs));
      assert.deepEqual(order.percentiles(qs, f), percentilesOfMapped(finite(d), qs, f));
    }
    assert.deepEqual(new CoveredOrder(new Float32Array([NaN, NaN])).percentiles([50]), [NaN]);
  });

  it('gives the tone mapping the same result with or without a shared order', () => {
    const tone = { stretch: 'asinh', asinhA: 0.05, gamma: 1.4, blackPoint: 0.03, whitePoint: 0.995, curve: 's_curve' } as const;
    const d = channel(5_003);
    const order = new CoveredOrder(d);
    channelStretch(d, tone, order); // as the auto-stretch does first
    const shared = toneChannel(d, tone, new Float32Array(d.length), order);
    const fresh = toneChannel(d, tone, new Float32Array(d.length));
    assert.deepEqual(shared, fresh);
    // the written-out asinh loop equals the stretch object's own apply, step by step
    const st = channelStretch(d, tone);
    const [bp, wp] = percentilesOfMapped(finite(d), [tone.blackPoint * 100, tone.whitePoint * 100], st.apply) as [number, number];
    const clip = (x: number) => Math.min(1, Math.max(0, x));
    const expected = Float32Array.from(d, (v) => {
      if (Number.isNaN(v)) return NaN;
      const x = clip((st.apply(v) - bp) / (wp - bp)) ** (1 / tone.gamma);
      return clip(x * x * (3 - 2 * x));
    });
    assert.deepEqual(fresh, expected);
  });
});

describe('flipRows', () => {
  it('is a vertical flip, then the crop', () => {
    const img = { width: 5, height: 4, data: Float32Array.from({ length: 60 }, (_, i) => i) };
    const flipped = flipRows(img);
    for (let y = 0; y < 4; y++) assert.deepEqual(flipped.data.subarray(15 * y, 15 * (y + 1)), img.data.subarray(15 * (3 - y), 15 * (4 - y)));
    const box = { x0: 1, y0: 1, x1: 4, y1: 3 };
    assert.deepEqual(flipRows(img, box), cropImage(flipped, box));
  });

  it('gives the same picture in the image\'s own array (flipRowsInPlace)', () => {
    for (const [w, h] of [[5, 4], [6, 7], [1, 1]] as const) {
      const make = () => ({ width: w, height: h, data: Float32Array.from({ length: 3 * w * h }, (_, i) => i) });
      const boxes = [undefined, { x0: 0, y0: 0, x1: w, y1: h }, { x0: Math.min(1, w - 1), y0: 0, x1: w, y1: Math.max(1, h - 1) }, { x0: 0, y0: Math.min(2, h - 1), x1: 1, y1: h }];
      for (const box of boxes) {
        const img = make();
        const got = flipRowsInPlace(img, box);
        assert.equal(got.data.buffer, img.data.buffer, 'no new array');
        assert.deepEqual({ ...got, data: Array.from(got.data) }, { ...flipRows(make(), box), data: Array.from(flipRows(make(), box).data) }, `${w}x${h} ${JSON.stringify(box)}`);
      }
    }
  });
});
