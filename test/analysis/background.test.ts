import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MeshBackground, type MeshBackgroundResult } from '../../src/analysis/background/mesh-background.js';
import { IMAGE_KEYS, gridMaxRelDiff, referencePlane, references, relClose, sampleGrid } from './fixtures.js';

function meshRows(mesh: Float64Array, nx: number, ny: number): number[][] {
  return Array.from({ length: ny }, (_, y) => Array.from(mesh.subarray(y * nx, y * nx + nx)));
}

const CONFIGS = {
  background_2d: (p: Record<string, number>) => new MeshBackground({ boxSize: p.box!, filterSize: 3, sigma: 3, maxiters: 10 }),
  background_2d_median: (p: Record<string, number>) =>
    new MeshBackground({ boxSize: [p.box2!, p.box2! + 3], filterSize: [5, 3], bkgEstimator: 'median', bkgrmsEstimator: 'mad_std', excludePercentile: 25 }),
} as const;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- fixture JSON
function compareAll(bkg: MeshBackgroundResult, ref: any, width: number, height: number, tol: number): void {
  const mesh = gridMaxRelDiff(meshRows(bkg.backgroundMesh, bkg.nboxesX, bkg.nboxesY), ref.mesh);
  assert.ok(mesh.max < tol, `mesh ${mesh.max} at ${mesh.where}`);
  const rmsMesh = gridMaxRelDiff(meshRows(bkg.backgroundRmsMesh, bkg.nboxesX, bkg.nboxesY), ref.rms_mesh);
  assert.ok(rmsMesh.max < tol, `rms mesh ${rmsMesh.max} at ${rmsMesh.where}`);
  const full = gridMaxRelDiff(sampleGrid(bkg.background, width, height), ref.grid);
  assert.ok(full.max < tol, `background ${full.max} at ${full.where}`);
  const rms = gridMaxRelDiff(sampleGrid(bkg.backgroundRms, width, height), ref.rms_grid);
  assert.ok(rms.max < tol, `rms ${rms.max} at ${rms.where}`);
}

describe('MeshBackground against photutils 1.6 Background2D', () => {
  for (const key of IMAGE_KEYS) {
    for (const [name, make] of Object.entries(CONFIGS)) {
      it(`${name} on ${key}: every kept box exact, whole pipeline within 1e-4 relative (IDW ties broken by box index)`, async () => {
        const { plane } = await referencePlane(key);
        const img = references().images[key]!;
        const bkg = make(img.params).compute(plane);
        // per-box estimates before IDW and filtering: the clipping and estimators themselves
        const unfiltered = make(img.params);
        const raw = new MeshBackground({ ...unfilteredOptions(unfiltered), filterSize: 1 }).compute(plane);
        const kept = gridMaxRelDiff(meshRows(raw.backgroundMesh, raw.nboxesX, raw.nboxesY), img.results[name].mesh_kept);
        assert.ok(kept.max < 1e-9, `kept boxes ${kept.max} at ${kept.where}`);
        compareAll(bkg, img.results[`${name}_stable_idw`], plane.width, plane.height, 1e-4);
      });

      it(`${name} on ${key}: against photutils as shipped (k-d tree tie choice for excluded boxes)`, async () => {
        const { plane } = await referencePlane(key);
        const img = references().images[key]!;
        const ref = img.results[name];
        const bkg = make(img.params).compute(plane);
        const full = gridMaxRelDiff(sampleGrid(bkg.background, plane.width, plane.height), ref.grid);
        // only meshes filled by IDW can differ, by the choice among equidistant neighbours
        assert.ok(full.max < 0.03, `background ${full.max} at ${full.where}`);
        assert.ok(relClose(bkg.backgroundMedian, ref.background_median, 0.01));
      });
    }
  }

  for (const key of IMAGE_KEYS) {
    it(`edge_method crop and filter_threshold on ${key} (1e-4 relative, IDW ties by box index)`, async () => {
      const { plane } = await referencePlane(key);
      const img = references().images[key]!;
      const crop = new MeshBackground({ boxSize: img.params.box!, filterSize: 3, edgeMethod: 'crop' }).compute(plane);
      let d = gridMaxRelDiff(sampleGrid(crop.background, plane.width, plane.height), img.results.background_2d_crop.grid);
      assert.ok(d.max < 1e-4, `crop ${d.max} ${d.where}`);
      d = gridMaxRelDiff(sampleGrid(crop.backgroundRms, plane.width, plane.height), img.results.background_2d_crop.rms_grid);
      assert.ok(d.max < 1e-4, `crop rms ${d.max} ${d.where}`);
      const thr = new MeshBackground({ boxSize: img.params.box!, filterSize: 3, filterThreshold: img.results.sigma_clipped_statistics.median }).compute(plane);
      d = gridMaxRelDiff(sampleGrid(thr.background, plane.width, plane.height), img.results.background_2d_threshold.grid);
      assert.ok(d.max < 1e-4, `threshold ${d.max} ${d.where}`);
      d = gridMaxRelDiff(sampleGrid(thr.backgroundRms, plane.width, plane.height), img.results.background_2d_threshold.rms_grid);
      assert.ok(d.max < 1e-4, `threshold rms ${d.max} ${d.where}`);
    });
  }

  it('rejects a box larger than the image and an all-masked image', () => {
    const plane = { width: 10, height: 10, data: new Float32Array(100).fill(NaN) };
    assert.throws(() => new MeshBackground({ boxSize: 20 }).compute(plane), /larger than the image/);
    assert.throws(() => new MeshBackground({ boxSize: 5 }).compute(plane), /masked/);
    assert.throws(() => new MeshBackground({ boxSize: 0 }), /box_size/);
  });
});

function unfilteredOptions(m: MeshBackground): ConstructorParameters<typeof MeshBackground>[0] {
  return {
    boxSize: [m.boxY, m.boxX],
    excludePercentile: m.excludePercentile,
    bkgEstimator: m.bkgEstimator,
    bkgrmsEstimator: m.bkgrmsEstimator,
    sigma: 3,
    maxiters: 10,
  };
}
