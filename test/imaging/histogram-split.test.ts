import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeFits } from '../../src/fits/index.js';
import { histogramFile, histogramInParts, histogramPart, warmHistogramSplit, type HistogramFileRequest, type HistogramPartAnswer, type HistogramPartPayload, type ViewerLimits } from '../../src/imaging/viewer/index.js';
import type { DisplayOptions } from '../../src/imaging/display.js';

/** Every stage's payload and answer cross a structured clone, as they do between pool threads. */
const runInProcess = async (payload: HistogramPartPayload) => structuredClone(await histogramPart(structuredClone(payload)));

/** histogramInParts in process, checking that every scan held its rows in memory. */
async function heldInParts(req: HistogramFileRequest, parts: number) {
  const held: boolean[] = [];
  const r = await histogramInParts(async (p) => {
    const a = await runInProcess(p);
    if (a.kind === 'scan') held.push(a.pixels !== null);
    return a;
  }, req, parts);
  assert.deepEqual(held, Array(parts).fill(true));
  return r;
}

/** A float32 plane with NaN, infinities, both zeros, a narrow background and bright outliers. */
function plane(width: number, height: number, seed: number, allFinite: boolean): Float32Array {
  const data = new Float32Array(width * height);
  let s = seed;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const u = s / 4294967296;
    let v = 100 + 0.01 * (i % width) + u * 3;
    if (i % 1013 === 0) v = 5000 * u;
    if (!allFinite) {
      if (i % 97 === 0) v = NaN;
      else if (i % 211 === 0) v = i % 2 ? Infinity : -Infinity;
      else if (i % 157 === 0) v = i % 2 ? 0 : -0;
      else if (i < width * 2) v = NaN; // NaN first rows: the zscale sample is read back by rank
    }
    data[i] = v;
  }
  return data;
}

describe('histogram split across workers (histogramInParts)', () => {
  let dir: string;
  const files: Array<{ name: string; path: string; width: number }> = [];
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'histogram-split-'));
    for (const [name, width, height, allFinite] of [['nan-inf-zeros', 61, 140, false], ['all-finite', 50, 97, true]] as const) {
      const path = join(dir, `${name}.fits`);
      await writeFile(path, await encodeFits([{ axes: [width, height], data: plane(width, height, width * height, allFinite) }]));
      files.push({ name, path, width });
    }
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  const displays: DisplayOptions[] = [
    { stretch: 'zscale' }, { stretch: 'linear' }, { stretch: 'log' }, { stretch: 'asinh', asinhA: 0.05 }, { stretch: 'sqrt', gamma: 0.7 },
    // not split (needs every finite value): answered whole by the first part
    { stretch: 'histeq' }, { stretch: 'linear', blackPoint: 0.02, whitePoint: 0.98 },
  ];
  it('equals histogramFile exactly, for 2 and 3 parts, every display and bin count', async () => {
    for (const f of files) {
      // a decode limit of 3 rows: bands of 3 rows, so small planes split into many bands
      const limits: ViewerLimits = { maxFileBytes: 1e9, maxElements: f.width * 3 };
      for (const display of displays) {
        for (const bins of [256, 7]) {
          const req: HistogramFileRequest = { path: f.path, sliceIndex: -1, bins, display, limits };
          const whole = await histogramFile(req);
          for (const parts of [2, 3]) {
            assert.deepEqual(await histogramInParts(runInProcess, req, parts), whole, `${f.name} ${JSON.stringify(display)} ${bins} bins, ${parts} parts`);
          }
        }
      }
    }
  });

  it('runs two stages, one scan and one count task per part; the last count task answers', async () => {
    const f = files[0]!;
    const req: HistogramFileRequest = { path: f.path, sliceIndex: -1, bins: 16, display: { stretch: 'zscale' }, limits: { maxFileBytes: 1e9, maxElements: f.width * 3 } };
    const stages: string[] = [];
    const answers: HistogramPartAnswer[] = [];
    await histogramInParts(async (p) => {
      stages.push(p.stage);
      const a = await runInProcess(p);
      answers.push(a);
      return a;
    }, req, 2);
    assert.deepEqual(stages, ['scan', 'scan', 'count', 'count']);
    // not held in memory (the plane is over the decode limit): the count tasks read their rows again
    assert.deepEqual(answers.slice(0, 2).map((a) => a.kind === 'scan' && a.pixels), [null, null]);
    assert.deepEqual(answers.slice(2).map((a) => a.kind === 'whole' && a.result !== null).sort(), [false, true]);
  });

  it('a plane held in memory is read once, with the same result', async () => {
    // 128 wide: bands of 2,048 rows (BAND_PIXELS), so 12 bands for 3 parts; NaN first rows (the
    // zscale sample is taken from the held rows by rank), infinities, zeros, outliers
    const width = 128;
    const height = 12 * 2048 - 100;
    const path = join(dir, 'held.fits');
    await writeFile(path, await encodeFits([{ axes: [width, height], data: plane(width, height, 7, false) }]));
    const limits: ViewerLimits = { maxFileBytes: 1e9, maxElements: 1e8 };
    for (const display of [{ stretch: 'zscale' }, { stretch: 'log' }] as DisplayOptions[]) {
      const req: HistogramFileRequest = { path, sliceIndex: -1, bins: 256, display, limits };
      const whole = await histogramFile(req);
      for (const parts of [2, 3]) {
        // a streamed request in between: the buffers it was offered must not be offered twice later
        await histogramInParts(runInProcess, { ...req, limits: { maxFileBytes: 1e9, maxElements: width * 3 } }, parts);
        assert.deepEqual(await heldInParts(req, parts), whole, `${JSON.stringify(display)} ${parts} parts`);
      }
    }
  });

  it('a held plane that is not plain float32 (int16 with BSCALE/BZERO/BLANK) is decoded through the band buffer, with the same result', async () => {
    // plain float32 rows are read straight into the held buffer; scaled ones are copied there
    const width = 128;
    const height = 12 * 2048 - 100;
    const data = plane(width, height, 5, false).map((v) => (Number.isFinite(v) ? Math.round(v * 2) / 2 : NaN));
    const path = join(dir, 'held-int16.fits');
    await writeFile(path, await encodeFits([{ axes: [width, height], data, bitpix: 16, bscale: 0.5, bzero: 100, blank: -32768 }]));
    const req: HistogramFileRequest = { path, sliceIndex: -1, bins: 256, display: { stretch: 'zscale' }, limits: { maxFileBytes: 1e9, maxElements: 1e8 } };
    const whole = await histogramFile(req);
    for (const parts of [2, 3]) {
      assert.deepEqual(await heldInParts(req, parts), whole, `${parts} parts`);
    }
  });

  it("a pool thread's warm-up (both stages on a small held plane) leaves later requests unchanged", async () => {
    await warmHistogramSplit();
    await warmHistogramSplit();
    const f = files[0]!;
    for (const display of [{ stretch: 'zscale' }, { stretch: 'linear' }] as DisplayOptions[]) {
      const req: HistogramFileRequest = { path: f.path, sliceIndex: -1, bins: 256, display, limits: { maxFileBytes: 1e9, maxElements: f.width * 3 } };
      assert.deepEqual(await histogramInParts(runInProcess, req, 2), await histogramFile(req), JSON.stringify(display));
    }
  });

  it('held requests one after another reuse buffers without handing one to two parts', async () => {
    // The spare buffers a request was offered come back from its scans (as other objects for the
    // same memory): kept twice, a later request gave one buffer to two parts, which overwrote each other.
    const width = 128;
    const height = 12 * 2048 - 100;
    const path = join(dir, 'held-again.fits');
    await writeFile(path, await encodeFits([{ axes: [width, height], data: plane(width, height, 11, false) }]));
    const req: HistogramFileRequest = { path, sliceIndex: -1, bins: 256, display: { stretch: 'zscale' }, limits: { maxFileBytes: 1e9, maxElements: 1e8 } };
    let i = 0;
    for (const rows of [height, 3, height, height, 3, height]) {
      // a decode limit of 3 rows streams the plane: that request holds nothing
      const limited = { ...req, limits: { maxFileBytes: 1e9, maxElements: width * rows } };
      const whole = await histogramFile(limited); // its bands set the order of the sums
      for (const parts of [2, 3]) {
        i++;
        assert.deepEqual(await histogramInParts(runInProcess, limited, parts), whole, `request ${i}, ${parts} parts, bands of ${rows} rows`);
      }
    }
  });

  it('a plane too small to split is computed whole', async () => {
    const req: HistogramFileRequest = { path: files[0]!.path, sliceIndex: -1, bins: 16, display: { stretch: 'zscale' }, limits: { maxFileBytes: 1e9, maxElements: 1e8 } };
    const stages: string[] = [];
    const r = await histogramInParts(async (p) => {
      stages.push(p.stage);
      return runInProcess(p);
    }, req, 2);
    assert.deepEqual(stages, ['scan', 'scan']);
    assert.deepEqual(r, await histogramFile(req));
  });
});
