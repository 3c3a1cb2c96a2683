import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeFits } from '../../src/fits/index.js';
import { Float32BinPass, type Float32BinSetup } from '../../src/imaging/float32-histogram.js';
import { Float32Scan } from '../../src/imaging/float32-keys.js';
import { float32CountPlan, openImage, planeRowBands, planeRowBandsInto, type ViewerLimits } from '../../src/imaging/viewer/index.js';
import { zscaleSampleOf } from '../../src/imaging/viewer/band-render.js';
import type { DisplayStatistics } from '../../src/imaging/statistics.js';

/** Deterministic values in [0, 1). */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
}

describe('GET /histogram counting pieces', () => {
  it('zscale sample: rows with a NaN border are read directly, other rows scanned, as the n-th finite value', async () => {
    const width = 37;
    const height = 211;
    const rnd = random(7);
    const data = new Float32Array(width * height);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let v = rnd() * 100;
        if (x < y % 5 || x >= width - (y % 3)) v = NaN; // a border of 0-4 / 0-2 pixels
        if (y % 11 === 0 && x === 17) v = NaN; // a hole: not one run
        if (y % 13 === 0) v = NaN; // an empty row
        data[y * width + x] = v;
      }
    }
    const rowCounts = new Int32Array(height);
    const finite: number[] = [];
    for (let i = 0; i < data.length; i++) {
      if (Number.isFinite(data[i]!)) {
        finite.push(data[i]!);
        rowCounts[Math.floor(i / width)]++;
      }
    }
    const rows = function* (y0: number, y1: number) {
      yield { y0, data: data.subarray(y0 * width, y1 * width) };
    };
    const sample = await zscaleSampleOf({ rows }, width, height, finite.length, new Float64Array(0), rowCounts);
    const stride = Math.max(1, Math.trunc(Math.max(1, finite.length / 1000)));
    const expected = Array.from({ length: Math.min(1000, Math.ceil(finite.length / stride)) }, (_, j) => finite[j * stride]!);
    assert.deepEqual(Array.from(sample), expected);
  });

  describe('planeRowBandsInto', () => {
    let dir: string;
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'histogram-count-'));
    });
    after(async () => rm(dir, { recursive: true, force: true }));

    it('reads the rows of a float32 plane into the target, as planeRowBands gives them; undefined for a scaled plane', async () => {
      const width = 29;
      const height = 50;
      const rnd = random(3);
      const plane = Float32Array.from({ length: width * height }, (_, i) => (i % 7 === 0 ? NaN : rnd() * 1e3 - 500));
      const path = join(dir, 'f32.fits');
      await writeFile(path, await encodeFits([{ axes: [width, height], data: plane }]));
      const limits: ViewerLimits = { maxFileBytes: 1e9, maxElements: width * 4 };
      const img = await openImage(path, -1, limits);
      try {
        const [y0, y1] = [13, 47];
        const target = new Float32Array(new SharedArrayBuffer((y1 - y0) * width * 4));
        const direct: Array<[number, number[]]> = [];
        for await (const band of planeRowBandsInto(img, y0, y1, target)!) {
          assert.equal(band.data.buffer, target.buffer);
          direct.push([band.y0, Array.from(band.data)]);
        }
        const streamed: Array<[number, number[]]> = [];
        for await (const band of planeRowBands(img, limits, y0, y1)) streamed.push([band.y0, Array.from(band.data)]);
        assert.deepEqual(direct, streamed);
        assert.deepEqual(Array.from(target), Array.from(plane.subarray(y0 * width, y1 * width)));
      } finally {
        await img.file.close();
      }
      const scaled = join(dir, 'i16.fits');
      await writeFile(scaled, await encodeFits([{ axes: [4, 4], data: Float32Array.from({ length: 16 }, (_, i) => 1 + 2 * i), bitpix: 16, bscale: 2, bzero: 1 }]));
      const simg = await openImage(scaled, -1, limits);
      try {
        assert.equal(planeRowBandsInto(simg, 0, 4, new Float32Array(16)), undefined);
      } finally {
        await simg.file.close();
      }
    });
  });

  it('Float32BinPass: a band longer than the wanted-key list (counted in pieces) gives the counts, sums and percentiles of small bands', () => {
    // 2.5 M values in a narrow range: nearly every pixel is in a percentile bucket, so the list of
    // wanted keys (2^20) fills within the band and is counted several times
    const n = 2_500_000;
    const rnd = random(11);
    const values = Float32Array.from({ length: n }, (_, i) => (i % 101 === 0 ? NaN : 1000 + rnd() * 0.25 + (i % 9973 === 0 ? 50 : 0)));
    const scan = new Float32Scan(n, new Int32Array(1));
    scan.add(values, 0);
    const summary = scan.finish();
    const sorted = Float64Array.from(values.filter((v) => Number.isFinite(v))).sort();
    const stats: DisplayStatistics = { summary, sampled: false, zscaleSample: () => sorted.filter((_, i) => i % 2500 === 0), finiteValues: () => new Float64Array(0) };
    for (const display of [{ stretch: 'linear' as const }, { stretch: 'zscale' as const }]) {
      const plan = float32CountPlan({ bins: 64, display }, stats, scan.buckets);
      const whole = new Float32BinPass(plan.setup, scan.buckets, plan.mapping.map);
      whole.add(values);
      const small = new Float32BinPass(plan.setup, scan.buckets, plan.mapping.map);
      for (let i = 0; i < n; i += 1000) small.add(values.subarray(i, i + 1000));
      const a = whole.merge([whole.counts()]);
      const b = small.merge([small.counts()]);
      assert.deepEqual(Array.from(a.counts), Array.from(b.counts));
      assert.deepEqual(Array.from(a.rawCounts), Array.from(b.rawCounts));
      assert.equal(a.counts.reduce((s, c) => s + c, 0), sorted.length);
      for (const rank of plan.setup.ranks) {
        assert.equal(a.value(rank), sorted[rank]);
        assert.equal(b.value(rank), sorted[rank]);
      }
      // one band: the sums are those of one loop over it, in order
      const { vmin, span } = plan.setup.affine!;
      let s1 = 0;
      let s2 = 0;
      for (const v of values) {
        if (!Number.isFinite(v)) continue;
        let m = (v - vmin) / span;
        m = m < 0 ? 0 : m > 1 ? 1 : m;
        const d = m - plan.setup.shift;
        s1 += d;
        s2 += d * d;
      }
      assert.equal(a.s1, s1);
      assert.equal(a.s2, s2);
    }
  });

  /** Planes of edge cases for the WebAssembly kernels (count.c) against the TypeScript loops. */
  function edgePlanes(): Array<{ name: string; width: number; data: Float32Array }> {
    const rnd = random(7);
    const special = [NaN, Infinity, -Infinity, 0, -0, 1e-40, -1e-40, 1.4e-45, 3.4e38, -3.4e38];
    const of = (name: string, width: number, height: number, f: (i: number) => number) => ({ name, width, data: Float32Array.from({ length: width * height }, (_, i) => f(i)) });
    return [
      of('specials', 61, 140, (i) => (i % 7 === 0 ? special[i % special.length]! : 100 + rnd() * 3 + (i % 1013 === 0 ? 5000 : 0))),
      of('constant', 40, 30, () => 7.5),
      of('all NaN', 33, 12, () => NaN),
      of('narrow', 128, 64, () => 1 + rnd() * 1e-6),
      of('decades', 97, 50, () => (rnd() < 0.5 ? -1 : 1) * 10 ** (rnd() * 60 - 30)),
      of('one column', 1, 3001, (i) => (i % 13 === 0 ? NaN : rnd() * 10)),
      of('row longer than a kernel piece', 40_000, 3, (i) => (i % 5 === 0 ? special[i % special.length]! : -50 - rnd() * 20)),
    ];
  }

  it('Float32Scan: the WebAssembly scan equals scanKeys (counts per row, buckets, min and max), also on big-endian bands it swaps', () => {
    for (const { name, width, data } of edgePlanes()) {
      const height = data.length / width;
      const out = (['js', 'wasm'] as const).flatMap((kernel) => [false, true].map((bigEndian) => {
        const rowCounts = new Int32Array(height + 2).fill(-1);
        const scan = new Float32Scan(width, rowCounts, { kernel });
        const rows = data.slice();
        if (bigEndian) Buffer.from(rows.buffer).swap32();
        // bands of a few rows, one of them of a single row
        for (let y = 0; y < height;) {
          const n = y === 1 ? 1 : Math.max(1, Math.min(height - y, 5));
          const band = rows.subarray(y * width, (y + n) * width);
          if (bigEndian) scan.addBigEndian(band, y);
          else scan.add(band, y);
          y += n;
        }
        // a big-endian band ends native
        assert.deepEqual(new Int32Array(rows.buffer), new Int32Array(data.buffer), `${name}, ${kernel}, big-endian ${bigEndian}`);
        return { keys: scan.finishKeys(), rowCounts: Array.from(rowCounts), buckets: Array.from(scan.buckets) };
      }));
      for (const o of out.slice(1)) assert.deepEqual(o, out[0], name);
    }
  });

  it('Float32BinPass: the WebAssembly count loop equals countAffine (bins, sums, percentiles), passes of different sizes one after another', () => {
    const limits = [1, 7, 256];
    for (const { name, width, data } of edgePlanes()) {
      const scan = new Float32Scan(width, new Int32Array(data.length / width), { kernel: 'js' });
      scan.add(data, 0);
      const summary = scan.finish();
      if (summary.count === 0) continue;
      const finite = Float64Array.from(data.filter((v) => Number.isFinite(v))).sort();
      const stats: DisplayStatistics = { summary, sampled: false, zscaleSample: () => finite.filter((_, i) => i % 7 === 0), finiteValues: () => new Float64Array(0) };
      for (const bins of limits) {
        for (const display of [{ stretch: 'linear' as const }, { stretch: 'zscale' as const }]) {
          const plan = float32CountPlan({ bins, display }, stats, scan.buckets);
          const setups: Float32BinSetup[] = [plan.setup];
          // degenerate edges: every raw edge equal (a bin width of 0), stretched edges over a denormal width
          if (bins > 1) {
            setups.push({ ...plan.setup, rawEdges: plan.setup.rawEdges.map(() => 0.5), edges: plan.setup.edges.map((_, k) => k * 1e-320) });
          }
          for (const setup of setups) {
            const out = (['js', 'wasm'] as const).map((kernel) => {
              const pass = new Float32BinPass(setup, scan.buckets, plan.mapping.map, { kernel });
              for (let i = 0; i < data.length; i += width * 3) pass.add(data.subarray(i, i + width * 3));
              const counts = pass.counts();
              const totals = pass.merge([counts]);
              return {
                raw: Array.from(counts.rawPart), part: Array.from(counts.part), order: Array.from(counts.order), sums: Array.from(counts.bandSums),
                totals: [Array.from(totals.rawCounts), Array.from(totals.counts), totals.s1, totals.s2], values: setup.ranks.map((r) => totals.value(r)),
              };
            });
            assert.deepEqual(out[1], out[0], `${name}, ${bins} bins, ${display.stretch}`);
          }
        }
      }
    }
  });
});
