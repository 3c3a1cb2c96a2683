/**
 * The composite workbench end to end in Debian's Chromium (playwright-core): three NIRCam
 * filters of the fake MAST's NGC 3132 picked per channel, a live low-resolution preview with the
 * quality score, then the full resolution; a colour picked, the luminance box, and rotation and
 * pan by dragging the preview, each answered by a new render whose channels come from the
 * engine's reprojection cache; a white point dragged on its slider renders previews only until
 * the pointer is released, then the full resolution; a crop box framed on the preview.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { browserStack, placeFakeI2d } from './harness.js';
import { placement } from '../../src/composite/canvas.js';
import { fillOf } from '../../web/src/composite-view.js';

const FILTERS = ['f090w', 'f187n', 'f212n'];

describe('composite workbench, end to end', { timeout: 900_000 }, () => {
  const e2e = browserStack({ viewport: { width: 1366, height: 1100 } }, (stack) => placeFakeI2d(stack, FILTERS));

  const stateText = () => e2e.page.getByTestId('preview-state').textContent();
  /** Resolves with the next full-resolution (1000 px) render's response (register before acting). */
  const nextFull = (also: (body: { channels: Array<{ color: unknown }> }) => boolean = () => true) => e2e.page.waitForResponse((r) => {
    if (!r.url().endsWith('/composite/generate-nchannel') || r.status() !== 200) return false;
    const body = JSON.parse(r.request().postData() ?? '{}') as { width?: number; channels: Array<{ color: unknown }> };
    return body.width === 1000 && also(body);
  });
  /** The picture's size before placement, from the render's X-Composite-Picture-Size. */
  const pictureOf = (r: { headers(): Record<string, string> }) => {
    const [w, h] = (r.headers()['x-composite-picture-size'] ?? '').split(',').map(Number);
    assert.ok(w! > 0 && h! > 0, `picture size ${r.headers()['x-composite-picture-size']}`);
    return { w: w!, h: h! };
  };
  /** Canvas fractions (x, y) that show picture fractions (px, py), as the engine places the picture on the 1000 px canvas. */
  const canvasAt = (pic: { w: number; h: number }, v: { zoom: number; cx: number; cy: number }, px: number, py: number) => {
    const pl = placement(pic.w, pic.h, { width: 1000, height: 1000, zoom: v.zoom, centerX: v.cx, centerY: v.cy });
    return { x: (px * pl.sw - pl.offX) / 1000, y: (py * pl.sh - pl.offY) / 1000 };
  };
  const fullShown = () => e2e.page.waitForFunction(`/Full resolution/.test(document.querySelector('[data-testid=preview-state]')?.textContent ?? '')`);

  it('previews at low resolution, then full resolution, with the quality score; colour, luminance, rotate and pan by dragging re-render from the cache', async () => {
    const renders: Array<{ width: number; cache: string | null; body: Record<string, unknown> }> = [];
    e2e.page.on('response', (res) => {
      if (!res.url().endsWith('/composite/generate-nchannel') || res.status() !== 200) return;
      const body = JSON.parse(res.request().postData() ?? '{}') as Record<string, unknown>;
      renders.push({ width: body.width as number, cache: res.headers()['x-composite-cache'] ?? null, body });
    });
    await e2e.page.goto(`${e2e.stack.url}/app/#/composite`);
    for (const [i, f] of FILTERS.entries()) {
      const select = e2e.page.locator(`#ch${i}-files`);
      await select.locator('option').first().waitFor({ state: 'attached' });
      await select.selectOption([`mast/jw02733-o001_t001_nircam_clear-${f}/jw02733-o001_t001_nircam_clear-${f}_i2d.fits`]);
    }
    await e2e.page.getByTestId('composite-preview').waitFor();
    await e2e.page.waitForFunction(`/Full resolution/.test(document.querySelector('[data-testid=preview-state]')?.textContent ?? '')`);
    const quality = await e2e.page.getByTestId('quality-score').textContent();
    const score = Number(/quality ([\d.]+) \/ 5/.exec(quality ?? '')?.[1]);
    assert.ok(score >= 1 && score <= 5, `quality score shown: ${quality}`);
    assert.ok(renders.some((r) => r.width === 360) && renders.some((r) => r.width === 1000), `preview then full: ${JSON.stringify(renders)}`);

    // A colour change: a new preview, its channels from the cache.
    const before = renders.length;
    let full = nextFull();
    await e2e.page.locator('#ch0-color').fill('#3355ff');
    await full;
    await fullShown();
    const after = renders.slice(before);
    assert.ok(after.length >= 1 && after.every((r) => r.cache === '3/3'), `re-renders from the cache: ${JSON.stringify(after.map((r) => [r.width, r.cache]))}`);

    // Rotate by dragging (rotate mode): a quarter turn around the centre is about +90 degrees.
    await e2e.page.locator('#comp-drag').selectOption('rotate');
    await e2e.page.getByTestId('composite-preview').scrollIntoViewIfNeeded();
    const box = (await e2e.page.getByTestId('composite-preview').boundingBox())!;
    const cx = box.x + box.width / 2;
    const cy = box.y + box.height / 2;
    const rotated = nextFull((b) => Math.abs(((b as unknown as { rotation_degrees?: number }).rotation_degrees ?? 0) - 90) < 3);
    await e2e.page.mouse.move(cx + 150, cy);
    await e2e.page.mouse.down();
    await e2e.page.mouse.move(cx + 106, cy + 106, { steps: 4 });
    await e2e.page.mouse.move(cx, cy + 150, { steps: 4 });
    await e2e.page.mouse.up();
    const rotation = Number(await e2e.page.locator('#comp-rotation').inputValue());
    assert.ok(Math.abs(rotation - 90) < 3, `rotation after dragging a quarter turn clockwise: ${rotation}`);
    // the rotated picture on screen before it is dragged, as a user sees it (drags follow the picture shown)
    await rotated;
    await fullShown();

    // Pan by dragging once zoomed in.
    await e2e.page.locator('#comp-drag').selectOption('pan');
    await e2e.page.locator('#comp-zoom').fill('2');
    await e2e.page.mouse.move(cx, cy);
    await e2e.page.mouse.down();
    await e2e.page.mouse.move(cx - 96, cy, { steps: 4 });
    await e2e.page.mouse.up();
    full = nextFull((b) => JSON.stringify(b.channels[2]?.color) === '{"luminance":true}');
    await e2e.page.locator('#ch2-lum').check();
    await full;
    await fullShown();
    assert.match(await stateText() ?? '', /Full resolution \(1000 px\)/);
    const last = JSON.parse((await full).request().postData()!) as { crop_zoom: number; crop_center_x: number; crop_center_y: number; rotation_degrees: number; channels: Array<{ color: unknown }> };
    assert.equal(last.crop_zoom, 2);
    // the picture follows the pointer: the picture point under it moved 96 px of the 480 px box
    // (0.2 of the canvas) left, whatever the rotated picture's shape (checked with the engine's placement)
    const pic = pictureOf(await full);
    const moved = canvasAt(pic, { zoom: 2, cx: last.crop_center_x, cy: last.crop_center_y }, 0.5, 0.5).x - canvasAt(pic, { zoom: 2, cx: 0.5, cy: last.crop_center_y }, 0.5, 0.5).x;
    assert.ok(Math.abs(moved + 0.2) < 0.02, `dragging 96 px left at zoom 2 moves the picture 0.2 left: ${moved} (crop_center_x ${last.crop_center_x}, picture ${pic.w}x${pic.h})`);
    assert.ok(Math.abs(last.rotation_degrees - rotation) < 1e-6);
    assert.deepEqual(last.channels[2]!.color, { luminance: true });
  });

  it('starts a manual stretch from the automatic tone, renders previews only while a slider is held and the full resolution on release', async () => {
    let released = false;
    const sent: Array<{ width: number; released: boolean; body: { channels: Array<Record<string, unknown>> } }> = [];
    const onRequest = (r: import('playwright-core').Request) => {
      if (!r.url().endsWith('/composite/generate-nchannel')) return;
      const body = JSON.parse(r.postData() ?? '{}') as { width: number; channels: Array<Record<string, unknown>> };
      sent.push({ width: body.width, released, body });
    };
    e2e.page.on('request', onRequest);
    try {
      // leaving automatic starts from the engine's automatic tone of the channel
      const analysis = e2e.page.waitForResponse((r) => r.url().endsWith('/composite/analyze-channels') && r.status() === 200);
      let full = nextFull((b) => (b.channels[0] as Record<string, unknown>).stretch === 'asinh');
      await e2e.page.locator('#ch0-stretch').selectOption('asinh');
      const suggested = ((await (await analysis).json()) as { channels: Array<{ params: { black_point: number; gamma: number } }> }).channels[0]!.params;
      await full;
      // the full resolution of the curve change: nothing renders after it
      full = nextFull((b) => (b.channels[0] as Record<string, unknown>).curve === 's_curve');
      await e2e.page.locator('#ch0-curve').selectOption('s_curve');
      await full;
      await fullShown();
      const white = e2e.page.locator('#ch0-white');
      await white.scrollIntoViewIfNeeded();
      const box = (await white.boundingBox())!;
      const y = box.y + box.height / 2;
      sent.length = 0;
      full = nextFull();
      // nothing renders now, so the first preview answered from here on is of a held value
      const preview = e2e.page.waitForResponse((r) => r.url().endsWith('/composite/generate-nchannel') && r.status() === 200
        && (JSON.parse(r.request().postData() ?? '{}') as { width?: number }).width === 360);
      // from the right end (1.0) towards the middle of the range, held
      await e2e.page.mouse.move(box.x + box.width - 4, y);
      await e2e.page.mouse.down();
      for (let k = 1; k <= 6; k++) await e2e.page.mouse.move(box.x + box.width - 4 - k * (box.width / 14), y, { steps: 2 });
      // a preview arrives while the pointer is still down
      await preview;
      const held = Number(await white.inputValue());
      released = true;
      await e2e.page.mouse.up();
      const last = JSON.parse((await full).request().postData()!) as { channels: Array<Record<string, unknown>> };
      await fullShown();
      assert.ok(held < 0.9, `the slider moved: ${held}`);
      assert.ok(sent.filter((r) => !r.released).every((r) => r.width === 360), `only previews while held: ${JSON.stringify(sent.map((r) => [r.width, r.released]))}`);
      assert.ok(sent.some((r) => !r.released), 'previews while held');
      assert.equal(last.channels[0]!.white_point, held, 'the full resolution renders the released value');
      assert.ok(Math.abs((last.channels[0]!.black_point as number) - Math.min(suggested.black_point, 0.5)) < 1e-3, `black point from the analysis: ${String(last.channels[0]!.black_point)} vs ${suggested.black_point}`);
      assert.ok(Math.abs((last.channels[0]!.gamma as number) - Math.min(Math.max(suggested.gamma, 0.2), 5)) < 0.01, `gamma from the analysis: ${String(last.channels[0]!.gamma)} vs ${suggested.gamma}`);
      assert.equal(last.channels[0]!.curve, 's_curve');
      assert.equal(last.channels[1]!.stretch, undefined, 'automatic channels send no tone field');
    } finally {
      e2e.page.off('request', onRequest);
    }
  });

  it('frames a crop box on the preview: zoom by its size, centre on it', async () => {
    const reset = nextFull((b) => (b as unknown as { rotation_degrees: number; crop_zoom: number }).rotation_degrees === 0 && (b as unknown as { crop_zoom: number }).crop_zoom === 1);
    await e2e.page.getByRole('button', { name: 'Reset view' }).click();
    await e2e.page.locator('#comp-drag').selectOption('crop');
    // the unrotated picture on screen before the box is framed (drags follow the picture shown)
    const shownPic = pictureOf(await reset);
    const fill = fillOf(1000, 1000, shownPic.w, shownPic.h);
    await e2e.page.waitForFunction(`document.querySelector('[data-testid=composite-preview]')?.dataset.fill === '${fill.x.toFixed(4)},${fill.y.toFixed(4)}'`);
    await fullShown();
    await e2e.page.getByTestId('composite-preview').scrollIntoViewIfNeeded();
    const box = (await e2e.page.getByTestId('composite-preview').boundingBox())!;
    const full = nextFull((b) => (b as unknown as { crop_zoom: number }).crop_zoom === 4);
    // the lower-right quarter's upper-left quarter: x and y from 0.5 to 0.75 of the box
    await e2e.page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5);
    await e2e.page.mouse.down();
    await e2e.page.mouse.move(box.x + box.width * 0.75, box.y + box.height * 0.75, { steps: 5 });
    await e2e.page.getByTestId('crop-box').waitFor();
    await e2e.page.mouse.up();
    const res = await full;
    const body = JSON.parse(res.request().postData()!) as { crop_zoom: number; crop_center_x: number; crop_center_y: number; rotation_degrees: number };
    await fullShown();
    // the picture point at the box centre (0.625 of the canvas at zoom 1) now at the canvas centre,
    // by the engine's own placement of this picture (not square: its size from the header)
    const pic = pictureOf(res);
    const start = placement(pic.w, pic.h, { width: 1000, height: 1000, zoom: 1, centerX: 0.5, centerY: 0.5 });
    const px = (625 + start.offX) / start.sw, py = (625 + start.offY) / start.sh;
    const at = canvasAt(pic, { zoom: 4, cx: body.crop_center_x, cy: body.crop_center_y }, px, py);
    assert.ok(Math.abs(at.x - 0.5) < 0.01 && Math.abs(at.y - 0.5) < 0.01, `box centre lands at ${at.x}, ${at.y} (crop centre ${body.crop_center_x}, ${body.crop_center_y}; picture ${pic.w}x${pic.h})`);
    assert.equal(body.rotation_degrees, 0);
    assert.equal(await e2e.page.getByTestId('crop-box').count(), 0);
  });
});
