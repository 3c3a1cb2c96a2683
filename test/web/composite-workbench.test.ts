/**
 * The composite workbench's pure parts: which observations make a recipe's channels, the recipe
 * link's channels, and the preview drags (pan, crop box) in the route's crop units, checked
 * against the engine's own placement (src/composite/canvas.ts).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compositeParams, parseLinkedChannels, planRecipe, suggestRequest, targetOf, type Recipe } from '../../web/src/recipes.js';
import { cropTo, fillOf, panBy, type View } from '../../web/src/composite-view.js';
import type { MastRow } from '../../web/src/api/types.js';
import { placement } from '../../src/composite/canvas.js';
import { START_LOOK, START_OUTPUT, blocker, channel, compositeRequest, hueHex, previewSize, type Look, type Output } from '../../web/src/composite-request.js';

const row = (obs_id: string, filters: string, calib_level = 3, extra: Partial<MastRow> = {}): MastRow => ({
  obs_id, filters, calib_level, instrument_name: 'NIRCAM/IMAGE', target_name: 'NGC-3132', dataproduct_type: 'image', s_ra: 151.755, s_dec: -40.437, t_obs_release: 59773.6, ...extra,
});

const recipe = (filters: string[], ids: string[]): Recipe => ({
  name: 'test', rank: 1, filters, color_mapping: Object.fromEntries(filters.map((f, i) => [f, ['#0000ff', '#00ff00', '#ff0000', '#ffff00'][i]!])),
  instruments: ['NIRCAM'], requires_mosaic: false, estimated_time_seconds: 10, observation_ids: ids, description: '', overlap_warning: null, tag: null, recommended_feather_strength: null,
});

describe('recipes in the workbench', () => {
  it('sends rows with a filter and an instrument, and names the most frequent target', () => {
    const rows = [row('a', 'F090W'), row('b', ''), { obs_id: 'c', filters: 'F200W' } as MastRow, row('d', 'F444W', 3, { target_name: 'OTHER' })];
    const body = suggestRequest(rows, targetOf(rows)) as { target_name: string; observations: Array<Record<string, unknown>> };
    assert.equal(body.target_name, 'NGC-3132');
    assert.deepEqual(body.observations.map((o) => o.observation_id), ['a', 'd']);
    assert.deepEqual(Object.keys(body.observations[0]!).sort(), ['dataproduct_type', 'filter', 'instrument', 'observation_id', 's_dec', 's_ra', 't_obs_release']);
  });

  it('gives each filter its level-3 observations: a two-filter observation counts for its narrow band, several make a mosaic channel', () => {
    const rows = [
      row('o1-f090w', 'F090W'), row('l2-f090w', 'F090W', 2),
      row('o1-f444w-f470n', 'F444W;F470N'),
      row('o1-f212n', 'F212N'), row('o2-f212n', 'F212N'),
      row('not-in-recipe', 'F212N'),
    ];
    const plan = planRecipe(recipe(['F090W', 'F212N', 'F470N'], ['o1-f090w', 'l2-f090w', 'o1-f444w-f470n', 'o1-f212n', 'o2-f212n']), rows);
    assert.deepEqual(plan.unavailable, []);
    assert.deepEqual(plan.channels, [
      { filter: 'F090W', color: '#0000ff', obsIds: ['o1-f090w'] },
      { filter: 'F212N', color: '#00ff00', obsIds: ['o1-f212n', 'o2-f212n'] },
      { filter: 'F470N', color: '#ff0000', obsIds: ['o1-f444w-f470n'] },
    ]);
    // Only level 2 for a filter: not buildable from these results.
    assert.deepEqual(planRecipe(recipe(['F090W'], ['l2-f090w']), rows).unavailable, ['F090W']);
  });

  it('carries channels in the composite link and drops what is malformed', () => {
    const params = compositeParams([{ label: 'F090W', color: '#0000ff', files: ['mast/a/a_i2d.fits'] }], 0.2, 'NIRCAM classic');
    assert.equal(params.feather, '0.2');
    assert.deepEqual(parseLinkedChannels(params.channels!), [{ label: 'F090W', color: '#0000ff', files: ['mast/a/a_i2d.fits'] }]);
    assert.deepEqual(parseLinkedChannels('{'), []);
    assert.deepEqual(parseLinkedChannels('{"a":1}'), []);
    assert.deepEqual(parseLinkedChannels(JSON.stringify([{ label: 7, color: 'red', files: ['x.fits', 3] }, { files: [] }, null])), [{ label: '', color: '#ffffff', files: ['x.fits'] }]);
  });
});

describe('preview drags in the route units', () => {
  const W = 1000;
  const base: View = { rotation: 0, zoom: 1, centerX: 0.5, centerY: 0.5 };
  /** Canvas x (0-1) that shows picture fraction p of a square picture, as the engine places it. */
  const canvasOf = (v: View, p: number) => {
    const pl = placement(W, W, { width: W, height: W, zoom: v.zoom, centerX: v.centerX, centerY: v.centerY });
    return (p * pl.sw - pl.offX) / W;
  };

  it('panning keeps the picture under the pointer (crop_center over the scaled picture minus the canvas)', () => {
    for (const zoom of [1.5, 2, 4]) {
      const v = { ...base, zoom, centerX: 0.4 };
      const grabbed = 0.55; // picture fraction under the pointer at box x = canvasOf(v, grabbed)
      const before = canvasOf(v, grabbed);
      const pan = panBy(v, -0.1, 0.05)!;
      const after = canvasOf({ ...v, ...pan }, grabbed);
      assert.ok(Math.abs(after - (before - 0.1)) < 2e-3, `zoom ${zoom}: ${before} -> ${after}`);
    }
    assert.equal(panBy(base, 0.2, 0.2), null, 'nothing to pan at zoom 1');
  });

  it('a framed box fills the canvas: zoom by its larger side, its centre at the canvas centre', () => {
    for (const v of [base, { ...base, zoom: 2, centerX: 0.25, centerY: 0.8 }, { ...base, zoom: 0.5 }]) {
      const box = { x0: 0.3, y0: 0.35, x1: 0.55, y1: 0.5 };
      // the picture fractions at the box's centre, before
      const pl = placement(W, W, { width: W, height: W, zoom: v.zoom, centerX: v.centerX, centerY: v.centerY });
      const px = (((box.x0 + box.x1) / 2) * W + pl.offX) / pl.sw;
      const framed = cropTo(v, box)!;
      assert.ok(Math.abs(framed.zoom - Math.min(5, v.zoom / 0.25)) < 1e-3);
      assert.ok(Math.abs(canvasOf({ ...v, ...framed }, px) - 0.5) < 2e-3, `box centre at the canvas centre (zoom ${v.zoom})`);
    }
    assert.equal(cropTo(base, { x0: 0.5, y0: 0.5, x1: 0.505, y1: 0.5 }), null, 'a click frames nothing');
  });

  // Oblong canvases and pictures: the picture fills one axis only at zoom 1.
  const shapes = [
    { cw: 1600, ch: 900, pw: 1000, ph: 1000 }, // square picture on a wide canvas
    { cw: 1000, ch: 1000, pw: 2000, ph: 700 }, // wide picture on a square canvas
    { cw: 800, ch: 1200, pw: 1500, ph: 900 }, // wide picture on a tall canvas
  ];
  /** Canvas fractions (x, y) showing picture fractions (px, py), as the engine places the picture. */
  const canvasAt = (s: (typeof shapes)[number], v: View, px: number, py: number) => {
    const pl = placement(s.pw, s.ph, { width: s.cw, height: s.ch, zoom: v.zoom, centerX: v.centerX, centerY: v.centerY });
    return { x: (px * pl.sw - pl.offX) / s.cw, y: (py * pl.sh - pl.offY) / s.ch };
  };

  it('on oblong canvases and pictures, panning keeps the picture under the pointer on every axis that can move', () => {
    for (const s of shapes) {
      const fill = fillOf(s.cw, s.ch, s.pw, s.ph);
      for (const zoom of [1.3, 2, 4]) {
        const v = { ...base, zoom, centerX: 0.45, centerY: 0.55 };
        const before = canvasAt(s, v, 0.5, 0.5);
        const pan = panBy(v, -0.05, 0.04, fill)!;
        const after = canvasAt(s, { ...v, ...pan }, 0.5, 0.5);
        // an axis larger than the canvas follows the pointer; one that is not stays centred
        const movesX = fill.x * zoom > 1, movesY = fill.y * zoom > 1;
        assert.ok(Math.abs(after.x - (before.x - (movesX ? 0.05 : 0))) < 3e-3, `${JSON.stringify(s)} zoom ${zoom}: x ${before.x} -> ${after.x}`);
        assert.ok(Math.abs(after.y - (before.y + (movesY ? 0.04 : 0))) < 3e-3, `${JSON.stringify(s)} zoom ${zoom}: y ${before.y} -> ${after.y}`);
      }
    }
    assert.equal(panBy({ ...base, zoom: 0.9 }, 0.1, 0.1, fillOf(800, 1200, 1500, 900)), null, 'the picture is inside the canvas on both axes');
    assert.deepEqual(panBy({ ...base, zoom: 1.2 }, 0.1, 0.1, fillOf(1600, 900, 1000, 1000)), { centerX: 0.5, centerY: 0 }, 'only the axis the picture overflows pans');
  });

  it('on oblong canvases and pictures, a framed box ends centred on the canvas', () => {
    for (const s of shapes) {
      const fill = fillOf(s.cw, s.ch, s.pw, s.ph);
      for (const v of [base, { ...base, zoom: 2, centerX: 0.3, centerY: 0.7 }]) {
        const box = { x0: 0.4, y0: 0.42, x1: 0.6, y1: 0.58 };
        const pl = placement(s.pw, s.ph, { width: s.cw, height: s.ch, zoom: v.zoom, centerX: v.centerX, centerY: v.centerY });
        const px = (((box.x0 + box.x1) / 2) * s.cw + pl.offX) / pl.sw;
        const py = (((box.y0 + box.y1) / 2) * s.ch + pl.offY) / pl.sh;
        const framed = cropTo(v, box, fill)!;
        const at = canvasAt(s, { ...v, ...framed }, px, py);
        assert.ok(Math.abs(at.x - 0.5) < 3e-3 && Math.abs(at.y - 0.5) < 3e-3, `${JSON.stringify(s)} zoom ${v.zoom}: box centre at ${at.x}, ${at.y}`);
      }
    }
  });
});

describe('the composite request of the page', () => {
  const view: View = { rotation: 12.345, zoom: 1.5, centerX: 0.25, centerY: 0.75 };
  const chans = [channel('#0000ff', 'F090W', ['a.fits']), { ...channel('#00ff00', '', ['b.fits']), hue: 120, wavelength: 1.87 }, { ...channel('#ff0000', 'L', ['c.fits']), luminance: true }];

  it('sends each whole-picture adjustment only when it differs from the engine default', () => {
    const body = compositeRequest(chans, view, START_LOOK, START_OUTPUT);
    assert.equal(body.background_neutralization, true);
    assert.equal(body.overall, null);
    assert.equal(body.sharpening, null);
    assert.equal(body.saturation, null);
    assert.equal(body.feather_strength, null);
    assert.equal(body.quality, null, 'PNG: no quality');
    assert.deepEqual([body.width, body.height, body.output_format, body.embed_avm, body.avm_metadata, body.allow_force_downscale, body.debug_masks], [1000, 1000, 'png', true, null, false, false]);
    assert.deepEqual([body.rotation_degrees, body.crop_zoom, body.crop_center_x, body.crop_center_y], [12.35, 1.5, 0.25, 0.75]);
    const cs = body.channels as Array<Record<string, unknown>>;
    assert.deepEqual(cs.map((c) => c.label), ['F090W', 'ch2', 'L']);
    assert.deepEqual(cs.map((c) => c.color), [{ rgb: [0, 0, 1] }, { hue: 120 }, { luminance: true }]);
    assert.deepEqual(cs.map((c) => c.wavelength_um), [undefined, 1.87, undefined]);
    assert.ok(cs.every((c) => !('stretch' in c)), 'automatic channels send no tone field');

    const look: Look = { neutralize: false, overall: { on: true, stretch: 'asinh', black: 0.01, white: 0.99, gamma: 1.2, asinhA: 0.2 }, sharpen: { radius: 2, amount: 0.8, threshold: 0.05 }, saturation: 1, vibrancy: 0.3, hueShift: -10, feather: 0.2 };
    const out: Output = { ...START_OUTPUT, width: 800, height: 450, format: 'jpeg', quality: 80, forceDownscale: true, masks: true, avm: { ...START_OUTPUT.avm, target_name: 'NGC 3132', description: ' ' } };
    const b = compositeRequest(chans, view, look, out);
    assert.equal(b.background_neutralization, false);
    assert.deepEqual(b.overall, { stretch: 'asinh', black_point: 0.01, white_point: 0.99, gamma: 1.2, asinh_a: 0.2 });
    assert.deepEqual(b.sharpening, { radius: 2, amount: 0.8, threshold: 0.05 });
    assert.deepEqual(b.saturation, { saturation: 1, vibrancy: 0.3, hue_rotation: -10 });
    assert.deepEqual([b.feather_strength, b.width, b.height, b.output_format, b.quality, b.allow_force_downscale, b.debug_masks], [0.2, 800, 450, 'jpeg', 80, true, true]);
    assert.equal(b.avm_metadata, JSON.stringify({ target_name: 'NGC 3132' }), 'blank AVM fields are left out');
    assert.equal(compositeRequest(chans, view, look, { ...out, embedAvm: false }).avm_metadata, null);
  });

  it('previews the same settings as a JPEG with the canvas aspect, 360 px at most on its longest side', () => {
    const out: Output = { ...START_OUTPUT, width: 800, height: 450, format: 'png' };
    const p = compositeRequest(chans, view, START_LOOK, out, true);
    assert.deepEqual([p.width, p.height, p.output_format, p.quality, p.embed_avm, p.avm_metadata], [360, 203, 'jpeg', null, false, null]);
    assert.deepEqual(previewSize({ width: 200, height: 300 }), { width: 200, height: 300 }, 'never larger than the output');
  });

  it('names what keeps the page from rendering', () => {
    assert.equal(blocker(chans), null);
    assert.match(blocker([channel('#fff')]) ?? '', /files/);
    assert.match(blocker([{ ...chans[2]! }]) ?? '', /colour/);
    assert.match(blocker([chans[0]!, { ...chans[1]!, label: 'F090W' }]) ?? '', /F090W.*differ/);
    assert.match(blocker([chans[0]!, chans[2]!, { ...chans[2]!, label: 'L2' }]) ?? '', /one channel can be the luminance/);
    assert.equal(hueHex(120), '#00ff00');
    assert.equal(hueHex(30), '#ff8000');
  });
});
