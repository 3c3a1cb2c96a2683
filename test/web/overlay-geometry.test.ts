import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { drawnToDs9, findPositionColumns, regionOutline, shapeRect, skyOffset, viewRect } from '../../web/src/viewer/overlay-geometry.js';
import { formatDs9, parseDs9 } from '../../web/src/viewer/ds9-regions.js';

const close = (a: number, b: number, tol = 1e-9) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);
const RAD = Math.PI / 180;

/** The forward gnomonic projection about a centre: (east, north) offsets in degrees. */
function project(center: [number, number], p: [number, number]): [number, number] {
  const [a0, d0] = [center[0] * RAD, center[1] * RAD];
  const [a, d] = [p[0] * RAD, p[1] * RAD];
  const cosc = Math.sin(d0) * Math.sin(d) + Math.cos(d0) * Math.cos(d) * Math.cos(a - a0);
  const xi = (Math.cos(d) * Math.sin(a - a0)) / cosc;
  const eta = (Math.cos(d0) * Math.sin(d) - Math.sin(d0) * Math.cos(d) * Math.cos(a - a0)) / cosc;
  return [xi / RAD, eta / RAD];
}

describe('overlay geometry', () => {
  it('places tangent-plane offsets on the sky (the inverse of the TAN projection), across RA 0 and near a pole', () => {
    for (const center of [[151.75, -40.44], [0.001, 10], [359.999, -5], [80, 89.99]] as Array<[number, number]>) {
      for (const [e, n] of [[0.01, 0], [0, 0.01], [-0.003, 0.004], [0.5, -0.2]]) {
        const p = skyOffset(center, e!, n!);
        assert.ok(p[0] >= 0 && p[0] < 360);
        const back = project(center, p);
        close(back[0], e!, 1e-8); // 36 µas: rounding near the pole
        close(back[1], n!, 1e-8);
      }
    }
    assert.deepEqual(skyOffset([10, 20], 0, 0), [10, 20]);
  });

  it('outlines image regions in 0-based pixels: circle, rotated box, ellipse, polygon', () => {
    const { regions } = parseDs9('image\ncircle(101,51,10)\nbox(11,21,4,2,90)\nellipse(11,21,6,3,0)\npolygon(1,1,10,1,10,10)');
    const [circle, box, ellipse, polygon] = regions.map(regionOutline);
    assert.equal(circle!.space, 'pixel');
    for (const [x, y] of circle!.points) close(Math.hypot(x - 100, y - 50), 10);
    // A 4 x 2 box turned by 90 degrees: 2 wide, 4 high, about (10, 20).
    const xs = box!.points.map((p) => p[0]);
    const ys = box!.points.map((p) => p[1]);
    close(Math.min(...xs), 9); close(Math.max(...xs), 11); close(Math.min(...ys), 18); close(Math.max(...ys), 22);
    close(Math.max(...ellipse!.points.map((p) => p[0])), 16);
    close(Math.max(...ellipse!.points.map((p) => p[1])), 23);
    assert.deepEqual(polygon!.points, [[0, 0], [9, 0], [9, 9]]);
  });

  it('outlines sky regions on the sky: radius in arcseconds, a box angle from West towards North', () => {
    const { regions } = parseDs9('fk5\ncircle(151.75,-40.44,3")\nbox(151.75,-40.44,10",2",0)\nbox(151.75,-40.44,10",2",90)');
    const c = regionOutline(regions[0]!);
    assert.equal(c.space, 'sky');
    for (const p of c.points) {
      const [e, n] = project([151.75, -40.44], p);
      close(Math.hypot(e, n) * 3600, 3, 1e-9);
    }
    // At angle 0 the 10" side runs East-West; at 90 along North-South.
    const span = (ps: Array<[number, number]>) => {
      const o = ps.map((p) => project([151.75, -40.44], p));
      return [Math.max(...o.map((q) => q[0])) - Math.min(...o.map((q) => q[0])), Math.max(...o.map((q) => q[1])) - Math.min(...o.map((q) => q[1]))].map((v) => v * 3600);
    };
    const [e0, n0] = span(regionOutline(regions[1]!).points);
    close(e0!, 10, 1e-6); close(n0!, 2, 1e-6);
    const [e90, n90] = span(regionOutline(regions[2]!).points);
    close(e90!, 2, 1e-6); close(n90!, 10, 1e-6);
  });

  it('finds the position columns of catalogues: JWST _cat.ecsv, find_stars, segmentation, SExtractor', () => {
    assert.deepEqual(findPositionColumns(['label', 'xcentroid', 'ycentroid', 'sky_centroid.ra', 'sky_centroid.dec']), { kind: 'sky', lon: 'sky_centroid.ra', lat: 'sky_centroid.dec' });
    assert.deepEqual(findPositionColumns(['label', 'xcentroid', 'ycentroid', 'sky_centroid_ra', 'sky_centroid_dec'], false), { kind: 'pixel', x: 'xcentroid', y: 'ycentroid', oneBased: false });
    assert.deepEqual(findPositionColumns(['id', 'xcentroid', 'ycentroid', 'flux'], true), { kind: 'pixel', x: 'xcentroid', y: 'ycentroid', oneBased: false });
    assert.deepEqual(findPositionColumns(['NUMBER', 'X_IMAGE', 'Y_IMAGE']), { kind: 'pixel', x: 'X_IMAGE', y: 'Y_IMAGE', oneBased: true });
    assert.deepEqual(findPositionColumns(['RA', 'DEC', 'MAG']), { kind: 'sky', lon: 'RA', lat: 'DEC' });
    assert.equal(findPositionColumns(['flux', 'wavelength']), null);
  });

  it('writes drawn shapes as DS9 image regions that read back to the same pixels', () => {
    const text = formatDs9([drawnToDs9({ kind: 'rectangle', x0: 10, y0: 20, x1: 19, y1: 24 }), drawnToDs9({ kind: 'ellipse', cx: 50.5, cy: 60, rx: 7, ry: 3 })]);
    const { regions, warnings } = parseDs9(text);
    assert.deepEqual(warnings, []);
    const box = regionOutline(regions[0]!).points;
    close(Math.min(...box.map((p) => p[0])), 9.5); close(Math.max(...box.map((p) => p[0])), 19.5);
    close(Math.min(...box.map((p) => p[1])), 19.5); close(Math.max(...box.map((p) => p[1])), 24.5);
    assert.deepEqual(regions[1], { system: 'image', shape: 'ellipse', center: [51.5, 61], radii: [7, 3], angle: 0 });
  });

  it('cuts out the view or a region in whole pixels, clipped to the image', () => {
    assert.deepEqual(viewRect({ cx: 50, cy: 50, scale: 2 }, { width: 40, height: 20 }, { width: 100, height: 100 }), { x: 40, y: 45, width: 21, height: 11 });
    assert.deepEqual(viewRect({ cx: 0, cy: 0, scale: 0.1 }, { width: 800, height: 600 }, { width: 100, height: 80 }), { x: 0, y: 0, width: 100, height: 80 });
    assert.equal(viewRect({ cx: -500, cy: 0, scale: 1 }, { width: 10, height: 10 }, { width: 100, height: 100 }), null);
    assert.deepEqual(shapeRect({ kind: 'ellipse', cx: 5, cy: 5, rx: 10, ry: 2.5 }, { width: 100, height: 100 }), { x: 0, y: 2, width: 16, height: 7 });
    assert.deepEqual(shapeRect({ kind: 'rectangle', x0: 3, y0: 4, x1: 5, y1: 9 }, { width: 100, height: 100 }), { x: 3, y: 4, width: 3, height: 6 });
  });
});
