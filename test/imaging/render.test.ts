import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { colormapIndex, colormapNames, CONTRACT_COLORMAPS, getColormap } from '../../src/imaging/colormaps/index.js';
import { parseColor, rasterize } from '../../src/imaging/rasterize.js';
import { encodeRaster } from '../../src/imaging/encode.js';
import { buildDisplayMapping } from '../../src/imaging/display.js';
import { renderPlane } from '../../src/imaging/preview.js';
import { planeOf, reference } from './reference.js';

/** PNG colour type byte of the IHDR chunk: 0 grey, 2 RGB, 4 grey+alpha, 6 RGBA. */
export function pngColorType(png: Buffer): number {
  assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
  return png[25]!;
}

describe('colormaps: matplotlib 3.6 tables', () => {
  it('has every contract name, grayscale being gray', () => {
    for (const name of CONTRACT_COLORMAPS) assert.ok(getColormap(name), name);
    assert.equal(getColormap('grayscale')!.name, 'gray');
    assert.ok(colormapNames().length >= 30);
    assert.equal(getColormap('nope'), undefined);
  });
  it('entries equal matplotlib get_cmap(name)(i, bytes=True)', () => {
    const expect: Record<string, Array<[number, [number, number, number]]>> = {
      gray: [[0, [0, 0, 0]], [1, [1, 1, 1]], [128, [128, 128, 128]], [254, [254, 254, 254]], [255, [255, 255, 255]]],
      viridis: [[0, [68, 1, 84]], [1, [68, 2, 85]], [128, [32, 144, 140]], [254, [250, 230, 34]], [255, [253, 231, 36]]],
      inferno: [[0, [0, 0, 3]], [128, [187, 55, 84]], [255, [252, 254, 164]]],
      jet: [[0, [0, 0, 127]], [128, [124, 255, 121]], [255, [127, 0, 0]]],
      hot: [[0, [10, 0, 0]], [128, [255, 91, 0]], [255, [255, 255, 255]]],
    };
    for (const [name, entries] of Object.entries(expect)) {
      const lut = getColormap(name)!.lut;
      for (const [i, rgb] of entries) assert.deepEqual([lut[3 * i], lut[3 * i + 1], lut[3 * i + 2]], rgb, `${name}[${i}]`);
    }
    assert.equal(getColormap('gray')!.isGrey, true);
    assert.equal(getColormap('viridis')!.isGrey, false);
  });
  it('maps x to floor(x * 256) clipped to 255 like Colormap.__call__', () => {
    assert.deepEqual([0, 0.5, 0.999, 1].map(colormapIndex), [0, 128, 255, 255]);
  });
});

describe('rasterize and encode', () => {
  const c = reference.cases.find((x) => x.name === 'snoww3d-jwst_miri_small.fits')!; // 732 NaNs
  const plane = planeOf(c);
  const mapping = buildDisplayMapping(plane.data, { stretch: 'zscale' });

  it('grey colormap with NaN -> grey+alpha PNG, NaN transparent, FITS row 1 at the bottom', async () => {
    const raster = rasterize(plane, mapping, getColormap('gray')!);
    assert.equal(raster.channels, 2);
    const png = await encodeRaster(raster, { format: 'png' });
    assert.equal(pngColorType(png), 4);
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    const ch = info.channels; // sharp may expand grey+alpha to RGBA when decoding
    // pixel (x, y) in FITS order is at raster row height-1-y
    for (let y = 0; y < c.height; y += 7) {
      for (let x = 0; x < c.width; x += 5) {
        const v = plane.data[y * c.width + x]!;
        const p = ((c.height - 1 - y) * c.width + x) * ch;
        if (Number.isNaN(v)) assert.equal(data[p + ch - 1], 0, 'NaN is transparent');
        else {
          assert.equal(data[p + ch - 1], 255);
          assert.equal(data[p], getColormap('gray')!.lut[3 * Math.min(255, Math.floor(mapping.map(v) * 256))]);
        }
      }
    }
  });

  it('no NaN -> no alpha: grey PNG is colour type 0, colour map is type 2', async () => {
    const full = planeOf(reference.cases.find((x) => x.name === 'astropy-m13.fits')!);
    const m = buildDisplayMapping(full.data, { stretch: 'asinh' });
    assert.equal(pngColorType(await encodeRaster(rasterize(full, m, getColormap('gray')!), { format: 'png' })), 0);
    assert.equal(pngColorType(await encodeRaster(rasterize(full, m, getColormap('inferno')!), { format: 'png' })), 2);
  });

  it('NaN with a colour map -> RGBA; an opaque no-data colour -> RGB with that colour', async () => {
    assert.equal(pngColorType(await encodeRaster(rasterize(plane, mapping, getColormap('viridis')!), { format: 'png' })), 6);
    const red = parseColor('#ff0000')!;
    const raster = rasterize(plane, mapping, getColormap('gray')!, red);
    assert.equal(raster.channels, 3);
    const nanAt = plane.data.findIndex((v) => Number.isNaN(v));
    const y = Math.floor(nanAt / c.width);
    const x = nanAt % c.width;
    const p = ((c.height - 1 - y) * c.width + x) * 3;
    assert.deepEqual(Array.from(raster.pixels.subarray(p, p + 3)), [255, 0, 0]);
  });

  it('JPEG honours quality and has no alpha; WebP encodes', async () => {
    const raster = rasterize(plane, mapping, getColormap('magma')!);
    const hi = await encodeRaster(raster, { format: 'jpeg', quality: 95 });
    const lo = await encodeRaster(raster, { format: 'jpeg', quality: 5 });
    assert.equal(hi[0], 0xff);
    assert.ok(lo.length < hi.length);
    assert.equal((await sharp(hi).metadata()).channels, 3);
    const webp = await encodeRaster(raster, { format: 'webp', quality: 80 });
    assert.equal(webp.subarray(8, 12).toString('latin1'), 'WEBP');
  });

  it('renderPlane output fits the box exactly', async () => {
    const r = await renderPlane(plane, { display: { stretch: 'zscale' }, colormap: getColormap('gray')!, width: 1000, height: 600, format: 'png' });
    assert.deepEqual([r.width, r.height], [600, 600]);
    const meta = await sharp(r.image).metadata();
    assert.deepEqual([meta.width, meta.height], [600, 600]);
  });

  it('parses no-data colours', () => {
    assert.deepEqual(parseColor('transparent'), { r: 0, g: 0, b: 0, a: 0 });
    assert.deepEqual(parseColor('#0f0'), { r: 0, g: 255, b: 0, a: 255 });
    assert.deepEqual(parseColor('10,20,30,40'), { r: 10, g: 20, b: 30, a: 40 });
    assert.deepEqual(parseColor('ff000080'), { r: 255, g: 0, b: 0, a: 128 });
    assert.equal(parseColor('nonsense'), undefined);
  });
});

describe('rasterize fast path', () => {
  it('the inlined affine mapping gives the same indices as map()', () => {
    const c = reference.cases.find((x) => x.name === 'synthetic-nan-inf')!;
    const plane = planeOf(c);
    for (const stretch of ['zscale', 'linear'] as const) {
      const m = buildDisplayMapping(plane.data, { stretch });
      assert.ok(m.affine, stretch);
      const fast = rasterize(plane, m, getColormap('gray')!);
      const slow = rasterize(plane, { applied: m.applied, map: m.map }, getColormap('gray')!);
      assert.deepEqual(fast.pixels, slow.pixels);
    }
    assert.equal(buildDisplayMapping(plane.data, { stretch: 'zscale', gamma: 2 }).affine, undefined);
    assert.equal(buildDisplayMapping(plane.data, { stretch: 'asinh' }).affine, undefined);
  });
});
