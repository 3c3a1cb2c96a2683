/**
 * A composite recipe in one click, end to end in Debian's Chromium (playwright-core) against the
 * fake MAST: the search's results offer the recipes of POST /discovery/suggest-recipes (filters in
 * chromatic order, instruments); "Build composite" on the three-filter NIRCam recipe downloads
 * the two level-3 observations the library lacks (their i2d only, as chunked download jobs, with
 * progress shown), leaves the one it holds, then opens the composite page with one channel per
 * filter (its file, the colour of its wavelength) and renders it. The fake's i2d files are
 * 0.8 MB; every wait is on a condition of the page.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { browserStack, screenshotsDir } from './harness.js';

const HELD = 'jw02733-o001_t001_nircam_clear-f090w';
const MISSING = ['jw02733-o001_t001_nircam_clear-f212n', 'jw02733-o001_t001_nircam_f444w-f470n'];

describe('composite recipe in one click, end to end', { timeout: 900_000 }, () => {
  let held: { release: () => void } | undefined;
  const e2e = browserStack({ viewport: { width: 1366, height: 1000 } }, async (stack) => {
    // The downloads stop after their first 128 KiB until the page has shown their progress: it is
    // seen while they run, however fast or loaded the machine.
    held = stack.fake.holdDownloads(131_072);
    const name = `${HELD}_i2d.fits`;
    const file = stack.fake.dataset.files.get(`mast:jwst/product/${name}`);
    assert.ok(file, `fake file ${name}`);
    await mkdir(join(stack.dataDir, 'mast', HELD), { recursive: true });
    await writeFile(join(stack.dataDir, 'mast', HELD, name), await file.load());
    await mkdir(screenshotsDir(), { recursive: true });
  });

  it('offers the recipes of the results and builds one: downloads what is missing, then the composite renders with its channels', async () => {
    const starts: Array<Record<string, unknown>> = [];
    e2e.page.on('request', (r) => {
      if (r.url().endsWith('/mast/download/start-chunked')) starts.push(JSON.parse(r.postData() ?? '{}') as Record<string, unknown>);
    });
    await e2e.page.goto(`${e2e.stack.url}/app/#/search?mode=target&target=${encodeURIComponent('NGC 3132')}&run=1`);
    const recipe = e2e.page.getByTestId('recipe').filter({ has: e2e.page.getByText('NIRCAM classic', { exact: true }) });
    await recipe.waitFor();
    assert.deepEqual(await recipe.locator('.filter-chip').allTextContents(), ['F090W', 'F212N', 'F470N'], 'filters, shortest wavelength first');
    assert.match(await recipe.textContent() ?? '', /NIRCAM/);
    // The cross-instrument recipe names both instruments.
    const best = e2e.page.getByTestId('recipe').filter({ has: e2e.page.getByText('MIRI + NIRCAM Best 6', { exact: true }) });
    assert.match(await best.textContent() ?? '', /MIRI \+ NIRCAM/);
    await e2e.page.getByRole('heading', { name: /Colour composite recipes/ }).scrollIntoViewIfNeeded();

    await recipe.getByRole('button', { name: 'Build composite: NIRCAM classic' }).click();
    // Progress of a download while it runs, the held observation left alone.
    await e2e.page.waitForFunction(`[...document.querySelectorAll('[role=progressbar]')].some((b) => /download jw02733-o001_t001_nircam/.test(b.getAttribute('aria-label')) && Number(b.getAttribute('aria-valuenow')) > 0)`);
    const inLibrary = e2e.page.getByTestId('recipe-build').locator('li', { hasText: HELD });
    assert.equal(await inLibrary.getByTestId('build-state').textContent(), 'in library');
    await e2e.page.screenshot({ path: join(screenshotsDir(), 'composite-recipe.png') });
    held?.release();

    // Then the composite page with the recipe's channels, rendered at full resolution.
    const full = e2e.page.waitForResponse((r) => {
      if (!r.url().endsWith('/composite/generate-nchannel') || r.status() !== 200) return false;
      return (JSON.parse(r.request().postData() ?? '{}') as { width?: number }).width === 1000;
    });
    await e2e.page.waitForURL(/#\/composite\?/);
    const body = JSON.parse((await full).request().postData()!) as { channels: Array<{ label: string; file_paths: string[]; color: { rgb: number[] } }>; feather_strength: number | null };
    await e2e.page.waitForFunction(`/Full resolution/.test(document.querySelector('[data-testid=preview-state]')?.textContent ?? '')`);

    assert.deepEqual(starts.map((s) => s.obs_id).sort(), [...MISSING].sort(), 'only the missing observations are downloaded');
    assert.ok(starts.every((s) => JSON.stringify(s.subgroup) === '["I2D"]'), `their i2d products: ${JSON.stringify(starts)}`);
    assert.deepEqual(body.channels.map((c) => c.label), ['F090W', 'F212N', 'F470N']);
    assert.deepEqual(body.channels.map((c) => c.file_paths), [
      [`mast/${HELD}/${HELD}_i2d.fits`],
      ...MISSING.map((o) => [`mast/${o}/${o}_i2d.fits`]),
    ]);
    // Colours by wavelength: blue for the shortest, red for the longest.
    assert.deepEqual(body.channels[0]!.color.rgb, [0, 0, 1]);
    assert.deepEqual(body.channels[2]!.color.rgb, [1, 0, 0]);
    for (const o of MISSING) assert.ok(existsSync(join(e2e.stack.dataDir, 'mast', o, `${o}_i2d.fits`)), `${o} downloaded`);
    const score = Number(/quality ([\d.]+) \/ 5/.exec(await e2e.page.getByTestId('quality-score').textContent() ?? '')?.[1]);
    assert.ok(score >= 1 && score <= 5, `quality score ${score}`);
    assert.match(await e2e.page.getByTestId('composite-recipe').textContent() ?? '', /NIRCAM classic/);
  });
});
