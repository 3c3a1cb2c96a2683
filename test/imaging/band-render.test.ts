import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeFits } from '../../src/fits/index.js';
import { previewFile, type ViewerLimits } from '../../src/imaging/viewer/index.js';
import type { StretchName } from '../../src/imaging/display.js';
import { FIXTURES_DIR } from '../helpers/paths.js';
import { planeOf, reference, relClose } from './reference.js';

/** Planes streamed in bands of a few rows must give astropy's statistics on the whole plane. */
describe('band-streamed previews keep exact statistics', () => {
  let dir: string;
  const files = new Map<string, string>();
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'band-render-'));
    for (const c of reference.cases) {
      if (c.name.endsWith('.fits')) files.set(c.name, join(FIXTURES_DIR, 'fits-corpus', c.name));
      else {
        const path = join(dir, `${c.name}.fits`);
        const plane = planeOf(c);
        await writeFile(path, await encodeFits([{ axes: [plane.width, plane.height], data: plane.data }]));
        files.set(c.name, path);
      }
    }
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  for (const c of reference.cases) {
    it(`${c.name}: zscale limits, levels and histeq through tiny bands equal astropy's`, async () => {
      // A decode limit of 3 rows forces many bands and the row read-back of the zscale sample.
      const limits: ViewerLimits = { maxFileBytes: 1e9, maxElements: Math.max(c.width * 3, 1) };
      for (const d of c.displays) {
        const r = await previewFile({
          path: files.get(c.name)!,
          sliceIndex: -1,
          display: { stretch: d.config.stretch as StretchName, gamma: d.config.gamma, blackPoint: d.config.black_point, whitePoint: d.config.white_point, asinhA: d.config.asinh_a },
          colormap: 'gray', width: 50, height: 50, format: 'png', quality: 90, nanColor: { r: 0, g: 0, b: 0, a: 0 }, limits,
        });
        const label = `${c.name} ${JSON.stringify(d.config)}`;
        assert.equal(r.mode, 'exact');
        assert.ok(relClose(r.applied.vmin!, d.vmin, 1e-9), `${label} vmin ${r.applied.vmin} vs ${d.vmin}`);
        assert.ok(relClose(r.applied.vmax!, d.vmax, 1e-9), `${label} vmax ${r.applied.vmax} vs ${d.vmax}`);
        if (d.levels) {
          assert.ok(relClose(r.applied.black_level!, d.levels[0], 1e-9, 1e-12), `${label} black`);
          assert.ok(relClose(r.applied.white_level!, d.levels[1], 1e-9, 1e-12), `${label} white`);
        }
      }
    });
  }
});
