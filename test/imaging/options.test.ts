import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseHistogramParams, parsePixelDataParams, parsePreviewParams } from '../../src/imaging/options.js';
import { ImagingError } from '../../src/imaging/errors.js';

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ImagingError);
    assert.equal(err.httpStatus, 400);
    return err.message;
  }
  assert.fail('expected a validation error');
}

describe('preview parameters: contract defaults, order and messages', () => {
  it('defaults', () => {
    const r = parsePreviewParams({});
    assert.equal(r.width, 1000);
    assert.equal(r.height, 1000);
    assert.equal(r.colormap.name, 'gray');
    assert.deepEqual(r.display, { stretch: 'zscale', gamma: 1, blackPoint: 0, whitePoint: 1, asinhA: 0.1 });
    assert.equal(r.format, 'png');
    assert.equal(r.quality, 90);
    assert.equal(r.sliceIndex, -1);
    assert.equal(r.nanColor.a, 0);
  });
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ width: 9 }, 'Width must be between 10 and 8000 pixels'],
    [{ width: 8001 }, 'Width must be between 10 and 8000 pixels'],
    [{ height: 5 }, 'Height must be between 10 and 8000 pixels'],
    [{ gamma: 0.05 }, 'Gamma must be between 0.1 and 5.0'],
    [{ gamma: 5.5 }, 'Gamma must be between 0.1 and 5.0'],
    [{ quality: 0 }, 'Quality must be between 1 and 100'],
    [{ format: 'gif' }, "Format must be 'png', 'jpeg' or 'webp'"],
    [{ black_point: -0.1 }, 'Black point must be between 0.0 and 1.0'],
    [{ white_point: 1.1 }, 'White point must be between 0.0 and 1.0'],
    [{ black_point: 0.5, white_point: 0.5 }, 'Black point must be less than white point'],
    [{ asinh_a: 0.0001 }, 'Asinh softening parameter must be between 0.001 and 1.0'],
    [{ slice_index: -2 }, 'Slice index must be -1 or greater'],
    [{ stretch: 'cubic' }, "Invalid stretch 'cubic'. Valid options: asinh, histeq, linear, log, power, sqrt, zscale"],
    [{ nan_color: 'blurple' }, "Invalid nan_color 'blurple'. Use 'transparent', '#rrggbb', '#rrggbbaa' or 'r,g,b[,a]'"],
    // upstream order: width before everything, cmap before stretch
    [{ width: 1, stretch: 'x', cmap: 'x' }, 'Width must be between 10 and 8000 pixels'],
    [{ gamma: 9, quality: 0 }, 'Gamma must be between 0.1 and 5.0'],
  ];
  for (const [params, expected] of cases) {
    it(`${JSON.stringify(params)} -> ${expected}`, () => assert.equal(message(() => parsePreviewParams(params)), expected));
  }
  it('invalid colormap names the valid ones, checked before the stretch', () => {
    const m = message(() => parsePreviewParams({ cmap: 'nope', stretch: 'nope' }));
    assert.match(m, /^Invalid colormap 'nope'\. Valid options: .*gray, grayscale, .*inferno, jet, magma.*viridis/);
  });
});

describe('histogram and pixeldata parameters', () => {
  it('histogram order and messages', () => {
    assert.equal(message(() => parseHistogramParams({ bins: 9 })), 'Bins must be between 10 and 10000');
    assert.equal(message(() => parseHistogramParams({ bins: 10001 })), 'Bins must be between 10 and 10000');
    assert.equal(message(() => parseHistogramParams({ stretch: 'x', black_point: 3 })), "Invalid stretch 'x'. Must be one of: asinh, histeq, linear, log, power, sqrt, zscale");
    assert.equal(message(() => parseHistogramParams({ black_point: 0.9, white_point: 0.1 })), 'Black point must be less than white point');
    assert.equal(message(() => parseHistogramParams({ slice_index: -3 })), 'Slice index must be -1 or greater');
    assert.equal(parseHistogramParams({}).bins, 256);
  });
  it('pixeldata', () => {
    assert.equal(message(() => parsePixelDataParams({ max_size: 99 })), 'Max size must be between 100 and 8000');
    assert.equal(message(() => parsePixelDataParams({ slice_index: -2 })), 'Slice index must be -1 or greater');
    assert.deepEqual(parsePixelDataParams({}), { maxSize: 1200, sliceIndex: -1 });
  });
});
