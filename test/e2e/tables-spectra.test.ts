/**
 * The workbench's table grid and spectra in Debian's Chromium against the engine (issue #17):
 * a 250-row x1d-like table pages through the server (Next/Previous rows, the range and the rows
 * shown follow, paging a sorted and a searched table too); its spectrum plot zooms on a drag
 * across it and resets on a double-click, and its flux unit is converted by the engine; a click on
 * a pixel of an _s3d cube plots that pixel's spectrum, the values of the pixel asked for; a
 * catalogue with x/y pixel columns only is overlaid on the image at its pixels.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeFits } from '../../src/fits/index.js';
import { encodeBinTable } from '../../src/fits/table/index.js';
import { browserStack } from './harness.js';

const DIR = 'mast/jw09998-o001_t001_nirspec_g395h';
const X1D = `${DIR}/jw09998-o001_t001_nirspec_g395h_x1d.fits`;
const CUBE = `${DIR}/jw09998-o001_t001_nirspec_g395h_s3d.fits`;
const N = 250;
/** Row i: wavelength 2.9 + 0.01 i um, a flux rising and falling, a label. */
const WAVELENGTH = Float64Array.from({ length: N }, (_, i) => 2.9 + 0.01 * i);
const FLUX = Float64Array.from({ length: N }, (_, i) => 1e-3 * (1 + Math.sin(i / 20)));
const LABEL = Array.from({ length: N }, (_, i) => (i % 10 === 0 ? `line${i}` : `cont${i}`));

describe('table grid and spectra in the workbench, end to end', { timeout: 900_000 }, () => {
  const e2e = browserStack({ viewport: { width: 1366, height: 900 } }, async (stack) => {
    await mkdir(join(stack.dataDir, DIR), { recursive: true });
    const table = encodeBinTable([
      { name: 'WAVELENGTH', unit: 'um', values: WAVELENGTH },
      { name: 'FLUX', unit: 'Jy', values: FLUX },
      { name: 'LABEL', values: LABEL },
    ], { extname: 'EXTRACT1D' });
    await writeFile(join(stack.dataDir, X1D), await encodeFits([{ axes: [] }, { type: 'table', ...table }]));
    // The spectra fixture's -TAB cube (8 x 9 pixels, 12 slices, NaN pixels and an empty slice).
    await copyFile(fileURLToPath(new URL('../fixtures/spectra/s3d_tab.fits', import.meta.url)), join(stack.dataDir, CUBE));
  });

  const range = () => e2e.page.getByTestId('table-range').textContent();
  const grid = () => e2e.page.locator('table').last();
  const firstCell = () => grid().locator('tbody tr').first().locator('td').first().textContent();
  const waitRange = (re: RegExp) => e2e.page.waitForFunction(`${re.toString()}.test(document.querySelector('[data-testid=table-range]')?.textContent ?? '')`);

  it('pages through a table on the server: Next and Previous rows, the range and the rows follow', async () => {
    await e2e.page.goto(`${e2e.stack.url}/app/#/viewer?file=${encodeURIComponent(X1D)}`);
    await waitRange(/^rows 1–100 of 250$/);
    assert.equal(Number(await firstCell()), 2.9);
    assert.equal(await grid().locator('tbody tr').count(), 100);
    const previous = e2e.page.getByRole('button', { name: 'Previous rows' });
    const next = e2e.page.getByRole('button', { name: 'Next rows' });
    assert.ok(await previous.isDisabled(), 'no page before the first');
    await next.click();
    await waitRange(/^rows 101–200 of 250$/);
    assert.ok(Math.abs(Number(await firstCell()) - WAVELENGTH[100]!) < 1e-9, `row 101 first: ${await firstCell()}`);
    await next.click();
    await waitRange(/^rows 201–250 of 250$/);
    assert.equal(await grid().locator('tbody tr').count(), 50);
    assert.ok(await next.isDisabled(), 'no page after the last');
    await previous.click();
    await waitRange(/^rows 101–200 of 250$/);

    // Sorted descending by the server, the second page holds rows 150..51 of the table.
    const header = e2e.page.getByTitle('Sort by WAVELENGTH');
    await header.click();
    await e2e.page.locator('th[aria-sort=ascending]').waitFor();
    await waitRange(/^rows 1–100 of 250$/);
    await header.click();
    await e2e.page.locator('th[aria-sort=descending]').waitFor();
    await e2e.page.waitForFunction(`[...document.querySelectorAll('table')].pop()?.querySelector('tbody tr td')?.textContent?.startsWith('5.39')`);
    await next.click();
    await waitRange(/^rows 101–200 of 250$/);
    assert.ok(Math.abs(Number(await firstCell()) - WAVELENGTH[149]!) < 1e-9, `descending, row 101 is table row 150: ${await firstCell()}`);

    // A search keeps its matches only (25 "line" rows), one page, sorted as asked.
    await e2e.page.getByLabel('Search rows').fill('LINE');
    await e2e.page.getByLabel('Search rows').press('Enter');
    await waitRange(/^rows 1–25 of 25 matching “LINE”$/);
    assert.ok(await next.isDisabled(), 'one page of matches');
    const labels = await grid().locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.querySelectorAll('td')[2]?.textContent));
    assert.deepEqual(labels, Array.from({ length: 25 }, (_, k) => `line${240 - 10 * k}`));
    assert.equal((await range())?.includes('matching'), true);
  });

  it('zooms the spectrum plot on a drag across it, resets on a double-click; converts the flux unit', async () => {
    const plot = e2e.page.getByRole('img', { name: 'Spectrum plot' });
    await plot.waitFor();
    await e2e.page.waitForFunction(`document.querySelector('[aria-label="Spectrum plot"]')?.dataset.xMax !== undefined`);
    const scale = async () => e2e.page.evaluate(`['xMin', 'xMax'].map((k) => Number(document.querySelector('[aria-label="Spectrum plot"]').dataset[k]))`) as Promise<[number, number]>;
    const [lo0, hi0] = await scale();
    assert.ok(lo0! <= 2.9 && hi0! >= WAVELENGTH[N - 1]!, `whole spectrum in view: ${lo0}..${hi0}`);
    await plot.scrollIntoViewIfNeeded();
    const over = e2e.page.locator('[aria-label="Spectrum plot"] .u-over');
    const box = (await over.boundingBox())!;
    const y = box.y + box.height / 2;
    await e2e.page.mouse.move(box.x + box.width * 0.25, y);
    await e2e.page.mouse.down();
    await e2e.page.mouse.move(box.x + box.width * 0.5, y, { steps: 5 });
    await e2e.page.mouse.up();
    await e2e.page.waitForFunction(`Number(document.querySelector('[aria-label="Spectrum plot"]')?.dataset.xMax) < ${hi0}`);
    const [lo1, hi1] = await scale();
    const span0 = hi0! - lo0!;
    // the dragged quarter of the plot: from about a quarter to about half of the range
    assert.ok(Math.abs(lo1! - (lo0! + span0 * 0.25)) < span0 * 0.05 && Math.abs(hi1! - (lo0! + span0 * 0.5)) < span0 * 0.05, `zoomed to ${lo1}..${hi1} of ${lo0}..${hi0}`);
    await over.dblclick();
    await e2e.page.waitForFunction(`Number(document.querySelector('[aria-label="Spectrum plot"]')?.dataset.xMax) >= ${WAVELENGTH[N - 1]}`);

    // Another flux unit: the engine converts (AB magnitudes of the Jy fluxes; astropy's AB zero point
    // is 48.6 mag below 1 erg/s/cm2/Hz, 3630.78 Jy, so m = -2.5 log10(f / Jy) + 8.9) and the plot follows.
    const converted = e2e.page.waitForResponse((r) => r.url().includes('/analysis/spectral-data') && r.url().includes('flux_unit=ABmag') && r.status() === 200);
    await e2e.page.getByLabel('Flux unit').selectOption('ABmag');
    const body = (await (await converted).json()) as { columns: Array<{ name: string; unit: string | null }>; data: { FLUX: number[] } };
    assert.equal(body.columns.find((c) => c.name === 'FLUX')?.unit, 'ABmag');
    assert.ok(Math.abs(body.data.FLUX[0]! - (-2.5 * Math.log10(FLUX[0]!) + 8.9)) < 1e-6, `AB magnitude of ${FLUX[0]} Jy: ${body.data.FLUX[0]}`);
    // the y axis now spans magnitudes (about 15.6 and fainter) where it spanned fluxes below 0.01 Jy
    await e2e.page.waitForFunction(`Number(document.querySelector('[aria-label="Spectrum plot"]')?.dataset.yMax) > 10`)
      .catch(async (err) => {
        throw new Error(`plot scales: ${await e2e.page.evaluate(`JSON.stringify(document.querySelector('[aria-label="Spectrum plot"]')?.dataset)`)} ${err}`);
      });
  });

  it("plots a cube pixel's spectrum when the pixel is clicked", async () => {
    await e2e.page.goto(`${e2e.stack.url}/app/#/viewer?file=${encodeURIComponent(CUBE)}&grid=0`);
    await e2e.page.waitForFunction(`document.querySelector('[data-testid=tile-canvas]')?.dataset.ready === 'true'`);
    await e2e.page.waitForFunction(`new URLSearchParams(location.hash.split('?')[1]).has('zoom')`);
    await e2e.page.evaluate('window.scrollTo(0, 0)');
    const box = (await e2e.page.getByTestId('tile-canvas').boundingBox())!;
    const p = new URLSearchParams((await e2e.page.evaluate('location.hash') as string).split('?')[1]);
    const [zoom, cx, cy] = ['zoom', 'cx', 'cy'].map((k) => Number(p.get(k)));
    const [px, py] = [5, 6]; // 0-based numpy (x, y), y counted from the bottom row
    const asked = e2e.page.waitForResponse((r) => r.url().includes('/viewer/spectrum') && r.status() === 200);
    await e2e.page.mouse.click(box.x + Math.floor(box.width / 2) + 0.5 + (px - cx!) * zoom!, box.y + Math.floor(box.height / 2) + 0.5 - (py - cy!) * zoom!);
    const res = await asked;
    const q = new URL(res.url()).searchParams;
    assert.deepEqual([Number(q.get('x')), Number(q.get('y'))], [px, py], 'the clicked pixel is asked for');
    const spectrum = e2e.page.getByTestId('pixel-spectrum');
    await spectrum.waitFor();
    assert.match((await spectrum.textContent()) ?? '', new RegExp(`Spectrum of pixel x=${px + 1}, y=${py + 1}`));
    // the values shown are the cube's at that pixel (as /analysis/cube-spectrum sums one pixel; the empty slice null)
    const shown = ((await res.json()) as { values: Array<number | null> }).values;
    const ref = (await (await fetch(`${e2e.stack.url}/analysis/cube-spectrum?file_path=${encodeURIComponent(CUBE)}&x=${px}&y=${py}`)).json()) as { data: { FLUX: Array<number | null> } };
    assert.equal(shown.length, 12);
    shown.forEach((v, k) => {
      const want = ref.data.FLUX[k] ?? null;
      assert.ok(v === null ? want === null : want !== null && Math.abs(v - want) <= 1e-6 * Math.abs(want), `slice ${k}: ${v} vs ${want}`);
    });
    assert.equal(shown[4], null, 'the empty slice has no value');
  });

  it('overlays a catalogue with x/y pixel columns (no RA/Dec) at its pixels', async () => {
    const rows: Array<[number, number, number]> = [[1, 1.5, 2.25], [2, 5, 6], [3, 7, 0.5]];
    const ecsv = ['# %ECSV 1.0', '# ---', '# datatype:', '# - {name: label, datatype: int64}', '# - {name: xcentroid, unit: pix, datatype: float64}',
      '# - {name: ycentroid, unit: pix, datatype: float64}', 'label xcentroid ycentroid', ...rows.map((r) => r.join(' '))];
    await writeFile(join(e2e.stack.dataDir, DIR, 'pixels_cat.ecsv'), `${ecsv.join('\n')}\n`);
    await e2e.page.getByLabel(/^Catalogue/).fill(`${DIR}/pixels_cat.ecsv`);
    await e2e.page.getByRole('button', { name: 'Show catalogue' }).click();
    const marker = '[data-overlay^="pixels_cat.ecsv"] [data-testid=overlay-marker]';
    await e2e.page.locator(marker).first().waitFor();
    const got = (await e2e.page.evaluate(`[...document.querySelectorAll('${marker}')].map((c) => [Number(c.dataset.x), Number(c.dataset.y)])`)) as Array<[number, number]>;
    assert.deepEqual(got, rows.map(([, x, y]) => [x, y]));
    assert.match((await e2e.page.getByTestId('overlay-item').first().textContent()) ?? '', /3 markers/);
  });
});
