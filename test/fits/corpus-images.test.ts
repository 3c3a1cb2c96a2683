/**
 * Every uncompressed image HDU of the corpus decodes to what astropy 5.2.1 returns
 * (REFERENCE.json): statistics (float within 1e-6 relative, integers exact), NaN counts and sample
 * pixels (physical value and stored raw value). Compressed images are tested by their owner.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FitsFile, imageGeometry, readPlane, readRandomGroups, readRawPlane } from '../../src/fits/index.js';
import { type RefStats, close, corpusPath, refNumber, referenceFiles, statistics } from './corpus.js';

function assertStats(actual: ReturnType<typeof statistics>, expected: RefStats, exactInts: boolean, where: string): void {
  for (const k of ['n_pixels', 'nan_count', 'posinf_count', 'neginf_count'] as const) assert.equal(actual[k], expected[k], `${where} ${k}`);
  for (const k of ['min', 'max', 'mean', 'std', 'median', 'sum'] as const) {
    const e = refNumber(expected[k]);
    const a = actual[k];
    if (exactInts && (k === 'min' || k === 'max' || k === 'median')) assert.equal(a, e, `${where} ${k}`);
    else assert.ok(close(a, e, 1e-6, 1e-9 * Math.max(1, Math.abs(refNumber(expected.max)))), `${where} ${k}: ${a} vs ${e}`);
  }
}

const withImages = referenceFiles().filter((f) => f.hdus?.some((h) => h.image?.stats && h.type !== 'CompImageHDU'));

describe('corpus images match astropy', () => {
  for (const ref of withImages) {
    it(ref.file, async () => {
      const file = await FitsFile.open(corpusPath(ref.file));
      try {
        for (const rh of ref.hdus!) {
          const img = rh.image;
          if (!img?.stats || rh.type === 'CompImageHDU') continue;
          const hdu = file.hdus[rh.index]!;
          if (img.stats.n_pixels === 0) {
            // astropy gives an empty array; we refuse to read a plane that has no pixels.
            assert.throws(() => imageGeometry(hdu), (e: Error) => e.name === 'FitsError');
            continue;
          }
          const geo = imageGeometry(hdu);
          const planeSize = geo.width * geo.height;
          const all = new Float64Array(planeSize * geo.planes);
          const raws: (number | bigint)[] = [];
          for (let p = 0; p < geo.planes; p++) {
            const plane: number[] = [];
            let rest = p;
            for (const len of geo.planeAxes) {
              plane.push(rest % len);
              rest = Math.floor(rest / len);
            }
            const out = await readPlane(file, hdu, { plane });
            if (hdu.bitpix === 8 || hdu.bitpix === 16 || hdu.bitpix === -32) assert.ok(out.data instanceof Float32Array, `HDU ${rh.index} float32`);
            else assert.ok(out.data instanceof Float64Array, `HDU ${rh.index} float64`);
            all.set(out.data, p * planeSize);
            const raw = await readRawPlane(file, hdu, { plane });
            for (const v of raw.data) raws.push(v);
          }
          const exactInts = !img.astropy_dtype!.includes('f');
          assertStats(statistics(all), img.stats, exactInts, `${ref.file}[${rh.index}]`);
          for (const s of img.samples ?? []) {
            const [x, y, ...rest] = s.fits_pixel.map((v) => v - 1);
            let planeIndex = 0;
            let stride = 1;
            rest.forEach((v, i) => {
              planeIndex += v * stride;
              stride *= geo.planeAxes[i]!;
            });
            const at = planeIndex * planeSize + (y ?? 0) * geo.width + x!;
            const where = `${ref.file}[${rh.index}] pixel ${s.fits_pixel.join(',')}`;
            assert.ok(close(all[at]!, refNumber(s.value), 1e-6), `${where}: value ${all[at]} vs ${s.value}`);
            const r = raws[at]!;
            assert.ok(close(Number(r), refNumber(s.raw), 1e-7), `${where}: raw ${r} vs ${s.raw}`);
          }
        }
      } finally {
        await file.close();
      }
    });
  }
});

describe('random groups', () => {
  for (const ref of referenceFiles().filter((f) => f.hdus?.some((h) => h.groups))) {
    it(ref.file, async () => {
      const file = await FitsFile.open(corpusPath(ref.file));
      try {
        const rh = ref.hdus!.find((h) => h.groups)!;
        const g = rh.groups!;
        if (!g.n_groups) {
          assert.equal(file.hdus[rh.index]!.dataBytes, 0);
          return;
        }
        const groups = await readRandomGroups(file, rh.index);
        assert.equal(groups.gcount, g.n_groups);
        assert.deepEqual(groups.parameterNames, g.parnames);
        assertStats(statistics(groups.data), g.stats_of_array_part!, false, ref.file);
        const perGroup = groups.data.length / groups.gcount;
        g.first_groups!.forEach((fg, i) => {
          fg.params.forEach((p, j) => assert.ok(close(groups.parameters[i * groups.pcount + j]!, p, 1e-12), `param ${i},${j}`));
          fg.data.values.forEach((v, j) => assert.ok(close(groups.data[i * perGroup + j]!, v, 1e-7), `data ${i},${j}`));
        });
      } finally {
        await file.close();
      }
    });
  }
});
