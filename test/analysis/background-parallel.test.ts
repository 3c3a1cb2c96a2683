import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MeshBackground, type MeshBackgroundOptions, type MeshBackgroundResult, type MeshHelper } from '../../src/analysis/background/mesh-background.js';
import { meshHelper } from '../../src/analysis/background/mesh-thread.js';
import { IMAGE_KEYS, referencePlane, references } from './fixtures.js';
import type { ImagePlane } from '../../src/core/image-plane.js';

function bytes(a: ArrayBufferView): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/** Every array bit for bit, and every number. */
function assertSame(a: MeshBackgroundResult, b: MeshBackgroundResult, what: string): void {
  for (const k of ['background', 'backgroundRms', 'backgroundMesh', 'backgroundRmsMesh'] as const) {
    assert.ok(bytes(a[k]).equals(bytes(b[k])), `${what}: ${k} differs`);
  }
  for (const k of ['width', 'height', 'nboxesX', 'nboxesY', 'nboxesUsed', 'backgroundMedian', 'backgroundRmsMedian'] as const) {
    assert.ok(Object.is(a[k], b[k]), `${what}: ${k} ${a[k]} vs ${b[k]}`);
  }
}

/** Sky noise on a gradient, a few bright blobs, NaN holes and a NaN border (deterministic). */
function randomPlane(width: number, height: number, seed: number, f64: boolean): ImagePlane {
  let s = seed >>> 0;
  const rnd = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  const data = f64 ? new Float64Array(width * height) : new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let v = 100 + 0.01 * x - 0.02 * y + (rnd() + rnd() + rnd() - 1.5) * 8;
      if (rnd() < 0.002) v += 500 * rnd();
      if (rnd() < 0.01 || x < 3 || y >= height - 2) v = NaN;
      data[y * width + x] = v;
    }
  }
  return { width, height, data };
}

function randomMask(n: number, seed: number, p: number): Uint8Array {
  let s = seed >>> 0;
  const m = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 22695477) + 1) >>> 0;
    if (s / 4294967296 < p) m[i] = 1;
  }
  return m;
}

const OPTION_SETS: readonly MeshBackgroundOptions[] = [
  { boxSize: 16, filterSize: 3, sigma: 3, maxiters: 10 },
  { boxSize: [12, 20], filterSize: [5, 3], bkgEstimator: 'median', bkgrmsEstimator: 'mad_std', excludePercentile: 25 },
  { boxSize: 10, filterSize: 1, edgeMethod: 'crop', bkgEstimator: 'mmm' },
  { boxSize: 16, filterSize: 3, sigma: null, bkgEstimator: 'mean', fillValue: -1 },
  { boxSize: 9, filterSize: 3, filterThreshold: 100 },
];

describe('MeshBackground.computeParallel (helper thread) equals compute bit for bit', () => {
  for (const key of IMAGE_KEYS) {
    it(`reference image ${key}, pad and crop`, async () => {
      const { plane } = await referencePlane(key);
      const box = references().images[key]!.params.box!;
      for (const edgeMethod of ['pad', 'crop'] as const) {
        const mb = new MeshBackground({ boxSize: box, filterSize: 3, edgeMethod });
        assertSame(await mb.computeParallel(plane, meshHelper()), mb.compute(plane), `${key} ${edgeMethod}`);
      }
    });
  }

  for (const [i, options] of OPTION_SETS.entries()) {
    for (const f64 of [false, true]) {
      it(`option set ${i}, ${f64 ? 'float64' : 'float32'}, with and without masks, odd sizes`, async () => {
        for (const [w, h] of [[97, 83], [64, 64], [50, 121]] as const) {
          const plane = randomPlane(w, h, 7 * i + w + (f64 ? 1 : 0), f64);
          const mb = new MeshBackground(options);
          assertSame(await mb.computeParallel(plane, meshHelper()), mb.compute(plane), `${w}x${h}`);
          const mask = randomMask(w * h, i + 3, 0.05);
          const coverage = randomMask(w * h, i + 11, 0.02);
          assertSame(await mb.computeParallel(plane, meshHelper(), mask, coverage), mb.compute(plane, mask, coverage), `${w}x${h} masked`);
        }
      });
    }
  }

  it('a failing helper leaves the result unchanged (this thread does its share)', async () => {
    const failing: MeshHelper = { boxStatistics: () => Promise.reject(new Error('gone')), zoom: () => Promise.reject(new Error('gone')) };
    const plane = randomPlane(120, 90, 5, false);
    const mb = new MeshBackground({ boxSize: 16, filterSize: 3 });
    assertSame(await mb.computeParallel(plane, failing), mb.compute(plane), 'failing helper');
    assertSame(await mb.computeParallel(plane, undefined), mb.compute(plane), 'no helper');
  });

  it('one row of boxes, and the same errors as compute', async () => {
    const plane = randomPlane(80, 20, 9, false);
    const mb = new MeshBackground({ boxSize: 20, filterSize: 3, excludePercentile: 50 });
    assertSame(await mb.computeParallel(plane, meshHelper()), mb.compute(plane), 'one row');
    const empty = { width: 40, height: 40, data: new Float32Array(1600).fill(NaN) };
    await assert.rejects(new MeshBackground({ boxSize: 10 }).computeParallel(empty, meshHelper()), /masked/);
    await assert.rejects(new MeshBackground({ boxSize: 50 }).computeParallel(empty, meshHelper()), /larger than the image/);
  });

  it('leaves the caller\'s pixels and masks untouched', async () => {
    const plane = randomPlane(64, 64, 13, false);
    const before = Buffer.from(bytes(plane.data));
    const mask = randomMask(64 * 64, 2, 0.1);
    await new MeshBackground({ boxSize: 16 }).computeParallel(plane, meshHelper(), mask);
    assert.ok(bytes(plane.data).equals(before));
    assert.equal(mask.length, 64 * 64);
  });
});
