/** bench/lib/compare.ts: two `npm run bench -- --json` files paired figure by figure. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compareRuns, formatComparison, type RecordedRun } from '../bench/lib/compare.js';

const run = (commit: string, histogramMs: number, ratio: number, extra: RecordedRun['benches'] = []): RecordedRun => ({
  date: '2026-12-06T00:00:00Z',
  commit,
  loadavg: [0.5, 0.4, 0.3],
  benches: [
    {
      file: 'bench/imaging/preview.bench.ts',
      results: [
        { case: '4096² histogram', metric: 'ms wall', ours: histogramMs, reference: histogramMs * ratio, ratio, higherIsBetter: false },
        { case: '4096² read', metric: 'MB/s wall', ours: 100 * ratio, reference: 100, ratio, higherIsBetter: true },
      ],
      eventLoop: [{ script: 'server.ts', role: 'engine', p99_ms: 12 }, { script: 'harness.ts', role: 'harness', p99_ms: 900 }],
    },
    ...extra,
  ],
});

describe('bench comparison', () => {
  it('pairs figures by bench, case and metric and says how ours moved', () => {
    const before = run('aaaa', 150, 4.7);
    const after = run('bbbb', 100, 7, [{ file: 'bench/new.bench.ts', results: [{ case: 'x', metric: 'ms wall', ours: 5, higherIsBetter: false }] }]);
    const figures = compareRuns(before, after);
    assert.equal(figures.length, 3);
    const hist = figures[0]!;
    assert.equal(hist.change, 1.5, 'a time that fell from 150 to 100 ms is 1.5× better');
    assert.equal(figures[1]!.change, 7 / 4.7, 'a throughput compares the other way round');
    assert.equal(figures[2]!.before, undefined, 'a figure only the later run has');
    assert.equal(figures[2]!.change, undefined);
  });

  it('keeps a figure only the earlier run had, and prints the engine event loop per bench', () => {
    const before = run('aaaa', 150, 4.7, [{ file: 'bench/gone.bench.ts', results: [{ case: 'y', metric: 'ms wall', ours: 1, higherIsBetter: false }] }]);
    const after = run('bbbb', 300, 2);
    const figures = compareRuns(before, after);
    assert.equal(figures.at(-1)!.after, undefined);
    const text = formatComparison(before, after);
    assert.match(text, /4096² histogram \[ms wall\]: 150 → 300 \(0\.50×\) \| 4\.70× → 2\.00×/);
    assert.match(text, /engine event-loop p99 12 → 12 ms/);
    assert.doesNotMatch(text, /900/, 'harness processes are not the engine');
    assert.match(text, /y \[ms wall\]: 1 → - \(-\)/);
  });
});
