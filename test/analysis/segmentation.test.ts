import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { astropyConvolveSeparable, gaussianKernel1d } from '../../src/analysis/filters/astropy-convolve.js';
import { detectSources } from '../../src/analysis/segmentation/detect.js';
import { deblendSources } from '../../src/analysis/segmentation/deblend.js';
import { sourceCatalog } from '../../src/analysis/segmentation/catalog.js';
import { labelAreas, labelImage } from '../../src/analysis/segmentation/label.js';
import { SigmaClip, sigmaClippedStatsOf } from '../../src/analysis/stats/sigma-clip.js';
import { validValues } from '../../src/analysis/mask.js';
import { IMAGE_KEYS, referencePlane, references, relClose, runLength } from './fixtures.js';

describe('segmentation against photutils 1.6 detect_sources / deblend_sources / SourceCatalog', () => {
  for (const key of IMAGE_KEYS) {
    it(`same labels before and after deblending, same catalogue, on ${key}`, async () => {
      const { plane } = await referencePlane(key);
      const img = references().images[key]!;
      const ref = img.results.segmentation;
      const stats = sigmaClippedStatsOf(validValues(plane), new SigmaClip({ sigma: 3, maxiters: 5 }));
      const sub = new Float64Array(plane.data.length);
      for (let i = 0; i < sub.length; i++) sub[i] = plane.data[i]! - stats.median;
      const subPlane = { width: plane.width, height: plane.height, data: sub };
      const k = gaussianKernel1d(img.params.fwhm! / 2.3548200450309493, 5);
      const conv = astropyConvolveSeparable(subPlane, k, k);
      const threshold = img.params.nsigma_seg! * stats.std;
      assert.ok(relClose(threshold, ref.threshold, 1e-9));
      const convPlane = { width: plane.width, height: plane.height, data: conv };
      const segm = detectSources(convPlane, { threshold, npixels: img.params.npixels!, connectivity: 8 });
      assert.equal(segm.nlabels, ref.nlabels);
      assert.deepEqual(runLength(segm.labels), ref.rle);
      const deblended = deblendSources(conv, segm, { npixels: img.params.npixels!, nlevels: 32, contrast: 0.001 });
      assert.equal(deblended.nlabels, ref.deblended_nlabels);
      assert.deepEqual(runLength(deblended.labels), ref.deblended_rle);
      for (const [mode, conn] of [['linear', 8], ['sinh', 8], ['exponential', 4]] as const) {
        const r = ref[`${mode}_${conn}`];
        const s4 = detectSources(convPlane, { threshold, npixels: img.params.npixels!, connectivity: conn });
        assert.equal(s4.nlabels, r.nlabels, `${mode}/${conn}`);
        if (r.nlabels === 0) continue;
        const d4 = deblendSources(conv, s4, { npixels: img.params.npixels!, nlevels: 16, contrast: 0.005, mode, connectivity: conn });
        assert.equal(d4.nlabels, r.deblended_nlabels, `${mode}/${conn} deblended`);
        assert.deepEqual(runLength(d4.labels), r.rle, `${mode}/${conn} labels`);
      }
      const cat = sourceCatalog(sub, deblended);
      assert.equal(cat.length, ref.catalog.length);
      cat.forEach((row, i) => {
        const r = ref.catalog[i];
        assert.equal(row.label, r.label);
        assert.equal(row.area, r.area);
        for (const c of ['xcentroid', 'ycentroid', 'segment_flux', 'max_value', 'semimajor_sigma', 'semiminor_sigma', 'ellipticity', 'eccentricity'] as const) {
          assert.ok(relClose(row[c], r[c], 1e-8, 1e-10), `label ${row.label} ${c}: ${row[c]} vs ${r[c]}`);
        }
        // orientation is defined modulo 180 degrees
        const d = Math.abs(((row.orientation - r.orientation + 270) % 180) - 90);
        assert.ok(d < 1e-6 || r.ellipticity < 1e-9, `label ${row.label} orientation ${row.orientation} vs ${r.orientation}`);
      });
    });
  }

  it('labels 4- and 8-connected components in raster order like scipy.ndimage.label', () => {
    // two diagonal pixels: one object with 8-connectivity, two with 4
    const mask = Uint8Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    assert.equal(labelImage(mask, 3, 3, 8).count, 1);
    const four = labelImage(mask, 3, 3, 4);
    assert.equal(four.count, 3);
    assert.deepEqual(Array.from(four.labels), [1, 0, 0, 0, 2, 0, 0, 0, 3]);
    // a U shape whose arms meet late still gets one label, numbered by its first pixel
    const u = Uint8Array.from([1, 0, 1, 1, 0, 1, 1, 1, 1]);
    assert.deepEqual(Array.from(labelImage(u, 3, 3, 4).labels), [1, 0, 1, 1, 0, 1, 1, 1, 1]);
  });

  it('drops small components in the labelling pass as labelling, areas and renumbering would; thresholdFactor as the product image', () => {
    let s = 3;
    const rnd = (): number => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s / 4294967296;
    };
    for (const [w, h, density] of [[61, 47, 0.45], [128, 9, 0.6], [1, 30, 0.5], [40, 40, 0.2]] as const) {
      const on = new Uint8Array(w * h);
      for (let i = 0; i < on.length; i++) on[i] = rnd() < density ? 1 : 0;
      for (const conn of [4, 8] as const) {
        const all = labelImage(on, w, h, conn);
        const areas = labelAreas(all.labels, all.count);
        for (const minArea of [1, 2, 5, 12, 1000]) {
          const map = new Int32Array(all.count + 1);
          let kept = 0;
          for (let l = 1; l <= all.count; l++) if (areas[l]! >= minArea) map[l] = ++kept;
          const expected = all.labels.map((l) => map[l]!);
          const got = labelImage(on, w, h, conn, minArea);
          assert.equal(got.count, kept, `${w}x${h} conn ${conn} minArea ${minArea}`);
          assert.deepEqual(got.labels, expected, `${w}x${h} conn ${conn} minArea ${minArea}`);
        }
      }
      const data = new Float64Array(w * h).map(() => rnd() * 10);
      const rms = new Float64Array(w * h).map(() => 1 + rnd());
      const product = rms.map((v) => 3 * v);
      const plane = { width: w, height: h, data };
      assert.deepEqual(detectSources(plane, { threshold: rms, thresholdFactor: 3, npixels: 3 }), detectSources(plane, { threshold: product, npixels: 3 }));
      assert.deepEqual(detectSources(plane, { threshold: 2, thresholdFactor: 3, npixels: 3 }), detectSources(plane, { threshold: 6, npixels: 3 }));
    }
  });
});
