/**
 * The canvas steps of the composite against direct resampling written here: rotation (clockwise,
 * grown canvas, bilinear, black outside) at arbitrary angles, placement with zoom and pan, and the
 * AVM/WCS of the final canvas (each canvas pixel shows the sky position of the grid pixel it samples).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compose, placeOnCanvas, placement, rotateImage, rotatedSize, type RgbImage } from '../../src/composite/canvas.js';
import { canvasWcs } from '../../src/composite/pipeline.js';
import { makeCelestialDefinition } from '../../src/reproject/optimal-wcs.js';
import { Wcs } from '../../src/wcs/index.js';

function pattern(width: number, height: number): RgbImage {
  const data = new Float32Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = 3 * (y * width + x);
      data[i] = (x / width) ** 2;
      data[i + 1] = 0.5 + 0.5 * Math.sin(x / 3) * Math.cos(y / 4);
      data[i + 2] = y / height;
    }
  }
  return { width, height, data };
}

/** Bilinear value of channel k at (x, y), black outside, written independently of canvas.ts. */
function direct(img: RgbImage, x: number, y: number, k: number): number {
  let v = 0;
  for (const [xx, wx] of [[Math.floor(x), 1 - (x - Math.floor(x))], [Math.floor(x) + 1, x - Math.floor(x)]] as const) {
    for (const [yy, wy] of [[Math.floor(y), 1 - (y - Math.floor(y))], [Math.floor(y) + 1, y - Math.floor(y)]] as const) {
      if (xx < 0 || yy < 0 || xx >= img.width || yy >= img.height) continue;
      v += wx * wy * img.data[3 * (yy * img.width + xx) + k]!;
    }
  }
  return v;
}

describe('composite canvas', () => {
  it('rotates clockwise about the centre into a grown canvas, as direct bilinear resampling', () => {
    const img = pattern(37, 23);
    for (const deg of [30, -47.5, 90, 180, 12.25]) {
      const { image } = rotateImage(img, deg);
      const size = rotatedSize(37, 23, deg);
      assert.deepEqual([image.width, image.height], [size.width, size.height]);
      const t = (deg * Math.PI) / 180;
      let worst = 0;
      for (let y = 0; y < image.height; y++) {
        for (let x = 0; x < image.width; x++) {
          // output offset from its centre, turned back anticlockwise (y points down)
          const ox = x - (image.width - 1) / 2;
          const oy = y - (image.height - 1) / 2;
          const sx = Math.cos(t) * ox + Math.sin(t) * oy + 18;
          const sy = -Math.sin(t) * ox + Math.cos(t) * oy + 11;
          for (let k = 0; k < 3; k++) worst = Math.max(worst, Math.abs(image.data[3 * (y * image.width + x) + k]! - direct(img, sx, sy, k)));
        }
      }
      assert.ok(worst < 1e-5, `${deg} degrees: ${worst}`);
    }
    // clockwise: a bright pixel right of the centre moves below it at 90 degrees
    const dot: RgbImage = { width: 5, height: 5, data: new Float32Array(75) };
    dot.data[3 * (2 * 5 + 4)] = 1;
    const turned = rotateImage(dot, 90).image;
    assert.ok(turned.data[3 * (4 * 5 + 2)]! > 0.99);
  });

  it('places the scaled picture centred, or panned when zoomed past the canvas', () => {
    const img = pattern(40, 20);
    const fit = placeOnCanvas(img, { width: 80, height: 80, zoom: 1, centerX: 0.5, centerY: 0.5 });
    // 40x20 scaled by 2 is 80x40, centred vertically: rows 0..19 and 60..79 are black
    assert.equal(fit.image.data[3 * (10 * 80 + 40)], 0);
    assert.ok(fit.image.data[3 * (40 * 80 + 79)]! > 0.8);
    const p = placement(40, 20, { width: 30, height: 30, zoom: 3, centerX: 1, centerY: 0 });
    assert.equal(p.offX, p.sw - 30);
    assert.equal(p.offY, 0);
    const zoomed = placeOnCanvas(img, { width: 30, height: 30, zoom: 3, centerX: 1, centerY: 0 });
    let worst = 0;
    for (let y = 0; y < 30; y++) {
      for (let x = 0; x < 30; x++) {
        const sx = Math.min(39, Math.max(0, (x + p.offX + 0.5) * (40 / p.sw) - 0.5));
        const sy = Math.min(19, Math.max(0, (y + p.offY + 0.5) * (20 / p.sh) - 0.5));
        for (let k = 0; k < 3; k++) worst = Math.max(worst, Math.abs(zoomed.image.data[3 * (y * 30 + x) + k]! - direct(img, sx, sy, k)));
      }
    }
    assert.ok(worst < 1e-5, `zoomed: ${worst}`);
  });

  it('gives the canvas a WCS that follows crop, rotation and scaling', () => {
    const def = makeCelestialDefinition({ system: 'icrs' }, 'TAN', [150, 2], 1e-4, [50.5, 30.5]);
    // grid pixel (x, y) <- canvas pixel: turned 30 degrees, scaled by 0.7, shifted
    const t = Math.PI / 6;
    const m = compose({ a: 0.7, b: 0, c: 3, d: 0, e: 0.7, f: -2 }, { a: Math.cos(t), b: Math.sin(t), c: 10, d: -Math.sin(t), e: Math.cos(t), f: 5 });
    const grid = new Wcs(def);
    const canvas = new Wcs(canvasWcs(def, m));
    for (const [u, v] of [[0, 0], [17, 4], [60, 33]] as const) {
      const gx = m.a * u + m.b * v + m.c;
      const gy = m.d * u + m.e * v + m.f;
      const want = grid.pixelToWorld([gx, gy]);
      const got = canvas.pixelToWorld([u, v]);
      assert.ok(Math.abs(got[0]! - want[0]!) < 1e-10 && Math.abs(got[1]! - want[1]!) < 1e-10, `${u},${v}: ${got} vs ${want}`);
    }
  });
});
