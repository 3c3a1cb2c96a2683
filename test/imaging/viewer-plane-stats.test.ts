/**
 * /viewer/stats' core (planeStatsFile): float32 planes take the bit-scan path (key buckets, then
 * only the buckets holding the percentile ranks), other planes the value-selection path. Both
 * must give numpy's figures on the finite values exactly: count, min, max, percentiles, zscale
 * (astropy's, same sample) and the histogram; mean and std to float64 rounding.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeFits } from '../../src/fits/index.js';
import { ZScaleInterval } from '../../src/imaging/intervals.js';
import { STATS_PERCENTILES, planeStatsFile } from '../../src/imaging/viewer/plane-stats.js';
import { mulberry32 as rng } from '../helpers/prng.js';

const W = 700;
const H = 530;
// bandRows of ~256 K pixels: several bands, so per-band state is exercised.
const limits = { maxFileBytes: 1e9, maxElements: 100_000_000 };

function numpyPercentile(sorted: Float64Array, q: number): number {
  const v = (q / 100) * (sorted.length - 1);
  const lo = Math.floor(v);
  return sorted[lo]! + (sorted[Math.min(lo + 1, sorted.length - 1)]! - sorted[lo]!) * (v - lo);
}

describe('viewer plane statistics', () => {
  let dir: string;
  const data = new Float32Array(W * H);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'plane-stats-'));
    const r = rng(5);
    for (let i = 0; i < data.length; i++) data[i] = (r() - 0.4) * 10 ** Math.floor(r() * 5 - 1);
    for (let i = 0; i < 400; i++) data[Math.floor(r() * data.length)] = 0; // ties across the ranks
    data[17] = -0;
    for (let y = 100; y < 140; y++) for (let x = 0; x < W; x++) data[y * W + x] = NaN;
    data[3] = Infinity;
    data[W * H - 5] = -Infinity;
    data[W * 300 + 9] = 5e6;
    const cards = [{ keyword: 'BUNIT', value: 'MJy/sr' }];
    await writeFile(join(dir, 'f32.fits'), await encodeFits([{ axes: [], cards: [] }, { axes: [W, H], data, extname: 'SCI', cards }]));
    await writeFile(join(dir, 'f64.fits'), await encodeFits([{ axes: [], cards: [] }, { axes: [W, H], data: Float64Array.from(data), bitpix: -64, extname: 'SCI', cards }]));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  for (const name of ['f32.fits', 'f64.fits']) {
    it(`${name}: numpy's figures on the finite values`, async () => {
      const s = await planeStatsFile({ path: join(dir, name), sliceIndex: -1, bins: 128, limits });
      const finite = Float64Array.from(data.filter((v) => Number.isFinite(v))).sort();
      assert.equal(s.count, finite.length);
      assert.equal(s.nan_count, data.length - finite.length);
      assert.equal(s.sampled, false);
      assert.equal(s.min, finite[0]);
      assert.equal(s.max, 5e6);
      for (const q of STATS_PERCENTILES) assert.equal(s.percentiles[String(q)], numpyPercentile(finite, q), `p${q}`);
      const inOrder = Float64Array.from(data.filter((v) => Number.isFinite(v)));
      const mean = inOrder.reduce((a, b) => a + b, 0) / inOrder.length;
      assert.ok(Math.abs(s.mean! - mean) <= 1e-12 * Math.abs(mean));
      const std = Math.sqrt(inOrder.reduce((a, b) => a + (b - mean) ** 2, 0) / inOrder.length);
      assert.ok(Math.abs(s.std! - std) <= 1e-12 * std);
      const z = new ZScaleInterval().getLimits(data);
      assert.deepEqual(s.zscale, [z.vmin, z.vmax]);
      const h = s.histogram!;
      assert.ok(h.hi < 5e6, 'the one outlier does not set the range');
      const counts = new Array<number>(128).fill(0);
      let below = 0;
      let above = 0;
      for (const v of finite) {
        if (v < h.lo) below++;
        else if (v > h.hi) above++;
        else counts[Math.min(127, Math.floor((v - h.lo) * (128 / (h.hi - h.lo))))]!++;
      }
      assert.deepEqual(h.counts, counts);
      assert.equal(h.below, below);
      assert.equal(h.above, above);
    });
  }

  it('float32 and float64 files of the same values give the same answer', async () => {
    const a = await planeStatsFile({ path: join(dir, 'f32.fits'), sliceIndex: -1, bins: 200, lo: -3, hi: 40, limits });
    const b = await planeStatsFile({ path: join(dir, 'f64.fits'), sliceIndex: -1, bins: 200, lo: -3, hi: 40, limits });
    assert.deepEqual({ ...a, mean: 0, std: 0 }, { ...b, mean: 0, std: 0 });
  });
});
