import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeFits, FitsFile, readPlane, type ImageHdu } from '../../src/fits/index.js';
import { AreaResampler, contiguousStart, mergeFinite, resampleArea } from '../../src/imaging/resample.js';
import { renderPlane } from '../../src/imaging/preview.js';
import { getColormap } from '../../src/imaging/colormaps/index.js';
import {
  previewFile, previewInParts, previewPart, thumbnailRequest, warmSplit,
  type PreviewFileRequest, type PreviewFileResult, type PreviewPartPayload, type ViewerLimits,
} from '../../src/imaging/viewer/index.js';
import { FIXTURES_DIR } from '../helpers/paths.js';
import { Piscina } from 'piscina';
import runTask, { MOVE_MIN_BYTES } from '../../src/workers/worker.js';

/** Every stage's payload and answer cross a structured clone, as they do between pool threads. */
const runInProcess = async (payload: PreviewPartPayload) => structuredClone(await previewPart(structuredClone(payload)));

/** Sky-like values with NaN, ±Infinity and both zeros where asked. */
function values(width: number, height: number, seed: number, holes: { nanRows?: number[]; border?: number; scattered?: boolean }): Float32Array {
  const data = new Float32Array(width * height);
  let s = seed >>> 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      const u = s / 4294967296;
      let v = 100 + 0.02 * x - 0.01 * y + u * 4;
      if (s % 997 === 0) v = 3000 * u;
      const b = holes.border ?? 0;
      if (x < b || y < b || x >= width - b || y >= height - b + 1 || holes.nanRows?.includes(y)) v = NaN;
      else if (holes.scattered) {
        const i = y * width + x;
        if (i % 89 === 0) v = NaN;
        else if (i % 193 === 0) v = i % 2 ? Infinity : -Infinity;
        else if (i % 151 === 0) v = i % 2 ? 0 : -0;
      }
      data[y * width + x] = v;
    }
  }
  return data;
}

function same(a: PreviewFileResult, b: PreviewFileResult, label: string): void {
  assert.ok(Buffer.from(a.image).equals(Buffer.from(b.image)), `${label}: image bytes differ`);
  assert.deepEqual({ ...a, image: null }, { ...b, image: null }, label);
}

describe('preview and thumbnail split across workers (previewInParts)', () => {
  let dir: string;
  const files: Array<{ name: string; path: string; width: number; height: number }> = [];
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'preview-split-'));
    // Odd sizes: 517 rows to 256 output rows is 2.02 input rows an output row, so a part boundary
    // falls inside an input row (shared by both parts); bands of 3 rows end inside output rows.
    const cases: Array<[string, ImageHdu]> = [
      ['nan-border', { axes: [301, 517], data: values(301, 517, 1, { border: 5 }) }],
      // whole NaN rows on and around the part boundaries (rows 257-260 for 2 parts, 171-173 and 343-345 for 3)
      ['nan-rows', { axes: [333, 517], data: values(333, 517, 2, { nanRows: [0, 1, 171, 172, 173, 257, 258, 259, 260, 343, 344, 345, 516] }) }],
      ['scattered', { axes: [257, 777], data: values(257, 777, 3, { scattered: true, nanRows: [388, 389] }) }],
      ['all-finite', { axes: [640, 600], data: values(640, 600, 4, {}) }],
      // a cube: the middle slice (1 of 0..2) is rendered
      ['cube', { axes: [211, 530, 3], data: Float32Array.from({ length: 211 * 530 * 3 }, (_, i) => (i % 211 < 7 ? NaN : Math.sin(i) * 50 + Math.floor(i / (211 * 530)) * 1000)) }],
      // BSCALE/BZERO int16 with BLANK, uint16 convention, int32 and float64 (float64 bands)
      ['int16-scaled', { axes: [250, 530], bitpix: 16, bscale: 0.5, bzero: 100, blank: -32768, data: values(250, 530, 5, { border: 3 }).map((v) => (Number.isFinite(v) ? Math.round(v * 2) / 2 : NaN)) }],
      ['uint16', { axes: [260, 515], data: Uint16Array.from({ length: 260 * 515 }, (_, i) => (i * 7919) % 65536) }],
      ['int32', { axes: [255, 520], data: Int32Array.from({ length: 255 * 520 }, (_, i) => ((i * 104729) % 2000003) - 1000000) }],
      ['float64', { axes: [263, 529], data: Float64Array.from(values(263, 529, 6, { border: 2, scattered: true })) }],
      // too small to split (and a 2-row-tall one): rendered whole by the first part
      ['tiny', { axes: [7, 5], data: values(7, 5, 7, { scattered: true }) }],
      ['one-row', { axes: [900, 2], data: values(900, 2, 8, {}) }],
    ];
    for (const [name, hdu] of cases) {
      const path = join(dir, `${name}.fits`);
      await writeFile(path, await encodeFits([hdu]));
      files.push({ name, path, width: hdu.axes[0]!, height: hdu.axes[1]! });
    }
    files.push({ name: 'rice (compressed, whole)', path: join(FIXTURES_DIR, 'fits-corpus', 'astropy-m13_rice.fits'), width: 300, height: 300 });
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('thumbnails are byte-identical to the one-task thumbnail, for 2 and 3 parts and any band size', async () => {
    for (const f of files) {
      for (const maxElements of [1e8, Math.max(3, f.width * 3)]) {
        const limits: ViewerLimits = { maxFileBytes: 1e9, maxElements };
        const req = thumbnailRequest(f.path, limits);
        const whole = await previewFile(req);
        for (const parts of [2, 3]) same(await previewInParts(runInProcess, req, parts), whole, `${f.name} bands ${maxElements} parts ${parts}`);
      }
    }
  });

  it('previews too: colour maps, other stretches, enlarging, and displays that need every value (whole)', async () => {
    for (const f of files.slice(0, 4)) {
      const limits: ViewerLimits = { maxFileBytes: 1e9, maxElements: f.width * 3 };
      for (const [display, width, height, colormap] of [
        [{ stretch: 'asinh', asinhA: 0.1 }, 120, 90, 'viridis'],
        [{ stretch: 'zscale' }, 1000, 1000, 'gray'], // enlarging: one input row feeds two output rows
        [{ stretch: 'histeq' }, 100, 100, 'gray'],
        [{ stretch: 'linear', blackPoint: 0.01 }, 100, 100, 'magma'],
      ] as const) {
        const req: PreviewFileRequest = {
          path: f.path, sliceIndex: -1, display, colormap, width, height, format: 'png', quality: 90, nanColor: { r: 1, g: 2, b: 3, a: 4 }, limits,
        };
        const whole = await previewFile(req);
        for (const parts of [2, 3]) same(await previewInParts(runInProcess, req, parts), whole, `${f.name} ${JSON.stringify(display)} ${width} parts ${parts}`);
      }
    }
  });

  it('runs one reduce task per part and one finish task; a small plane is rendered whole by the first part', async () => {
    const stages = async (path: string, parts: number, maxElements: number) => {
      const seen: string[] = [];
      await previewInParts(async (p) => {
        seen.push(p.stage);
        return runInProcess(p);
      }, thumbnailRequest(path, { maxFileBytes: 1e9, maxElements }), parts);
      return seen;
    };
    const f = files[0]!;
    assert.deepEqual(await stages(f.path, 2, f.width * 3), ['reduce', 'reduce', 'finish']);
    assert.deepEqual(await stages(f.path, 3, f.width * 3), ['reduce', 'reduce', 'reduce', 'finish']);
    // 160 K pixels: one band of 256 K
    assert.deepEqual(await stages(f.path, 2, 1e8), ['reduce', 'reduce']);
    assert.deepEqual(await stages(files.find((x) => x.name === 'tiny')!.path, 2, 21), ['reduce', 'reduce']);
    assert.deepEqual(await stages(f.path, 1, f.width * 3), ['whole']);
  });

  it('a rendered answer has the encoded image at its top level: a pool thread moves it rather than cloning it', async () => {
    const f = files.find((x) => x.name === 'all-finite')!;
    const req: PreviewFileRequest = { ...thumbnailRequest(f.path, { maxFileBytes: 1e9, maxElements: f.width * 3 }), width: 1000, height: 1000 };
    const reduced = [await previewPart({ stage: 'reduce', req, part: 0, parts: 2 }), await previewPart({ stage: 'reduce', req, part: 1, parts: 2 })];
    const whole = await previewFile(req);
    assert.ok(whole.image.byteLength >= MOVE_MIN_BYTES);
    for (const payload of [{ stage: 'whole', req }, { stage: 'finish', req, reduced }] as PreviewPartPayload[]) {
      const r = (await runTask({ task: 'viewer.preview-part', payload })) as unknown as Record<symbol, unknown>;
      const transfer = r[Piscina.transferableSymbol] as ArrayBuffer[] | undefined;
      const outcome = r[Piscina.valueSymbol] as { ok: true; value: { image: Uint8Array } } | undefined;
      assert.ok(transfer && outcome, `${payload.stage}: the answer is moved`);
      assert.equal(outcome.value.image.buffer, transfer[0]);
      assert.ok(Buffer.from(outcome.value.image).equals(Buffer.from(whole.image)), payload.stage);
    }
  });

  it('an unknown colour map is refused as previewFile refuses it', async () => {
    const req: PreviewFileRequest = { ...thumbnailRequest(files[0]!.path, { maxFileBytes: 1e9, maxElements: files[0]!.width * 3 }), colormap: 'no-such-map' };
    await assert.rejects(previewFile(req), /Invalid colormap/);
    await assert.rejects(previewInParts(runInProcess, req, 2), /Invalid colormap/);
  });

  it('the band-streamed zscale sample (one pixel read back per row of one finite run) equals the in-memory one', async () => {
    for (const f of files.slice(0, 4)) {
      const limits: ViewerLimits = { maxFileBytes: 1e9, maxElements: f.width * 3 };
      const file = await FitsFile.open(f.path);
      const plane = await readPlane(file, file.hdus[0]!);
      await file.close();
      const inMemory = await renderPlane(plane, { display: { stretch: 'zscale' }, colormap: getColormap('gray')!, width: 256, height: 256, format: 'png' });
      const streamed = await previewFile(thumbnailRequest(f.path, limits));
      assert.deepEqual(streamed.applied, inMemory.applied, f.name);
    }
  });
});

describe('AreaResampler parts', () => {
  it('partRows cover every output row once and every input row they need; the parts equal the whole', () => {
    for (const [inW, inH, outW, outH] of [[33, 517, 16, 256], [10, 7, 20, 14], [64, 64, 16, 16], [9, 100, 3, 33], [5, 40, 5, 40]] as const) {
      const data = values(inW, inH, inW * inH, { scattered: true, nanRows: [3, Math.floor(inH / 2)] });
      const whole = new AreaResampler(inW, inH, outW, outH);
      whole.pushRows(data, inH);
      const expected = whole.finish().data;
      for (const parts of [2, 3, 4]) {
        const output = new Float32Array(outW * outH).fill(NaN);
        const counts = new Int32Array(inH);
        const running = [];
        let nextOut = 0;
        let counted = 0;
        for (let p = 0; p < parts; p++) {
          const rows = AreaResampler.partRows(inH, outH, p, parts);
          assert.equal(rows.o0, nextOut);
          assert.equal(rows.countFrom, counted);
          nextOut = rows.o1;
          counted = rows.y1;
          const r = new AreaResampler(inW, inH, outW, outH, rows);
          // in bands of 2 rows
          for (let y = rows.y0; y < rows.y1; y += 2) r.pushRows(data.subarray(y * inW, Math.min(rows.y1, y + 2) * inW));
          const made = r.finish();
          assert.equal(made.height, rows.o1 - rows.o0);
          output.set(made.data, rows.o0 * outW);
          counts.set(r.rowFiniteCounts.subarray(rows.countFrom, rows.y1), rows.countFrom);
          running.push(r.running);
        }
        assert.equal(nextOut, outH);
        assert.equal(counted, inH);
        assert.deepEqual(output, expected, `${inW}x${inH} -> ${outW}x${outH}, ${parts} parts`);
        assert.deepEqual(counts, whole.rowFiniteCounts);
        assert.deepEqual(mergeFinite(running), whole.summary);
      }
    }
    assert.deepEqual(resampleArea({ width: 2, height: 2, data: Float32Array.of(1, 2, 3, 4) }, 1, 1).data, Float32Array.of(2.5));
  });

  it('without min and max (zscale displays) the sums, counts and parts are the same', () => {
    const [inW, inH, outW, outH] = [97, 301, 40, 124];
    const data = values(inW, inH, 11, { scattered: true, border: 2 });
    const full = new AreaResampler(inW, inH, outW, outH);
    full.pushRows(data, inH);
    const fast = new AreaResampler(inW, inH, outW, outH, undefined, { minMax: false });
    fast.pushRows(data, inH);
    assert.deepEqual(fast.finish().data, full.finish().data);
    assert.deepEqual(fast.rowFiniteCounts, full.rowFiniteCounts);
    assert.deepEqual(fast.rowFirstFinite, full.rowFirstFinite);
    assert.deepEqual(fast.summary, { count: full.summary.count, min: NaN, max: NaN });
    const rows = AreaResampler.partRows(inH, outH, 1, 2);
    const part = new AreaResampler(inW, inH, outW, outH, rows, { minMax: false });
    part.pushRows(data.subarray(rows.y0 * inW, rows.y1 * inW));
    assert.deepEqual(part.finish().data, full.output.subarray(rows.o0 * outW));
  });

  it('the four-column sums (no min and max) equal the one-run-at-a-time sums bit for bit, at any scale and width', () => {
    // widths that leave 0-3 columns after the groups of four, runs of 1, 2 and uneven lengths
    for (const [inW, outW] of [[97, 40], [64, 64], [65, 64], [131, 2], [1000, 7], [4096, 256], [300, 97], [33, 31]] as const) {
      const inH = 23;
      const data = values(inW, inH, inW + outW, { scattered: true, border: 1 });
      for (let i = 0; i < data.length; i += 37) data[i] = -0;
      const keys = new AreaResampler(inW, inH, outW, 9);
      keys.pushRows(data, inH);
      const sums = new AreaResampler(inW, inH, outW, 9, undefined, { minMax: false });
      sums.pushRows(data, inH);
      const a = keys.finish().data;
      const b = sums.finish().data;
      assert.ok(Buffer.from(b.buffer).equals(Buffer.from(a.buffer)), `${inW} -> ${outW}`);
      assert.equal(sums.summary.count, keys.summary.count, `${inW} -> ${outW}`);
      assert.deepEqual(sums.rowFiniteCounts, keys.rowFiniteCounts);
    }
  });

  it('the thread warm-up runs both stages on its in-memory plane to the end', async () => {
    await warmSplit();
  });

  it('a part makes its rows in the array it is given (shared memory), and refuses one of the wrong length', () => {
    const [inW, inH, outW, outH] = [50, 90, 20, 36];
    const data = values(inW, inH, 12, { scattered: true, border: 1 });
    const full = new AreaResampler(inW, inH, outW, outH);
    full.pushRows(data, inH);
    const rows = AreaResampler.partRows(inH, outH, 1, 3);
    const into = new Float32Array(new SharedArrayBuffer((rows.o1 - rows.o0) * outW * 4)).fill(7);
    const part = new AreaResampler(inW, inH, outW, outH, rows, { output: into });
    part.pushRows(data.subarray(rows.y0 * inW, rows.y1 * inW));
    assert.equal(part.finish().data, into);
    assert.deepEqual([...into], [...full.output.subarray(rows.o0 * outW, rows.o1 * outW)]);
    assert.throws(() => new AreaResampler(inW, inH, outW, outH, rows, { output: new Float32Array(outW * outH) }), RangeError);
  });

  it('mergeFinite keeps the first part\'s zero on a ±0 tie, as one pass does', () => {
    const merged = mergeFinite([{ count: 1, min: 0, max: 0 }, { count: 1, min: -0, max: -0 }, { count: 0, min: Infinity, max: -Infinity }]);
    assert.ok(Object.is(merged.min, 0) && Object.is(merged.max, 0));
    assert.deepEqual(mergeFinite([{ count: 0, min: Infinity, max: -Infinity }]), { count: 0, min: NaN, max: NaN });
  });

  it('contiguousStart finds a row\'s one run of finite values', () => {
    const row = Float32Array.of(NaN, Infinity, 1, 2, 3, NaN, NaN);
    assert.equal(contiguousStart(row, 0, 7, 3), 2);
    assert.equal(contiguousStart(Float32Array.of(NaN, 1, NaN, 2), 0, 4, 2), -1);
    assert.equal(contiguousStart(Float32Array.of(9, 1, 2, 3), 1, 3, 3), 0);
    assert.equal(contiguousStart(Float32Array.of(NaN, NaN), 0, 2, 0), -1);
    // rows of a whole band: the second row [NaN, 5, 6] starts at column 1
    assert.equal(contiguousStart(Float32Array.of(1, 2, 3, NaN, 5, 6), 3, 3, 2), 1);
  });
});
