/**
 * The web interface end to end, in real headless Chromium (Debian's, driven by playwright-core)
 * against the engine and the fake MAST: search, products, a download with pause and resume, the
 * viewer (stretch, RA/Dec read-out, region statistics) and a 3-channel composite. Screenshots of
 * each main screen go to test-output/screenshots/ (`npm run screenshots`: docs/screenshots/, linked
 * from the README).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { screenshotsDir, launchChromium, openPage, startStack, type Stack } from './harness.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = screenshotsDir();
const OBS = 'jw02733-o001_t001_nircam_clear-f090w';

describe('web interface, end to end', { timeout: 900_000 }, () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}: install Debian's chromium (.ci/run does)`);
    stack = await startStack();
    browser = await launchChromium();
    page = await openPage(browser, { viewport: { width: 1366, height: 900 } });
    await mkdir(SHOTS, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  async function shot(name: string): Promise<void> {
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });
  }

  it('searches a target and lists its observations', async () => {
    await page.goto(`${stack.url}/app/`);
    await page.getByLabel('Target name').fill('NGC 3132');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const link = page.getByRole('link', { name: OBS });
    await link.waitFor();
    const caption = await page.locator('caption').first().textContent();
    assert.match(caption ?? '', /\d+ observations?/);
    // MAST's preview JPEGs (through their HTTPS form) are shown beside each observation.
    await page.waitForFunction(`[...document.querySelectorAll('img.thumb')].some((i) => i.complete && i.naturalWidth > 0)`);
    await shot('search');
  });

  it('keeps the search form and its results in the URL: Back from an observation shows them again', async () => {
    const params = new URLSearchParams((await page.evaluate('location.hash') as string).split('?')[1]);
    assert.equal(params.get('run'), '1');
    assert.equal(params.get('target'), null, 'the default target is left out of the link');
    const caption = await page.locator('caption').first().textContent();
    const searches: string[] = [];
    page.on('request', (r) => { if (r.url().includes('/mast/search/')) searches.push(r.url()); });
    await page.getByRole('link', { name: OBS }).click();
    await page.getByRole('heading', { name: `Observation ${OBS}` }).waitFor();
    await page.goBack();
    await page.getByRole('link', { name: OBS }).waitFor();
    assert.equal(await page.locator('caption').first().textContent(), caption);
    assert.equal(await page.getByLabel('Target name').inputValue(), 'NGC 3132');
    assert.deepEqual(searches, [], 'the results come back from this tab, not from a new search');
    // A shared link runs the search it names.
    const other = await openPage(browser);
    try {
      await other.goto(`${stack.url}/app/#/search?mode=target&target=${encodeURIComponent('NGC 3132')}&run=1`);
      await other.getByRole('link', { name: OBS }).waitFor();
      assert.equal(await other.locator('caption').first().textContent(), caption);
    } finally {
      await other.close();
    }
  });

  it('opens an observation and downloads products while the progress bar moves, with pause and resume', async () => {
    await page.getByRole('link', { name: OBS }).click();
    await page.getByRole('heading', { name: `Observation ${OBS}` }).waitFor();
    const i2d = `${OBS}_i2d.fits`;
    await page.getByRole('checkbox', { name: `select ${i2d}` }).check();
    await shot('products');
    // No byte comes until the page shows the job; then the file stops at 256 KiB until the pause:
    // the bar moves and is paused before the end, however fast or loaded the machine.
    const start = stack.fake.holdDownloads(0);
    await page.getByRole('button', { name: /Download selected/ }).click();
    await page.getByRole('heading', { name: 'Downloads' }).waitFor();
    const job = page.locator('article[data-job-id]').first();
    await job.waitFor();
    // Only the ticked product is downloaded.
    await job.getByText('of 1 files').waitFor();
    const bar = job.getByRole('progressbar').first();
    const first = Number(await bar.getAttribute('aria-valuenow'));
    const rest = stack.fake.holdDownloads(262_144);
    start.release();
    await page.waitForFunction(`Number(document.querySelector('article[data-job-id] [role=progressbar]')?.getAttribute('aria-valuenow')) > ${first}`);
    await job.getByRole('button', { name: 'Pause' }).click();
    await job.getByTestId('job-stage').filter({ hasText: 'paused' }).waitFor();
    const pausedAt = Number(await bar.getAttribute('aria-valuenow'));
    assert.ok(pausedAt < 100, 'paused before the end');
    await shot('downloads');
    rest.release();
    stack.fake.setDownloadSwitches({ '*': {} });
    await job.getByRole('button', { name: 'Resume' }).click();
    await job.getByTestId('job-stage').filter({ hasText: 'complete' }).waitFor();
    assert.equal(Number(await bar.getAttribute('aria-valuenow')), 100);
  });

  it('opens a downloaded file in the viewer, changes the stretch and sees the image change', async () => {
    await page.getByRole('link', { name: `${OBS}_i2d.fits` }).first().click();
    const canvas = page.getByTestId('tile-canvas');
    await canvas.waitFor();
    const ready = `document.querySelector('[data-testid=tile-canvas]')?.dataset.ready === 'true'`;
    await page.waitForFunction(ready);
    await page.waitForTimeout(300);
    const before = await canvas.screenshot();
    await page.getByLabel('Stretch', { exact: true }).selectOption('log');
    await page.waitForFunction(ready);
    await page.waitForTimeout(300);
    const afterShot = await canvas.screenshot();
    assert.ok(!before.equals(afterShot), 'the rendered image changed');
    await shot('viewer');
  });

  it("reads a pixel's value and RA/Dec under the cursor", async () => {
    const stage = page.getByTestId('viewer-stage');
    const box = await stage.boundingBox();
    assert.ok(box);
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    const readout = page.getByTestId('cursor-readout');
    await page.waitForFunction(`/RA=/.test(document.querySelector('[data-testid=cursor-readout]')?.textContent ?? '')`);
    const text = (await readout.textContent()) ?? '';
    assert.match(text, /RA=10h07m/); // NGC 3132 is at RA 10h07m
    assert.match(text, /Dec=-40°/);
  });

  it('takes region statistics of a rectangle drawn on the image', async () => {
    await page.getByRole('radio', { name: 'rectangle' }).check();
    await page.evaluate('window.scrollTo(0, 0)'); // the radio may have scrolled the image partly out of the window
    const stage = page.getByTestId('viewer-stage');
    const box = await stage.boundingBox();
    assert.ok(box);
    const cx = box.x + box.width / 2;
    const cy = box.y + box.height / 2;
    await page.mouse.move(cx - 40, cy - 30);
    await page.mouse.down();
    await page.mouse.move(cx + 40, cy + 30, { steps: 5 });
    await page.mouse.up();
    await page.getByRole('button', { name: 'Measure' }).click();
    const table = page.getByTestId('region-stats');
    await table.waitFor();
    const text = (await table.textContent()) ?? '';
    assert.match(text, /pixel_count/);
    assert.match(text, /mean/);
    await shot('region-statistics');
  });

  it('builds a 3-channel composite', async () => {
    // Two more NIRCam filters of the same field, straight from the fake's data set.
    for (const f of ['f187n', 'f212n']) {
      const name = `jw02733-o001_t001_nircam_clear-${f}_i2d.fits`;
      const file = stack.fake.dataset.files.get(`mast:jwst/product/${name}`);
      assert.ok(file, `fake file ${name}`);
      await mkdir(join(stack.dataDir, 'mast', `jw02733-o001_t001_nircam_clear-${f}`), { recursive: true });
      await writeFile(join(stack.dataDir, 'mast', `jw02733-o001_t001_nircam_clear-${f}`, name), await file.load());
    }
    await page.goto(`${stack.url}/app/#/composite`);
    const files = [`f090w`, `f187n`, `f212n`].map((f) => `mast/jw02733-o001_t001_nircam_clear-${f}/jw02733-o001_t001_nircam_clear-${f}_i2d.fits`);
    for (let i = 0; i < 3; i++) {
      const select = page.locator(`#ch${i}-files`);
      await select.locator('option').first().waitFor({ state: 'attached' });
      await select.selectOption([files[i] as string]);
    }
    await page.getByRole('button', { name: 'Generate composite' }).click();
    const out = page.getByTestId('generated-image');
    await out.waitFor();
    await page.waitForFunction(`(document.querySelector('[data-testid=generated-image]')?.naturalWidth ?? 0) > 0`);
    const dims = (await page.evaluate(`[document.querySelector('[data-testid=generated-image]').naturalWidth, document.querySelector('[data-testid=generated-image]').naturalHeight]`)) as number[];
    assert.ok(Math.max(dims[0] ?? 0, dims[1] ?? 0) > 100, `composite size ${dims.join('x')}`);
    // the page as it is used: controls beside the live preview, rendered at full resolution
    await page.waitForFunction(`/Full resolution/.test(document.querySelector('[data-testid=preview-state]')?.textContent ?? '')`);
    await page.evaluate('window.scrollTo(0, 0)');
    await shot('composite');
  });

  it('builds a mosaic from two tiles after showing their footprints', async () => {
    await page.goto(`${stack.url}/app/#/mosaic`);
    const select = page.locator('#mosaic-files');
    await select.locator('option').first().waitFor({ state: 'attached' });
    await select.selectOption(['f187n', 'f212n'].map((f) => `mast/jw02733-o001_t001_nircam_clear-${f}/jw02733-o001_t001_nircam_clear-${f}_i2d.fits`));
    await page.getByRole('button', { name: 'Show footprints' }).click();
    await page.getByRole('img', { name: /Footprints of the chosen files/ }).waitFor();
    assert.equal(await page.locator('svg polygon').count(), 2);
    await page.getByRole('button', { name: 'Generate mosaic' }).click();
    const out = page.getByTestId('generated-image');
    await out.waitFor();
    await page.waitForFunction(`(document.querySelector('[data-testid=generated-image]')?.naturalWidth ?? 0) > 0`);
    await shot('mosaic');
  });

  it('steps through a spectral cube with its wavelength slider and plots a 1-D spectrum', async () => {
    const dir = join(stack.dataDir, 'mast', 'jw01039-o004_t001_miri_ch3-long');
    await mkdir(dir, { recursive: true });
    for (const kind of ['s3d', 'x1d']) {
      const name = `jw01039-o004_t001_miri_ch3-long_${kind}.fits`;
      const file = stack.fake.dataset.files.get(`mast:jwst/product/${name}`);
      assert.ok(file, `fake file ${name}`);
      await writeFile(join(dir, name), await file.load());
    }
    await page.goto(`${stack.url}/app/#/viewer?file=${encodeURIComponent('mast/jw01039-o004_t001_miri_ch3-long/jw01039-o004_t001_miri_ch3-long_s3d.fits')}`);
    const slider = page.locator('#slice');
    await slider.waitFor();
    const label = page.locator('label[for=slice]');
    await page.waitForFunction(`/Wavelength slice \\d+ of \\d+ \\([\\d.e+-]+ um\\)/.test(document.querySelector('label[for=slice]')?.textContent ?? '')`);
    await slider.fill('3');
    // The canvas says which slice its "ready" is about: the previous slice stays ready until the new one is asked for.
    await page.waitForFunction(`new URLSearchParams(location.hash.split('?')[1]).get('slice') === '3' && document.querySelector('[data-testid=tile-canvas]')?.dataset.slice === '3' && document.querySelector('[data-testid=tile-canvas]')?.dataset.ready === 'true'`);
    assert.match((await label.textContent()) ?? '', /slice 4 of/);
    await shot('cube');
    // A rectangle measured on the cube also gives its mean spectrum against wavelength.
    await page.getByRole('radio', { name: 'rectangle' }).check();
    await page.evaluate('window.scrollTo(0, 0)');
    const cubeBox = await page.getByTestId('viewer-stage').boundingBox();
    assert.ok(cubeBox);
    await page.mouse.move(cubeBox.x + cubeBox.width / 2 - 20, cubeBox.y + cubeBox.height / 2 - 20);
    await page.mouse.down();
    await page.mouse.move(cubeBox.x + cubeBox.width / 2 + 20, cubeBox.y + cubeBox.height / 2 + 20, { steps: 5 });
    await page.mouse.up();
    await page.getByRole('button', { name: 'Measure' }).click();
    await page.getByTestId('region-stats').waitFor();
    await page.getByRole('tab', { name: 'Spectrum' }).click();
    const regionSpectrum = page.getByTestId('region-spectrum');
    await regionSpectrum.waitFor();
    assert.match((await regionSpectrum.textContent()) ?? '', /Mean spectrum of x=\d+–\d+, y=\d+–\d+ .*wavelength in um/);

    await page.goto(`${stack.url}/app/#/viewer?file=${encodeURIComponent('mast/jw01039-o004_t001_miri_ch3-long/jw01039-o004_t001_miri_ch3-long_x1d.fits')}`);
    await page.getByRole('img', { name: 'Spectrum plot' }).waitFor();
    assert.ok((await page.locator('table').last().locator('tbody tr').count()) > 0, 'spectrum rows shown');
    // the spectrum in another unit: the plot asks the engine to convert
    const converted = page.waitForResponse((r) => r.url().includes('/analysis/spectral-data') && r.url().includes('wavelength_unit=nm') && r.status() === 200);
    await page.getByLabel('Wavelength unit').selectOption('nm');
    await converted;
    await page.getByRole('img', { name: 'Spectrum plot' }).waitFor();
    // the grid sorts on the server: a header click sorts ascending, a second one descending
    const header = page.getByTitle('Sort by WAVELENGTH');
    await header.click();
    await page.locator('th[aria-sort=ascending]').waitFor();
    const firstAsc = await page.locator('table').last().locator('tbody tr').first().locator('td').first().textContent();
    await header.click();
    await page.locator('th[aria-sort=descending]').waitFor();
    await page.waitForFunction(`[...document.querySelectorAll('table')].pop()?.querySelector('tbody tr td')?.textContent !== ${JSON.stringify(firstAsc)}`);
    // a search no row matches gives an empty page
    await page.getByLabel('Search rows').fill('no-such-text');
    await page.getByLabel('Search rows').press('Enter');
    await page.waitForFunction(`/of 0 matching/.test(document.querySelector('[data-testid=table-range]')?.textContent ?? '')`);
    await shot('spectrum');

    // A JWST source catalogue (ECSV, no FITS) opens in the same grid, sorted on the server.
    await copyFile(fileURLToPath(new URL('../fixtures/ecsv/jwst_cat.ecsv', import.meta.url)), join(dir, 'jw01039-o004_t001_miri_ch3-long_cat.ecsv'));
    await page.goto(`${stack.url}/app/#/viewer?file=${encodeURIComponent('mast/jw01039-o004_t001_miri_ch3-long/jw01039-o004_t001_miri_ch3-long_cat.ecsv')}`);
    await page.waitForFunction(`/rows 1–\\d+ of 40$/.test(document.querySelector('[data-testid=table-range]')?.textContent ?? '')`);
    await page.getByTitle('Sort by xcentroid').click();
    await page.locator('th[aria-sort=ascending]').waitFor();
    assert.equal(await page.getByRole('alert').count(), 0, 'no error from an earlier file');
  });

  it('reads well on a phone-sized screen', async () => {
    const phone = await openPage(browser, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    try {
      await phone.goto(`${stack.url}/app/#/search`);
      await phone.getByLabel('Target name').fill('NGC 3132');
      await phone.getByRole('button', { name: 'Search', exact: true }).click();
      await phone.getByRole('link', { name: OBS }).waitFor();
      // Each result is a card that shows every column, labelled.
      const tr = `document.querySelector('table.cards-on-phone tbody tr')`;
      assert.equal(await phone.evaluate(`getComputedStyle(${tr}).display`), 'block');
      const labels = await phone.evaluate(`[...${tr}.querySelectorAll('td')].filter((td) => td.getBoundingClientRect().height > 0).map((td) => getComputedStyle(td, '::before').content)`) as string[];
      assert.equal(labels.length, 11, `all 11 columns shown: ${JSON.stringify(labels)}`);
      assert.ok(labels.includes('"Observation"') && labels.includes('"Access"'), JSON.stringify(labels));
      const overflow = await phone.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
      assert.ok((overflow as number) <= 1, `page is ${String(overflow)} px wider than the screen`);
      await phone.screenshot({ path: join(SHOTS, 'phone-search.png') });
    } finally {
      await phone.close();
    }
  });

  it('lists downloaded files in the library with thumbnails', async () => {
    await page.goto(`${stack.url}/app/#/library`);
    await page.getByRole('heading', { name: `Observation ${OBS}` }).waitFor();
    await page.waitForFunction(`document.querySelectorAll('img.thumb').length > 0`);
    await shot('library');
  });
});
