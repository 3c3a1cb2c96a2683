/**
 * The workbench's library with users, in headless Chromium: the public library before signing in,
 * sign-in by pasting an API key (then every engine request carries it), "My data" with a job
 * output's lineage, filters, and the availability badge on search results.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { screenshotsDir, openPage, startStack, type Stack } from './harness.js';
import { writeProduct } from '../library/fixtures.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const OBS = 'jw02733-o001_t001_nircam_clear-f090w';
const PUBLIC = `mast/${OBS}/${OBS}_i2d.fits`;
const PUBLIC_CAL = `mast/${OBS}/jw02733001001_02101_00001_nrca1_cal.fits`;
const ALICE = 'processed/job-7/ngc3132_gaussian_filter.fits';

describe('workbench library with users, end to end', { timeout: 900_000 }, () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let aliceKey: string;

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}`);
    stack = await startStack({ env: { AUTH_ENABLED: 'true', LIBRARY_SCAN_ON_START: 'false' } });
    const lib = stack.engine.ctx.library;
    await writeProduct(stack.dataDir, { rel: PUBLIC, instrument: 'NIRCAM', filter: 'F090W', target: 'NGC 3132' });
    await writeProduct(stack.dataDir, { rel: PUBLIC_CAL, instrument: 'NIRCAM', filter: 'F090W', target: 'NGC 3132' });
    await writeProduct(stack.dataDir, { rel: ALICE, instrument: 'NIRCAM', filter: 'F090W', target: 'NGC 3132' });
    const input = await lib.registerCompletedFile({ path: PUBLIC, source: 'download', awaitThumbnail: true });
    await lib.registerCompletedFile({ path: PUBLIC_CAL, source: 'download', awaitThumbnail: true });
    await lib.registerCompletedFile({ path: ALICE, source: 'job', jobId: 'job-7', inputIds: [input.dataId], owner: 'alice', awaitThumbnail: true });
    aliceKey = (await stack.engine.ctx.auth.apiKeys.create('alice', 'User', 'browser')).key;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    page = await openPage(browser, { viewport: { width: 1366, height: 900 } });
    await mkdir(screenshotsDir(), { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  const names = () => page.getByTestId('library-record').allTextContents();

  it('shows the public library before signing in', async () => {
    await page.goto(`${stack.url}/app/#/library`);
    await page.getByRole('button', { name: 'Public library', pressed: true }).waitFor();
    await page.getByTestId('library-record').first().waitFor();
    const cards = await names();
    assert.equal(cards.length, 2, cards.join(' | '));
    assert.ok(cards.every((c) => !c.includes('gaussian_filter')), "alice's private file is not shown");
    assert.ok(await page.getByRole('button', { name: 'My data' }).isDisabled());
  });

  it('signs in by pasting a token, which every engine request then carries', async () => {
    const unauthorised: string[] = [];
    page.on('request', (r) => {
      const u = new URL(r.url());
      if (u.origin === stack.url && !u.pathname.startsWith('/app') && r.resourceType() === 'fetch' && r.headers().authorization !== `Bearer ${aliceKey}`) unauthorised.push(u.pathname);
    });
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('Access token').fill(aliceKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Signed in as alice').waitFor();
    // My data: alice's job output, with its lineage.
    await page.getByRole('button', { name: 'My data', pressed: true }).waitFor();
    await page.getByText('made from', { exact: false }).waitFor();
    const cards = await names();
    assert.equal(cards.length, 1, cards.join(' | '));
    assert.match(cards[0]!, /ngc3132_gaussian_filter\.fits/);
    assert.match(cards[0]!, /private/);
    assert.match(cards[0]!, new RegExp(`made from ${OBS}_i2d\\.fits by job job-7`));
    await page.waitForFunction(`[...document.querySelectorAll('img.thumb')].some((i) => i.complete && i.naturalWidth > 0)`);
    await page.screenshot({ path: join(screenshotsDir(), 'library-mine.png') });
    assert.deepEqual(unauthorised, [], 'every engine request carries the token');
  });

  it('filters the public library by level, instrument, filter and target', async () => {
    await page.getByRole('button', { name: 'Public library' }).click();
    await page.getByRole('button', { name: 'Public library', pressed: true }).waitFor();
    await page.waitForFunction(`document.querySelectorAll('[data-testid=library-record]').length === 2`);
    await page.getByLabel('Level', { exact: true }).selectOption('L3');
    await page.getByLabel('Instrument', { exact: true }).fill('nircam');
    await page.getByLabel('Filter', { exact: true }).fill('F090W');
    await page.getByLabel('Target', { exact: true }).fill('ngc');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForFunction(`document.querySelectorAll('[data-testid=library-record]').length === 1`);
    assert.match((await names())[0]!, /_i2d\.fits/);
    await page.getByLabel('Instrument', { exact: true }).fill('MIRI');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByText('No files match.').waitFor();
  });

  it('marks search results already in the library, with their best level', async () => {
    await page.goto(`${stack.url}/app/`);
    await page.getByLabel('Target name').fill('NGC 3132');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByRole('link', { name: OBS, exact: true }).waitFor();
    const badge = page.getByRole('link', { name: 'already in your library at L3' });
    await badge.waitFor();
    assert.equal(await badge.count(), 1);
  });
});
