import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildDisplayMapping, type StretchName } from '../../src/imaging/display.js';
import { ZScaleInterval, PercentileInterval } from '../../src/imaging/intervals.js';
import { histogram } from '../../src/imaging/histogram.js';
import { finiteValues } from '../../src/imaging/finite.js';
import { percentilesOfMapped } from '../../src/imaging/quantiles.js';
import { planeOf, reference, relClose } from './reference.js';

describe('display pipeline against astropy/numpy (fixtures from make-imaging-fixtures.py)', () => {
  for (const c of reference.cases) {
    describe(c.name, () => {
      const plane = planeOf(c);

      it('zscale limits equal astropy ZScaleInterval over the finite pixels (1e-6 relative)', () => {
        const { vmin, vmax } = new ZScaleInterval().getLimits(plane.data);
        assert.ok(relClose(vmin, c.zscale[0], 1e-6, 1e-12), `vmin ${vmin} vs ${c.zscale[0]}`);
        assert.ok(relClose(vmax, c.zscale[1], 1e-6, 1e-12), `vmax ${vmax} vs ${c.zscale[1]}`);
      });

      it('99.5 % percentile interval equals astropy PercentileInterval', () => {
        const { vmin, vmax } = new PercentileInterval(99.5).getLimits(plane.data);
        assert.ok(relClose(vmin, c.percentile_99_5[0], 1e-12), `${vmin} vs ${c.percentile_99_5[0]}`);
        assert.ok(relClose(vmax, c.percentile_99_5[1], 1e-12), `${vmax} vs ${c.percentile_99_5[1]}`);
      });

      it('raw histogram of min/max-normalized finite pixels equals numpy', () => {
        const values = finiteValues(plane.data);
        assert.equal(values.length, c.finite_count);
        let min = Infinity;
        let max = -Infinity;
        for (const v of values) {
          min = Math.min(min, v);
          max = Math.max(max, v);
        }
        const h = histogram(values, reference.bins, 0, 1, (v) => (v - min) / (max - min));
        assert.deepEqual(h.counts, c.raw_histogram.counts);
      });

      for (const d of c.displays) {
        const label = JSON.stringify(d.config);
        it(`${label}: values at stated pixels, levels, histogram, percentiles, stats`, () => {
          const mapping = buildDisplayMapping(plane.data, {
            stretch: d.config.stretch as StretchName,
            gamma: d.config.gamma,
            blackPoint: d.config.black_point,
            whitePoint: d.config.white_point,
            asinhA: d.config.asinh_a,
          });
          assert.ok(relClose(mapping.applied.vmin!, d.vmin, 1e-9), `vmin ${mapping.applied.vmin} vs ${d.vmin}`);
          assert.ok(relClose(mapping.applied.vmax!, d.vmax, 1e-9), `vmax ${mapping.applied.vmax} vs ${d.vmax}`);
          if (d.levels) {
            assert.ok(relClose(mapping.applied.black_level!, d.levels[0], 1e-9, 1e-12), `black ${mapping.applied.black_level} vs ${d.levels[0]}`);
            assert.ok(relClose(mapping.applied.white_level!, d.levels[1], 1e-9, 1e-12), `white ${mapping.applied.white_level} vs ${d.levels[1]}`);
          } else {
            assert.equal(mapping.applied.black_level, null);
          }
          c.stated_pixels.forEach(([y, x], i) => {
            const got = mapping.map(plane.data[y * c.width + x]!);
            const want = d.values[i];
            if (want === null) assert.ok(Number.isNaN(got), `pixel (${y},${x}) should be no-data`);
            else assert.ok(relClose(got, want!, 1e-9, 1e-12), `pixel (${y},${x}): ${got} vs ${want}`);
          });
          const stretched = Float64Array.from(finiteValues(plane.data), (v) => mapping.map(v));
          let min = Infinity;
          let max = -Infinity;
          let sum = 0;
          for (const v of stretched) {
            min = Math.min(min, v);
            max = Math.max(max, v);
            sum += v;
          }
          const mean = sum / stretched.length;
          let ss = 0;
          for (const v of stretched) ss += (v - mean) ** 2;
          assert.ok(relClose(min, d.stats.min, 1e-9, 1e-12));
          assert.ok(relClose(max, d.stats.max, 1e-9, 1e-12));
          assert.ok(relClose(mean, d.stats.mean, 1e-9, 1e-12), `mean ${mean} vs ${d.stats.mean}`);
          assert.ok(relClose(Math.sqrt(ss / stretched.length), d.stats.std, 1e-9, 1e-12));
          const h = histogram(stretched, reference.bins, min, max);
          // Values computed in a different order may sit a rounding error from a bin edge.
          const moved = h.counts.reduce((acc, n, i) => acc + Math.abs(n - d.histogram.counts[i]!), 0);
          assert.ok(moved <= 2, `histogram differs by ${moved}: ${h.counts} vs ${d.histogram.counts}`);
          h.binEdges.forEach((e, i) => assert.ok(relClose(e, d.histogram.bin_edges[i]!, 1e-12, 1e-15)));
          const ps = percentilesOfMapped(stretched.slice(), reference.percentiles);
          reference.percentiles.forEach((p, i) => {
            const key = `p_${String(p).replace('.', '_')}`;
            assert.ok(relClose(ps[i]!, d.percentiles[key]!, 1e-9, 1e-12), `${key} ${ps[i]} vs ${d.percentiles[key]}`);
          });
        });
      }
    });
  }
});

describe('display pipeline edge cases', () => {
  it('an image without finite pixels maps everything to no-data', () => {
    const m = buildDisplayMapping(new Float32Array([NaN, Infinity, -Infinity]), { stretch: 'zscale' });
    assert.ok(Number.isNaN(m.map(1)));
    assert.equal(m.applied.finite_pixels, 0);
    assert.equal(m.applied.vmin, null);
  });

  it('a constant image maps to 0 for every stretch, NaN stays no-data', () => {
    for (const stretch of ['zscale', 'linear', 'asinh', 'log', 'sqrt', 'power', 'histeq'] as const) {
      const m = buildDisplayMapping(new Float64Array([5, 5, NaN, 5]), { stretch });
      assert.equal(m.map(5), 0, stretch);
      assert.ok(Number.isNaN(m.map(NaN)));
    }
  });

  it('NaN is excluded, not counted as 0 (contract §7.1.3: fixture vmin 0.206, not 0)', () => {
    const c = reference.cases.find((x) => x.name === 'snoww3d-jwst_miri_small.fits')!;
    const m = buildDisplayMapping(planeOf(c).data, { stretch: 'zscale' });
    assert.ok(Math.abs(m.applied.vmin! - 0.2060) < 1e-4);
    assert.ok(Math.abs(m.applied.vmax! - 1.1092) < 1e-4);
  });

  it('gamma applies x ** (1/gamma) after the levels; the power stretch uses 1/gamma as exponent instead', () => {
    const data = Float64Array.from({ length: 101 }, (_, i) => i);
    const lin = buildDisplayMapping(data, { stretch: 'linear', gamma: 2 });
    assert.ok(Math.abs(lin.map(25) - Math.sqrt(0.25)) < 1e-15);
    assert.equal(lin.applied.gamma_exponent, 0.5);
    const pow = buildDisplayMapping(data, { stretch: 'power', gamma: 2 });
    assert.ok(Math.abs(pow.map(25) - 0.5) < 1e-15);
    assert.equal(pow.applied.gamma_exponent, null);
    assert.equal(pow.applied.power, 0.5);
  });
});
