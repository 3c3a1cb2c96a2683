import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AsinhStretch, CompositeStretch, HistEqStretch, LinearStretch, LogStretch, PowerStretch, SqrtStretch } from '../../src/imaging/stretches.js';
import { orderStatistics, percentilesByBuckets, percentilesOfMapped, selectInPlace } from '../../src/imaging/quantiles.js';
import { histogram, histogramNormalized, linspace } from '../../src/imaging/histogram.js';
import { AreaResampler, fitInside, resampleArea } from '../../src/imaging/resample.js';
import { BandReducer } from '../../src/imaging/preview.js';
import { buildDisplayMapping } from '../../src/imaging/display.js';
import { summarizeFinite, zscaleSample, zscaleSampleByRows } from '../../src/imaging/finite.js';
import { planeOf, reference, relClose } from './reference.js';

describe('stretches (astropy formulas, clip=True)', () => {
  const xs = [0, 0.2, 0.5, 0.8, 1];
  it('linear, sqrt, power, log, asinh at five points', () => {
    const cases: Array<[{ apply(x: number): number }, (x: number) => number]> = [
      [new LinearStretch(), (x) => x],
      [new SqrtStretch(), Math.sqrt],
      [new PowerStretch(0.5), (x) => x ** 0.5],
      [new PowerStretch(2.2), (x) => x ** 2.2],
      [new LogStretch(), (x) => Math.log(1000 * x + 1) / Math.log(1001)],
      [new AsinhStretch(0.1), (x) => Math.asinh(x / 0.1) / Math.asinh(10)],
    ];
    for (const [s, f] of cases) for (const x of xs) assert.ok(Math.abs(s.apply(x) - f(x)) < 1e-15);
  });
  it('clips input to [0, 1]', () => {
    assert.equal(new SqrtStretch().apply(-1), 0);
    assert.equal(new LogStretch().apply(2), 1);
  });
  it('histeq interpolates numpy-style and takes the last of repeated values', () => {
    const h = new HistEqStretch(Float64Array.from([0, 0.5, 0.5, 1]));
    assert.equal(h.apply(0), 0);
    assert.equal(h.apply(0.5), 2 / 3);
    assert.equal(h.apply(1), 1);
    assert.ok(Math.abs(h.apply(0.25) - 1 / 6) < 1e-15);
    assert.ok(Math.abs(h.apply(0.75) - (2 / 3 + 1 / 6)) < 1e-15);
  });
  it('composes', () => {
    const s = new CompositeStretch(new SqrtStretch(), new PowerStretch(2));
    assert.ok(Math.abs(s.apply(0.3) - 0.3) < 1e-15);
  });
});

describe('order statistics and percentiles', () => {
  it('selection equals sorting on random data with ties', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (const n of [1, 2, 10, 999, 5000]) {
      const a = Float64Array.from({ length: n }, () => Math.floor(rnd() * 50));
      const sorted = a.slice().sort();
      for (const k of [0, Math.floor(n / 3), n - 1]) {
        const b = a.slice();
        selectInPlace(b, k);
        assert.equal(b[k], sorted[k]);
      }
      const stats = orderStatistics(a.slice(), [0, n - 1, Math.floor(n / 2)]);
      assert.equal(stats.get(n - 1), sorted[n - 1]);
    }
  });
  it('many ranks at once equal sorting', () => {
    const a = Float64Array.from({ length: 20001 }, (_, i) => Math.sin(i * 12.9898) * 43758.5453 % 1);
    const sorted = a.slice().sort();
    const ks = [0, 1, 99, 100, 5000, 5001, 10000, 19999, 20000, 15000, 15001];
    const got = orderStatistics(a.slice(), ks);
    for (const k of ks) assert.equal(got.get(k), sorted[k], `rank ${k}`);
  });

  it('bucketed percentiles equal selection, with heavy ties and clipped ends', () => {
    const a = Float64Array.from({ length: 50001 }, (_, i) => (i % 10 === 0 ? 0 : i % 13 === 0 ? 1 : (Math.sin(i) + 1) / 2));
    const qs = [0, 0.5, 1, 5, 25, 50, 75, 95, 99, 99.5, 100];
    assert.deepEqual(percentilesByBuckets(a, qs, 0, 1), percentilesOfMapped(a.slice(), qs));
    assert.deepEqual(percentilesByBuckets(Float64Array.from([3, 3, 3]), [50], 3, 3), [3]);
  });

  it('numpy linear percentiles', () => {
    const v = Float64Array.from([1, 2, 3, 4]);
    assert.deepEqual(percentilesOfMapped(v, [0, 50, 100, 25]), [1, 2.5, 4, 1.75]);
    assert.ok(Number.isNaN(percentilesOfMapped(new Float64Array(0), [50])[0]!));
  });
});

describe('histogram (numpy rules)', () => {
  it('last bin is closed, values outside the range are dropped, NaN ignored', () => {
    const h = histogram([0, 0.25, 0.5, 1, 1.5, NaN, -1], 4, 0, 1);
    assert.deepEqual(h.counts, [1, 1, 1, 1]);
    assert.deepEqual(h.binEdges, [0, 0.25, 0.5, 0.75, 1]);
    assert.deepEqual(h.binCenters, [0.125, 0.375, 0.625, 0.875]);
  });
  it('a degenerate range becomes [x - 0.5, x + 0.5]', () => {
    const h = histogram([3, 3], 2, 3, 3);
    assert.deepEqual(h.binEdges, [2.5, 3, 3.5]);
    assert.deepEqual(h.counts, [0, 2]);
  });
  it('histogramNormalized equals the callback form', () => {
    const c = reference.cases.find((x) => x.name === 'synthetic-nan-inf')!;
    const data = planeOf(c).data;
    const fin = Array.from(data).filter((v) => Number.isFinite(v));
    const min = Math.min(...fin);
    const span = Math.max(...fin) - min;
    const a = histogramNormalized(data, 64, min, span);
    const b = histogram(data, 64, 0, 1, (v) => (Number.isFinite(v) ? Math.min(1, Math.max(0, (v - min) / span)) : NaN));
    assert.deepEqual(a, b);
    assert.deepEqual(a.counts, c.raw_histogram.counts);
  });

  it('linspace ends exactly at stop', () => {
    assert.equal(linspace(0, 0.3, 4)[3], 0.3);
  });
});

describe('area resampling', () => {
  it('fits the box: longer side equals the request, aspect kept', () => {
    assert.deepEqual(fitInside(64, 64, 1000, 1000), { width: 1000, height: 1000 });
    assert.deepEqual(fitInside(200, 100, 1000, 1000), { width: 1000, height: 500 });
    assert.deepEqual(fitInside(100, 200, 1000, 1000), { width: 500, height: 1000 });
    assert.deepEqual(fitInside(4096, 4096, 256, 256), { width: 256, height: 256 });
    assert.deepEqual(fitInside(100, 100, 1000, 500), { width: 500, height: 500 });
    assert.deepEqual(fitInside(10000, 3, 256, 256), { width: 256, height: 1 });
  });

  for (const c of reference.cases.filter((x) => x.area_half)) {
    it(`2x2 block means over finite pixels equal numpy nanmean: ${c.name}`, () => {
      const out = resampleArea(planeOf(c), c.area_half!.width, c.area_half!.height);
      for (const [y, x, want] of c.area_half!.values) {
        const got = out.data[y * out.width + x]!;
        if (want === null) assert.ok(Number.isNaN(got));
        else assert.ok(relClose(got, Math.fround(want), 1e-6, 1e-9), `(${y},${x}) ${got} vs ${want}`);
      }
    });
  }

  it('weights partial overlaps by area (3 -> 2 columns)', () => {
    const out = resampleArea({ width: 3, height: 1, data: Float32Array.from([0, 3, 6]) }, 2, 1);
    // output 0 covers [0, 1.5): 0*1 + 3*0.5 over 1.5 -> 1; output 1 covers [1.5, 3): 3*0.5 + 6 over 1.5 -> 5
    assert.deepEqual(Array.from(out.data), [1, 5]);
  });

  it('ignores NaN and gives NaN only where every covered pixel is NaN', () => {
    const out = resampleArea({ width: 4, height: 2, data: Float32Array.from([NaN, 2, NaN, NaN, NaN, 4, NaN, NaN]) }, 2, 1);
    assert.equal(out.data[0], 3);
    assert.ok(Number.isNaN(out.data[1]!));
  });

  it('enlarges by repeating pixels (area of one pixel)', () => {
    const out = resampleArea({ width: 2, height: 1, data: Float32Array.from([1, 2]) }, 4, 2);
    assert.deepEqual(Array.from(out.data), [1, 1, 2, 2, 1, 1, 2, 2]);
  });

  it('band-by-band reduction equals the whole-plane resampling', () => {
    const w = 37;
    const h = 53;
    const data = Float32Array.from({ length: w * h }, (_, i) => (i % 11 === 0 ? NaN : Math.sin(i) * 100));
    const whole = resampleArea({ width: w, height: h, data }, 10, 14);
    const r = new AreaResampler(w, h, 10, 14);
    for (let y = 0; y < h; y += 5) r.pushRows(data.subarray(y * w, Math.min(h, y + 5) * w));
    assert.deepEqual(Array.from(r.finish().data), Array.from(whole.data));
  });

  it('the resampler counts every finite pixel once (count/min/max), whatever the factor', () => {
    for (const [w, h, ow, oh] of [[37, 53, 10, 14], [100, 7, 33, 7], [64, 64, 64, 64], [20, 20, 40, 40], [4096, 3, 1000, 1]]) {
      const data = Float32Array.from({ length: w * h }, (_, i) => (i % 7 === 0 ? NaN : Math.cos(i) * 50));
      const r = new AreaResampler(w, h, ow, oh);
      r.pushRows(data, h);
      assert.deepEqual(r.summary, summarizeFinite(data), `${w}x${h} -> ${ow}x${oh}`);
      const s = r.summary;
      assert.deepEqual(zscaleSampleByRows(data, w, r.rowFiniteCounts, s.count, 50), zscaleSample(data, s.count, 50));
    }
  });

  it('BandReducer statistics: exact count/min/max, zscale equal to the in-memory one without NaN', () => {
    const c = reference.cases.find((x) => x.name === 'astropy-m13.fits')!;
    const plane = planeOf(c);
    const red = new BandReducer(plane.width, plane.height, 100, 100);
    for (let y = 0; y < plane.height; y += 64) red.push(plane.data.subarray(y * plane.width, Math.min(plane.height, y + 64) * plane.width));
    red.finish();
    const a = buildDisplayMapping(red.stats, { stretch: 'zscale' }).applied;
    assert.ok(relClose(a.vmin!, c.zscale[0], 1e-9));
    assert.ok(relClose(a.vmax!, c.zscale[1], 1e-9));
    assert.equal(red.stats.summary.count, c.finite_count);
  });
});
