/**
 * The full-resolution viewer in real headless Chromium (Debian's, WebGL2 through SwiftShader)
 * against the engine, on a 4000 x 4000 float32 image: tiles at the level the zoom needs, a single
 * bright pixel visible at native zoom with its true value, the cursor read-out equal to the data at
 * 20 random positions (at native and fitted zoom), colour changes without a server request, the sky
 * grid, compass, scale bar and colour bar, and the view restored from the URL on reload.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Browser, Page } from 'playwright-core';
import { encodeFits } from '../../src/fits/index.js';
import { launchChromium, openPage, startStack, type Stack } from './harness.js';
import { mulberry32 as rng } from '../helpers/prng.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const N = 4000;
const BRIGHT = { x: 2345, y: 1234 };


describe('full-resolution viewer, end to end', { timeout: 900_000 }, () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  const data = new Float32Array(N * N);

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}: install Debian's chromium (.ci/run does)`);
    stack = await startStack();
    const r = rng(42);
    for (let i = 0; i < data.length; i++) data[i] = 0.5 + r() * 2 + ((i % N) / N) * 0.5;
    for (let y = 3000; y < 3040; y++) for (let x = 100; x < 180; x++) data[y * N + x] = NaN;
    data[BRIGHT.y * N + BRIGHT.x] = 5000;
    const cards = [
      { keyword: 'CTYPE1', value: 'RA---TAN' }, { keyword: 'CTYPE2', value: 'DEC--TAN' },
      { keyword: 'CRVAL1', value: 151.75 }, { keyword: 'CRVAL2', value: -40.44 },
      { keyword: 'CRPIX1', value: 2000.5 }, { keyword: 'CRPIX2', value: 2000.5 },
      { keyword: 'CDELT1', value: -8.6e-6 }, { keyword: 'CDELT2', value: 8.6e-6 },
      { keyword: 'PC1_1', value: 0.94 }, { keyword: 'PC1_2', value: 0.342 }, { keyword: 'PC2_1', value: -0.342 }, { keyword: 'PC2_2', value: 0.94 },
      { keyword: 'BUNIT', value: 'MJy/sr' },
    ];
    await writeFile(join(stack.dataDir, 'big.fits'), await encodeFits([{ axes: [], cards: [] }, { axes: [N, N], data, extname: 'SCI', cards }]));
    browser = await launchChromium();
    page = await openPage(browser, { viewport: { width: 1366, height: 900 } });
  });

  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  const ready = () => page.waitForFunction(`document.querySelector('[data-testid=tile-canvas]')?.dataset.ready === 'true'`);
  const level = async () => Number(await page.getByTestId('tile-canvas').getAttribute('data-level'));
  const urlParams = async () => new URLSearchParams((await page.evaluate('location.hash') as string).split('?')[1] ?? '');

  /**
   * The read-out once it holds a value for the pixel under the cursor, read in the same step as
   * the wait: after a move the read-out first shows the new pixel with no value (the value comes
   * from the engine), and before React sees the move it still shows the old pixel. `near` (the
   * pixel expected from the view, within `tol`) rules out that stale one.
   */
  async function readoutAt(sx: number, sy: number, near?: { x: number; y: number; tol: number }): Promise<{ x: number; y: number; value: string }> {
    await page.mouse.move(sx, sy);
    const handle = await page.waitForFunction(`(() => {
      const n = ${JSON.stringify(near ?? null)};
      const d = document.querySelector('[data-testid=cursor-readout]')?.dataset;
      if (!d || !d.value || !d.x) return false;
      const got = { x: Number(d.x), y: Number(d.y), value: d.value };
      if (n && (Math.abs(got.x - n.x) > n.tol || Math.abs(got.y - n.y) > n.tol)) return false;
      return got;
    })()`).catch(async (err) => {
      throw new Error(`no read-out at (${sx}, ${sy}): ${await page.getByTestId('cursor-readout').textContent()}: ${err}`);
    });
    return (await handle.jsonValue()) as { x: number; y: number; value: string };
  }

  it('opens the 4000 x 4000 image fitted, from coarse tiles, with grid, compass, scale bar and colour bar', async () => {
    await page.goto(`${stack.url}/app/#/viewer?file=big.fits`);
    await ready();
    assert.ok((await level()) >= 2, 'a fitted 4000 px image is drawn from a coarse level');
    await page.locator('[data-testid=sky-grid] path').first().waitFor();
    assert.ok((await page.locator('[data-testid=sky-grid] text').count()) >= 3, 'grid lines are labelled');
    await page.getByTestId('compass').waitFor();
    assert.match((await page.getByTestId('scale-bar').textContent()) ?? '', /[″′]/);
    assert.match((await page.getByTestId('colorbar').getAttribute('aria-label')) ?? '', /MJy\/sr/);
    await page.waitForFunction(`new URLSearchParams(location.hash.split('?')[1]).has('zoom')`);
  });

  it('shows a single bright pixel at native zoom with its true value', async () => {
    await page.goto(`${stack.url}/app/#/viewer?file=big.fits&zoom=1&cx=${BRIGHT.x}&cy=${BRIGHT.y}&grid=0`);
    await page.reload();
    await ready();
    // The first frames use limits from the coarsest tile (area-averaged: a narrow range in which the
    // native noise saturates too); the plane's zscale (0.57-2.98 here) follows.
    await page.waitForSelector('[data-testid=viewer][data-limits=final]');
    assert.equal(await level(), 0);
    assert.match((await page.getByTestId('zoom-level').textContent()) ?? '', /Zoom 100%/);
    const canvas = page.getByTestId('tile-canvas');
    // The layout may still move after "ready" (a panel landing above the image shifts it): take
    // the canvas's centre and the crop around it until two in a row agree.
    let cx = 0;
    let cy = 0;
    let png: Buffer = Buffer.alloc(0);
    for (let i = 0; i < 50; i++) {
      const box = (await canvas.boundingBox())!;
      const x = Math.floor(box.x + box.width / 2);
      const y = Math.floor(box.y + box.height / 2);
      const crop = await page.screenshot({ clip: { x: x - 4, y: y - 4, width: 9, height: 9 } });
      const settled = x === cx && y === cy && crop.equals(png);
      cx = x;
      cy = y;
      png = crop;
      if (settled) break;
      await page.waitForTimeout(100);
    }
    // The view is centred on the bright pixel: it is the one white pixel at the centre.
    const { data: rgb, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const grey = (x: number, y: number) => rgb[(y * info.width + x) * info.channels]!;
    let brightest = { x: 0, y: 0, v: -1 };
    for (let y = 0; y < info.height; y++) for (let x = 0; x < info.width; x++) if (grey(x, y) > brightest.v) brightest = { x, y, v: grey(x, y) };
    assert.equal(brightest.v, 255, 'the bright pixel is drawn white');
    assert.ok(Math.abs(brightest.x - 4) <= 1 && Math.abs(brightest.y - 4) <= 1, `white at (${brightest.x}, ${brightest.y}) of the 9x9 crop`);
    const whites = [...Array(81).keys()].filter((k) => grey(k % 9, Math.floor(k / 9)) === 255).length;
    assert.equal(whites, 1, 'exactly one native pixel, drawn as one screen pixel at 100 %');
    const r = await readoutAt(cx - 4 + brightest.x + 0.5, cy - 4 + brightest.y + 0.5);
    assert.deepEqual(r, { x: BRIGHT.x, y: BRIGHT.y, value: '5000' });
    const text = (await page.getByTestId('cursor-readout').textContent()) ?? '';
    assert.match(text, /value=5000 MJy\/sr/);
    assert.match(text, new RegExp(`FITS \\(1-based\\) x=${BRIGHT.x + 1} y=${BRIGHT.y + 1} · 0-based x=${BRIGHT.x} y=${BRIGHT.y}`));
    await page.waitForFunction(`/RA=10h0[67]m/.test(document.querySelector('[data-testid=cursor-readout]')?.textContent ?? '')`);
    assert.match((await page.getByTestId('cursor-readout').textContent()) ?? '', /Dec=-40°\d\d′[\d.]+″ \(151\.\d+°, -40\.\d+°\)/);
  });

  it('reads the true value at 20 random positions, at native and at fitted zoom', async () => {
    const r = (() => { const g = (function* () { let s = 9; for (;;) { s = (s * 16807) % 2147483647; yield s / 2147483647; } })(); return () => g.next().value as number; })();
    const box = (await page.getByTestId('tile-canvas').boundingBox())!;
    const check = async (label: string) => {
      const p = await urlParams();
      const [zoom, vcx, vcy] = ['zoom', 'cx', 'cy'].map((k) => Number(p.get(k)));
      // Random points of the canvas that show the image.
      const mx = box.x + Math.floor(box.width / 2) + 0.5;
      const my = box.y + Math.floor(box.height / 2) + 0.5;
      const left = Math.max(box.x + 2, mx + (-0.5 - vcx!) * zoom!);
      const right = Math.min(box.x + box.width - 2, mx + (N - 0.5 - vcx!) * zoom!);
      const top = Math.max(box.y + 2, my - (N - 0.5 - vcy!) * zoom!);
      const bottom = Math.min(box.y + box.height - 2, my - (-0.5 - vcy!) * zoom!);
      for (let i = 0; i < 10; i++) {
        const sx = left + r() * (right - left);
        const sy = top + r() * (bottom - top);
        // The pixel under the cursor, from the view in the URL (within rounding).
        const ex = vcx! + (sx - box.x - Math.floor(box.width / 2) - 0.5) / zoom!;
        const ey = vcy! - (sy - box.y - Math.floor(box.height / 2) - 0.5) / zoom!;
        const got = await readoutAt(sx, sy, { x: ex, y: ey, tol: 1 + 1 / zoom! });
        assert.ok(Math.abs(got.x - ex) <= 1 + 1 / zoom! && Math.abs(got.y - ey) <= 1 + 1 / zoom!, `${label}: pixel (${got.x}, ${got.y}) for (${ex}, ${ey})`);
        const want = data[got.y * N + got.x]!;
        assert.equal(got.value, Number.isNaN(want) ? 'null' : String(want), `${label}: value at (${got.x}, ${got.y})`);
      }
    };
    await check('native');
    await page.getByRole('button', { name: 'Fit' }).click();
    await ready();
    await page.waitForFunction(`Number(new URLSearchParams(location.hash.split('?')[1]).get('zoom')) < 0.5`);
    await check('fitted');
  });

  it('changes stretch, colormap and limits on the GPU without asking the server', async () => {
    await ready();
    const canvas = page.getByTestId('tile-canvas');
    const before = await canvas.screenshot();
    const requests: string[] = [];
    page.on('request', (req) => { if (/\/viewer\/(tile|values|stats)/.test(req.url())) requests.push(req.url()); });
    await page.mouse.move(0, 0);
    await page.getByLabel('Stretch', { exact: true }).selectOption('asinh');
    await page.getByLabel('Colormap').selectOption('inferno');
    await page.getByRole('button', { name: '1–99 %' }).click();
    await page.waitForTimeout(300);
    const afterShot = await canvas.screenshot();
    assert.ok(!before.equals(afterShot), 'the image was redrawn');
    assert.deepEqual(requests.filter((u) => /\/viewer\/(tile|stats)/.test(u)), [], 'no tile or statistics request');
    const p = await urlParams();
    assert.deepEqual([p.get('stretch'), p.get('cmap'), p.get('limits')], ['asinh', 'inferno', '99']);
    await page.reload();
    await ready();
    assert.equal(await page.getByLabel('Stretch', { exact: true }).inputValue(), 'asinh');
    assert.equal(await page.getByLabel('Colormap').inputValue(), 'inferno');
    assert.equal(await page.getByRole('button', { name: '1–99 %' }).getAttribute('aria-pressed'), 'true');
  });
});
