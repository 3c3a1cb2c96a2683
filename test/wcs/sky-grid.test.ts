import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Wcs } from '../../src/wcs/index.js';
import { formatAngle, niceStep, skyGrid } from '../../src/wcs/sky-grid.js';

const header = (cards: Record<string, string | number>) => Wcs.fromHeader(new Map(Object.entries(cards)) as never);

describe('sky grid', () => {
  it('labels angles with the figures the step needs', () => {
    assert.equal(formatAngle(83.8, 1 / 240, true), '05h35m12s');
    assert.equal(formatAngle(83.8, 0.25, true), '05h35m');
    assert.equal(formatAngle(-45.5, 1 / 60, false), '-45°30′');
    assert.equal(formatAngle(60.5 + 5 / 3600, 5 / 3600, false), '+60°30′05″');
    assert.equal(formatAngle(10.25, 0.1 / 3600, false), '+10°15′00.0″');
    assert.equal(niceStep(0.1, 5, false), 120 / 3600); // 72" wanted: 2′
    assert.equal(niceStep(1 / 60, 5, true), 15 / 3600); // 0.8 s of time wanted: 1 s

  });

  it('meets the pole when it is in the image: every RA line, each point on its own RA and Dec', () => {
    const wcs = header({ CTYPE1: 'RA---TAN', CTYPE2: 'DEC--TAN', CRVAL1: 0, CRVAL2: 89.95, CRPIX1: 200.5, CRPIX2: 200.5, CDELT1: -2 / 3600, CDELT2: 2 / 3600 });
    const grid = skyGrid(wcs, { x0: -0.5, y0: -0.5, x1: 399.5, y1: 399.5 }, { lines: 5 });
    const ra = grid.lines.filter((l) => l.axis === 'lon');
    assert.ok(ra.length === 12, `${ra.length} RA lines around the pole`);
    const lon = new Float64Array(1);
    const lat = new Float64Array(1);
    for (const line of grid.lines) {
      for (const seg of line.segments) {
        for (const [x, y] of seg) {
          wcs.celestialPixelToWorld([x], [y], lon, lat);
          if (line.axis === 'lat') assert.ok(Math.abs(lat[0]! - line.value) < 1e-7, `${line.label}: ${lat[0]}`);
          else assert.ok(Math.abs(((lon[0]! - line.value + 540) % 360) - 180) * Math.cos((lat[0]! * Math.PI) / 180) < 2e-7, `${line.label}: ${lon[0]}`); // on the sky: points are kept to 1e-4 px
        }
      }
    }
  });
});
