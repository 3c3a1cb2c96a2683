/**
 * The viewer's overlays and tools in Debian's Chromium against the engine, on an image whose WCS
 * is rotated by 30 degrees: a catalogue (`_cat.ecsv` with RA/Dec) drawn where its sources are,
 * find_stars markers on the stars, the footprint of another file at its pixel edges, DS9 regions
 * in fk5 (a circle keeps its radius in arcseconds, a box at angle 0 lies East-West whatever the
 * image's rotation) and in image coordinates, regions saved as a .reg file, aperture photometry of
 * a clicked star, and FITS cutouts of the view and of a region with their WCS shifted. On a phone:
 * a tap reads out the pixel and two fingers pinch-zoom.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { encodeFits } from '../../src/fits/index.js';
import { encodeBinTable } from '../../src/fits/table/index.js';
import { screenshotsDir, launchChromium, openPage, startStack, type Stack } from './harness.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const W = 600;
const H = 400;
const SCALE = 0.2 / 3600; // 0.2" pixels
const ROT = 30 * (Math.PI / 180);
const STARS: Array<[number, number]> = [[120.3, 90.6], [300.2, 200.4], [450.7, 310.1], [520.4, 60.8], [200.6, 330.3], [75.1, 250.5]];
const FLUX = 2000;
const SIGMA = 1.4;
const DIR = 'mast/jw09999-o001_t001_nircam_clear-f200w';
const IMAGE = `${DIR}/jw09999-o001_t001_nircam_clear-f200w_i2d.fits`;
const OTHER = `${DIR}/other_i2d.fits`;

function wcsCards(crpix1: number, crpix2: number) {
  return [
    { keyword: 'CTYPE1', value: 'RA---TAN' }, { keyword: 'CTYPE2', value: 'DEC--TAN' },
    { keyword: 'CRVAL1', value: 83.82 }, { keyword: 'CRVAL2', value: -5.39 },
    { keyword: 'CRPIX1', value: crpix1 }, { keyword: 'CRPIX2', value: crpix2 },
    { keyword: 'CDELT1', value: -SCALE }, { keyword: 'CDELT2', value: SCALE },
    { keyword: 'PC1_1', value: Math.cos(ROT) }, { keyword: 'PC1_2', value: -Math.sin(ROT) },
    { keyword: 'PC2_1', value: Math.sin(ROT) }, { keyword: 'PC2_2', value: Math.cos(ROT) },
    { keyword: 'RADESYS', value: 'ICRS' }, { keyword: 'BUNIT', value: 'MJy/sr' },
  ];
}

describe('viewer overlays and tools, end to end', { timeout: 900_000 }, () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let world: Array<[number, number]>;

  const api = async <T>(path: string, body: unknown): Promise<T> => {
    const r = await fetch(`${stack.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(r.status, 200, `${path}: ${await r.clone().text()}`);
    return (await r.json()) as T;
  };

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}`);
    stack = await startStack();
    // A background of 1 with a little deterministic noise (so zscale has a range), and the stars.
    const data = new Float32Array(W * H);
    let seed = 7;
    for (let i = 0; i < data.length; i++) {
      seed = (seed * 16807) % 2147483647;
      data[i] = 1 + ((seed / 2147483647) - 0.5) * 0.04;
    }
    for (const [sx, sy] of STARS) {
      for (let y = Math.floor(sy - 8); y <= sy + 8; y++) {
        for (let x = Math.floor(sx - 8); x <= sx + 8; x++) {
          data[y * W + x]! += (FLUX / (2 * Math.PI * SIGMA * SIGMA)) * Math.exp(-((x - sx) ** 2 + (y - sy) ** 2) / (2 * SIGMA * SIGMA));
        }
      }
    }
    await mkdir(join(stack.dataDir, DIR), { recursive: true });
    await writeFile(join(stack.dataDir, IMAGE), await encodeFits([{ axes: [], cards: [] }, { axes: [W, H], data, extname: 'SCI', cards: wcsCards(301, 201) }]));
    // Another file: 200 x 100 pixels whose pixel (0, 0) is this image's (150, 80).
    await writeFile(join(stack.dataDir, OTHER), await encodeFits([{ axes: [], cards: [] }, { axes: [200, 100], data: new Float32Array(200 * 100).fill(2), extname: 'SCI', cards: wcsCards(301 - 150, 201 - 80) }]));
    // The observation's catalogue: the stars' RA/Dec from the engine's WCS (checked against astropy in test/wcs).
    world = (await api<{ world: Array<[number, number]> }>('/wcs/pixel-to-world', { file_path: IMAGE, pixels: STARS })).world;
    const ecsv = ['# %ECSV 1.0', '# ---', '# datatype:', '# - {name: label, datatype: int64}', '# - {name: sky_centroid.ra, unit: deg, datatype: float64}',
      '# - {name: sky_centroid.dec, unit: deg, datatype: float64}', 'label sky_centroid.ra sky_centroid.dec',
      ...world.map(([ra, dec], i) => `${i + 1} ${ra.toFixed(10)} ${dec.toFixed(10)}`)];
    await writeFile(join(stack.dataDir, IMAGE.replace('_i2d.fits', '_cat.ecsv')), `${ecsv.join('\n')}\n`);
    // The same sources as a FITS binary table with RA/DEC columns (the first three only).
    const fitsCat = encodeBinTable([
      { name: 'ID', values: Int32Array.from([1, 2, 3]) },
      { name: 'RA', unit: 'deg', values: Float64Array.from(world.slice(0, 3).map((w) => w[0])) },
      { name: 'DEC', unit: 'deg', values: Float64Array.from(world.slice(0, 3).map((w) => w[1])) },
    ], { extname: 'CAT' });
    await writeFile(join(stack.dataDir, DIR, 'sources.fits'), await encodeFits([{ axes: [] }, { type: 'table', ...fitsCat }]));
    browser = await launchChromium();
    page = await openPage(browser, { viewport: { width: 1366, height: 900 }, acceptDownloads: true });
    await page.goto(`${stack.url}/app/#/viewer?file=${encodeURIComponent(IMAGE)}&grid=0`);
    await page.waitForFunction(`document.querySelector('[data-testid=tile-canvas]')?.dataset.ready === 'true'`);
  });

  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  const markers = (overlay: string) => page.evaluate(`[...document.querySelectorAll('[data-overlay^="${overlay}"] [data-testid=overlay-marker]')].map((c) => [Number(c.dataset.x), Number(c.dataset.y)])`) as Promise<Array<[number, number]>>;
  /** Each outline's points in image pixels (0-based), as the overlay layer drew them. */
  const outlines = (overlay: string) => page.evaluate(`[...document.querySelectorAll('[data-overlay^="${overlay}"] path')].map((p) => p.dataset.points.split(' ').map((q) => q.split(',').map(Number)))`) as Promise<Array<Array<[number, number]>>>;
  const nearest = (p: [number, number], list: Array<[number, number]>) => Math.min(...list.map((q) => Math.hypot(p[0] - q[0], p[1] - q[1])));

  it("draws the observation's _cat.ecsv at its sources through the rotated WCS", async () => {
    await page.waitForFunction(`(document.getElementById('overlay-table')?.value ?? '').endsWith('_cat.ecsv')`);
    await page.getByRole('button', { name: 'Show catalogue' }).click();
    await page.locator('[data-testid=overlay-marker]').first().waitFor();
    const got = await markers('jw09999');
    assert.equal(got.length, STARS.length);
    for (const s of STARS) assert.ok(nearest(s, got) < 1e-4, `a marker at (${s.join(', ')}): ${JSON.stringify(got)}`);
    assert.match((await page.getByTestId('overlay-item').first().textContent()) ?? '', /6 markers/);
  });

  it('draws a FITS table with RA/DEC columns as markers', async () => {
    await page.getByLabel(/^Catalogue/).fill(`${DIR}/sources.fits`);
    await page.getByRole('button', { name: 'Show catalogue' }).click();
    await page.locator('[data-overlay^="sources.fits"] [data-testid=overlay-marker]').first().waitFor();
    const got = await markers('sources.fits');
    assert.equal(got.length, 3);
    for (const s of STARS.slice(0, 3)) assert.ok(nearest(s, got) < 1e-4, `a marker at (${s.join(', ')}): ${JSON.stringify(got)}`);
  });

  it('marks the stars found by find_stars', async () => {
    await page.getByRole('button', { name: 'Find stars' }).click();
    await page.locator('[data-overlay^=find_stars] [data-testid=overlay-marker]').first().waitFor();
    const got = await markers('find_stars');
    assert.equal(got.length, STARS.length, JSON.stringify(got));
    for (const s of STARS) assert.ok(nearest(s, got) < 0.2, `a star found near (${s.join(', ')}): ${JSON.stringify(got)}`);
  });

  it("draws another file's footprint at its pixel edges", async () => {
    await page.getByLabel('Footprints of other files').selectOption([OTHER]);
    await page.getByRole('button', { name: 'Show footprints' }).click();
    await page.locator('[data-overlay^=footprints] path').first().waitFor();
    const [pts] = await outlines('footprints');
    const want: Array<[number, number]> = [[149.5, 79.5], [349.5, 79.5], [349.5, 179.5], [149.5, 179.5]];
    assert.equal(pts!.length, 4);
    for (const w of want) assert.ok(nearest(w, pts!) < 1e-3, `corner (${w.join(', ')}) in ${JSON.stringify(pts)}`);
  });

  it('reads DS9 regions in fk5 and image coordinates and draws them right on the rotated image, then saves them', async () => {
    const [ra, dec] = world[1]!;
    const reg = ['# Region file format: DS9 version 4.1', 'fk5',
      `circle(${ra},${dec},2") # text={star 2}`, `box(${ra},${dec},8",2",0)`, 'image', 'ellipse(121.3,91.6,6,3,0)', 'polygon(10,10,40,10,40,30)'].join('\n');
    await page.getByLabel('Load DS9 regions').setInputFiles({ name: 'stars.reg', mimeType: 'text/plain', buffer: Buffer.from(reg) });
    await page.locator('[data-overlay="stars.reg"] path').nth(3).waitFor();
    const [circle, box, ellipse, polygon] = await outlines('stars.reg');
    const [sx, sy] = STARS[1]!;
    // 2" = 10 pixels of 0.2", whatever the rotation.
    for (const p of circle!) assert.ok(Math.abs(Math.hypot(p[0] - sx, p[1] - sy) - 10) < 1e-3, `circle point ${p.join(', ')}`);
    // The 8" side lies East-West. With this WCS East is the pixel direction (-cos 30°, sin 30°): the long side is at 150° from +x.
    const edges = box!.map((p, i) => { const q = box![(i + 1) % box!.length]!; return [q[0] - p[0], q[1] - p[1]] as [number, number]; });
    const long = edges.reduce((a, b) => (Math.hypot(...b) > Math.hypot(...a) ? b : a));
    assert.ok(Math.abs(Math.hypot(...long) - 40) < 1e-3, `long side ${Math.hypot(...long)} px`);
    const angle = ((Math.atan2(long[1], long[0]) * 180) / Math.PI + 180) % 180;
    assert.ok(Math.abs(angle - 150) < 1e-3, `long side at ${angle}°`);
    // Image regions: DS9's 1-based pixels.
    const ex = ellipse!.map((p) => p[0]);
    assert.ok(Math.abs(Math.max(...ex) - 126.3) < 1e-3 && Math.abs(Math.min(...ex) - 114.3) < 1e-3, `ellipse x ${Math.min(...ex)}..${Math.max(...ex)}`);
    assert.ok(nearest([9, 9], polygon!) < 1e-9 && nearest([39, 29], polygon!) < 1e-9, JSON.stringify(polygon));
    assert.ok((await page.locator('[data-overlay="stars.reg"] text', { hasText: 'star 2' }).count()) === 1);

    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Save regions (.reg)' }).click();
    const file = await (await download).path();
    const text = await readFile(file!, 'utf8');
    assert.match(text, /^# Region file format: DS9 version 4\.1/);
    assert.match(text, /\nfk5\ncircle\([\d.]+,-5\.\d+,2"\) # text=\{star 2\}\nbox\(/);
    assert.match(text, /\nimage\nellipse\(121\.3,91\.6,6,3,0\)\npolygon\(10,10,40,10,40,30\)/);
  });

  it('measures aperture photometry of a clicked star', async () => {
    await page.getByLabel('Click a source for aperture photometry').check();
    // The panels' buttons scrolled the page: bring the whole image back into the window.
    await page.evaluate('window.scrollTo(0, 0)');
    const box = (await page.getByTestId('tile-canvas').boundingBox())!;
    const p = new URLSearchParams((await page.evaluate('location.hash') as string).split('?')[1]);
    const [zoom, cx, cy] = ['zoom', 'cx', 'cy'].map((k) => Number(p.get(k)));
    const [sx, sy] = STARS[1]!;
    await page.mouse.click(box.x + Math.floor(box.width / 2) + 0.5 + (sx - cx!) * zoom!, box.y + Math.floor(box.height / 2) + 0.5 - (sy - cy!) * zoom!);
    const table = page.getByTestId('photometry-result');
    await table.waitFor().catch(async (err) => {
      throw new Error(`no photometry: ${await page.locator('[role=alert]').allTextContents()} ${err}`);
    });
    const sum = Number(await table.locator('tr', { has: page.locator('th', { hasText: /^aperture_sum_bkgsub|^residual/ }) }).first().locator('td').textContent());
    // A 5 px aperture holds 1 - exp(-25 / (2 sigma^2)) of the star; the annulus removes the background of 1.
    const want = FLUX * (1 - Math.exp(-25 / (2 * SIGMA * SIGMA)));
    assert.ok(Math.abs(sum - want) < 0.02 * FLUX, `background-subtracted sum ${sum}, expected about ${want}`);
    assert.ok((await page.locator('[data-overlay=apertures] path').count()) >= 3, 'aperture and annulus drawn');
    await mkdir(screenshotsDir(), { recursive: true });
    await page.screenshot({ path: join(screenshotsDir(), 'viewer-overlays.png') });
    await page.getByLabel('Click a source for aperture photometry').uncheck();
  });

  it('downloads FITS cutouts of the view and of a drawn region with the WCS shifted', async () => {
    const href = await page.getByTestId('cutout-view').getAttribute('href');
    assert.ok(href);
    const view = await fetch(`${stack.url}${href}`);
    assert.equal(view.status, 200);
    assert.equal(view.headers.get('content-type'), 'application/fits');
    assert.equal(Number(view.headers.get('x-cutout-width')), W, 'the fitted view shows the whole image');
    await page.getByRole('radio', { name: 'rectangle' }).check();
    await page.evaluate('window.scrollTo(0, 0)');
    const box = (await page.getByTestId('tile-canvas').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2 - 40, box.y + box.height / 2 + 30);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 40, box.y + box.height / 2 - 30, { steps: 4 });
    await page.mouse.up();
    const region = page.getByTestId('cutout-region');
    await region.waitFor();
    const q = new URLSearchParams((await region.getAttribute('href'))!.split('?')[1]);
    const r = await fetch(`${stack.url}${(await region.getAttribute('href'))!}`);
    assert.equal(r.status, 200);
    const header = Buffer.from(await r.arrayBuffer()).subarray(0, 2880 * 4).toString('latin1');
    const card = (k: string) => Number(/=\s*([-\d.E+]+)/.exec(header.slice(header.indexOf(k.padEnd(8)), header.indexOf(k.padEnd(8)) + 80))?.[1]);
    // The last HDU's CRPIX is the original minus the cutout's first pixel.
    const lastCrpix1 = [...header.matchAll(/CRPIX1  =\s*([-\d.E+]+)/g)].map((m) => Number(m[1])).pop();
    assert.equal(lastCrpix1, 301 - Number(q.get('x')));
    assert.ok(Number.isFinite(card('NAXIS1')));
    await page.getByRole('radio', { name: 'Pan' }).check();
  });

  it('keeps the overlays in the URL: a region file on the engine by its path; reload, Back and Forward restore them', async () => {
    const ov = async () => new URLSearchParams((await page.evaluate('location.hash') as string).split('?')[1]).getAll('ov');
    const CAT = IMAGE.replace('_i2d.fits', '_cat.ecsv');
    assert.deepEqual(await ov(), [`cat:${CAT}`, `cat:${DIR}/sources.fits`, 'find_stars:1:0', `fp:${OTHER}`], 'the overlays loaded by reference so far; the local stars.reg and the apertures are not named');
    await writeFile(join(stack.dataDir, DIR, 'ring.reg'), ['# Region file format: DS9 version 4.1', 'image', 'circle(301,201,20) # text={ring}', ''].join('\n'));
    await page.getByLabel(/^Region file on the engine/).fill(`${DIR}/ring.reg`);
    await page.getByRole('button', { name: 'Show regions' }).click();
    await page.locator('[data-overlay="ring.reg"] path').first().waitFor();
    // DS9's circle(301,201,20) about 0-based (300, 200), as a polygon of points near the circle.
    for (const p of (await outlines('ring.reg'))[0]!) assert.ok(Math.abs(Math.hypot(p[0] - 300, p[1] - 200) - 20) < 0.05, `ring point ${p.join(', ')}`);
    assert.equal((await ov()).at(-1), `reg:${DIR}/ring.reg`);
    // Hiding one is kept too (in place: no new history entry).
    await page.getByTestId('overlay-item').filter({ hasText: 'find_stars' }).getByRole('checkbox').uncheck();
    await page.waitForFunction(`new URLSearchParams(location.hash.split('?')[1]).getAll('ov').includes('~find_stars:1:0')`);
    const named = await ov();

    const drawn = async () => ({
      catalogue: (await markers('jw09999')).length,
      fits: (await markers('sources.fits')).length,
      stars: (await markers('find_stars')).length,
      footprint: (await outlines('footprints')).length,
      ring: (await outlines('ring.reg')).length,
      local: await page.locator('[data-overlay="stars.reg"]').count(),
      items: await page.getByTestId('overlay-item').count(),
    });
    const settled = (want: Record<string, number>) => page.waitForFunction(`(() => {
      const n = (sel) => document.querySelectorAll(sel).length;
      const got = { catalogue: n('[data-overlay^="jw09999"] [data-testid=overlay-marker]'), fits: n('[data-overlay^="sources.fits"] [data-testid=overlay-marker]'),
        stars: n('[data-overlay^="find_stars"] [data-testid=overlay-marker]'), footprint: n('[data-overlay^="footprints"] path'), ring: n('[data-overlay="ring.reg"] path'),
        items: n('[data-testid=overlay-item]') };
      return Object.entries(${JSON.stringify(want)}).every(([k, v]) => got[k] === v);
    })()`);

    await page.reload();
    await page.waitForFunction(`document.querySelector('[data-testid=tile-canvas]')?.dataset.ready === 'true'`);
    // A hidden overlay draws no marker: wait for its list item as well (it loads last at times).
    await settled({ catalogue: STARS.length, fits: 3, stars: 0, footprint: 1, ring: 1, items: 5 });
    assert.deepEqual(await drawn(), { catalogue: STARS.length, fits: 3, stars: 0, footprint: 1, ring: 1, local: 0, items: 5 }, 'restored from the URL, find_stars hidden; the local file is not');
    assert.deepEqual(await ov(), named);
    assert.equal(await page.getByTestId('overlay-item').filter({ hasText: 'find_stars' }).getByRole('checkbox').isChecked(), false);

    // Back: before the ring was added (and find_stars shown); Forward: both again.
    await page.goBack();
    await settled({ catalogue: STARS.length, fits: 3, stars: STARS.length, footprint: 1, ring: 0 });
    assert.deepEqual(await ov(), [`cat:${CAT}`, `cat:${DIR}/sources.fits`, 'find_stars:1:0', `fp:${OTHER}`]);
    await page.goForward();
    await settled({ catalogue: STARS.length, fits: 3, stars: 0, footprint: 1, ring: 1 });
    assert.deepEqual(await ov(), named);
  });

  it('on a phone: a tap reads out the pixel and two fingers pinch-zoom', async () => {
    const phone = await openPage(browser, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    try {
      await phone.goto(`${stack.url}/app/#/viewer?file=${encodeURIComponent(IMAGE)}&grid=0`);
      await phone.waitForFunction(`document.querySelector('[data-testid=tile-canvas]')?.dataset.ready === 'true'`);
      await phone.waitForFunction(`new URLSearchParams(location.hash.split('?')[1]).has('zoom')`);
      const box = (await phone.getByTestId('tile-canvas').boundingBox())!;
      await phone.touchscreen.tap(box.x + box.width / 2, box.y + box.height / 2);
      await phone.waitForFunction(`/value=[\\d.]+ MJy\\/sr/.test(document.querySelector('[data-testid=cursor-readout]')?.textContent ?? '')`);
      const zoom0 = Number(new URLSearchParams((await phone.evaluate('location.hash') as string).split('?')[1]).get('zoom'));
      const cdp = await phone.context().newCDPSession(phone);
      const mid = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
      const touch = (type: 'touchStart' | 'touchMove' | 'touchEnd', d: number) => cdp.send('Input.dispatchTouchEvent', {
        type, touchPoints: type === 'touchEnd' ? [] : [{ x: mid.x - d, y: mid.y, id: 1 }, { x: mid.x + d, y: mid.y, id: 2 }],
      });
      await touch('touchStart', 30);
      for (let d = 40; d <= 120; d += 10) await touch('touchMove', d);
      await touch('touchEnd', 0);
      await phone.waitForFunction(`Number(new URLSearchParams(location.hash.split('?')[1]).get('zoom')) > ${zoom0 * 2}`);
    } finally {
      await phone.close();
    }
  });
});
