/**
 * The composite workbench's whole-picture and output controls end to end in Debian's Chromium
 * (playwright-core), on the fake MAST's NGC 3132 (three NIRCam filters): an exact 400 x 240
 * canvas (previews keep its aspect), then each control in turn (background neutralisation,
 * overall levels, sharpening, vibrancy and hue shift, the rotation slider, a channel's label,
 * hue and wavelength, JPEG and its quality, AVM metadata and embedding, forced downscale,
 * coverage masks), each checked in the request the page sends and in the picture the engine
 * answers (different bytes from the render before); then "Generate composite" as a job of the
 * jobs API, its progress on /api/jobs/{id}/events shown, and its output shown and downloadable,
 * equal byte for byte to the synchronous render of the same settings; Cancel cancels the job. Screenshot:
 * composite-controls.png (`npm run screenshots` puts it in docs/screenshots/).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { Browser, Page, Response } from 'playwright-core';
import { join } from 'node:path';
import { launchChromium, placeFakeI2d, screenshotsDir, openPage, startStack, type Stack } from './harness.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FILTERS = ['f090w', 'f187n', 'f212n'];
const W = 400;
const H = 240;

type Body = Record<string, unknown> & { channels: Array<Record<string, unknown>> };
const bodyOf = (r: Response): Body => JSON.parse(r.request().postData() ?? '{}') as Body;
const isRender = (r: Response) => r.url().endsWith('/composite/generate-nchannel') && r.status() === 200;

/** Width and height of a PNG (IHDR) or a baseline/progressive JPEG (SOF0/SOF2). */
function dims(b: Buffer): [number, number] {
  if (b.subarray(1, 4).toString('latin1') === 'PNG') return [b.readUInt32BE(16), b.readUInt32BE(20)];
  let i = 2;
  while (i < b.length) {
    const marker = b[i + 1]!;
    if (marker === 0xc0 || marker === 0xc2) return [b.readUInt16BE(i + 7), b.readUInt16BE(i + 5)];
    i += 2 + b.readUInt16BE(i + 2);
  }
  throw new Error('no image size found');
}

describe('composite workbench controls, end to end', { timeout: 900_000 }, () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  /** The last full-resolution render's bytes and request. */
  let last: { bytes: Buffer; body: Body; type: string } | null = null;

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}`);
    stack = await startStack();
    await placeFakeI2d(stack, FILTERS);
    browser = await launchChromium();
    page = await openPage(browser, { viewport: { width: 1366, height: 1400 } });
    // Chromium keeps no body of these responses for the test (the page reads them as blobs), so
    // the page keeps each render's bytes, by request body, for bytesOf().
    await page.addInitScript(`(() => {
      const original = window.fetch.bind(window);
      window.__renders = new Map();
      window.fetch = async (input, init) => {
        const res = await original(input, init);
        if (String(input).endsWith('/composite/generate-nchannel') && res.ok) {
          const body = init && init.body;
          res.clone().arrayBuffer().then((b) => window.__renders.set(body, b), () => undefined);
        }
        return res;
      };
    })()`);
  });

  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  /** The next full-resolution render of the W x H canvas whose request passes `also` (register before acting). */
  const nextFull = (also: (b: Body) => boolean) => page.waitForResponse((r) => {
    if (!isRender(r)) return false;
    const b = bodyOf(r);
    return b.width === W && b.height === H && also(b);
  });
  const fullShown = () => page.waitForFunction(`/Full resolution/.test(document.querySelector('[data-testid=preview-state]')?.textContent ?? '')`);

  /** The bytes of a render the page received. */
  async function bytesOf(res: Response): Promise<Buffer> {
    const key = res.request().postData() ?? '';
    await page.waitForFunction((k) => (globalThis as unknown as { __renders: Map<string, ArrayBuffer> }).__renders.has(k), key);
    const b64 = await page.evaluate((k) => {
      const bytes = new Uint8Array((globalThis as unknown as { __renders: Map<string, ArrayBuffer> }).__renders.get(k)!);
      let s = '';
      for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return btoa(s);
    }, key);
    return Buffer.from(b64, 'base64');
  }

  /** Acts, then waits for the full render whose request passes `sent`; checks it differs from the render before unless told. */
  async function step(name: string, act: () => Promise<void>, sent: (b: Body) => boolean, opts: { changes?: boolean } = {}): Promise<{ bytes: Buffer; body: Body; res: Response }> {
    const full = nextFull(sent);
    await act();
    const res = await full;
    const body = bodyOf(res);
    const bytes = await bytesOf(res);
    if (opts.changes !== false && last) assert.ok(!bytes.equals(last.bytes), `${name}: the picture changed`);
    last = { bytes, body, type: res.headers()['content-type'] ?? '' };
    await fullShown();
    return { bytes, body, res };
  }

  it('renders an exact non-square canvas, previews with its aspect', async () => {
    const previews: Body[] = [];
    page.on('response', (r) => {
      if (isRender(r) && bodyOf(r).output_format === 'jpeg' && bodyOf(r).embed_avm === false) previews.push(bodyOf(r));
    });
    await page.goto(`${stack.url}/app/#/composite`);
    for (const [i, f] of FILTERS.entries()) {
      const select = page.locator(`#ch${i}-files`);
      await select.locator('option').first().waitFor({ state: 'attached' });
      await select.selectOption([`mast/jw02733-o001_t001_nircam_clear-${f}/jw02733-o001_t001_nircam_clear-${f}_i2d.fits`]);
    }
    const { bytes } = await step('canvas', async () => {
      await page.locator('#comp-width').fill(String(W));
      await page.locator('#comp-height').fill(String(H));
    }, () => true);
    assert.deepEqual(dims(bytes), [W, H], 'the canvas is exactly width x height');
    assert.ok(previews.some((p) => p.width === 360 && p.height === 216), `a 360 x 216 preview: ${JSON.stringify(previews.map((p) => [p.width, p.height]))}`);
    const img = (await page.getByTestId('composite-preview').locator('img').boundingBox())!;
    assert.ok(Math.abs(img.width / img.height - W / H) < 0.02, `the preview box has the canvas aspect: ${img.width} x ${img.height}`);
    assert.match(await page.getByTestId('preview-state').textContent() ?? '', new RegExp(`Full resolution \\(${W} × ${H} px\\)`));
  });

  it('sends and renders each whole-picture adjustment', async () => {
    await step('background neutralisation off', () => page.locator('#comp-neutralize').uncheck(), (b) => b.background_neutralization === false);

    let r = await step('overall levels', async () => {
      await page.locator('#comp-overall').check();
      await page.locator('#comp-overall-stretch').selectOption('asinh');
      await page.locator('#comp-overall-gamma').fill('1.5');
    }, (b) => (b.overall as { stretch?: string; gamma?: number } | null)?.stretch === 'asinh' && (b.overall as { gamma: number }).gamma === 1.5);
    assert.deepEqual(r.body.overall, { stretch: 'asinh', black_point: 0, white_point: 1, gamma: 1.5, asinh_a: 0.1 });

    r = await step('sharpening', async () => {
      await page.locator('#comp-sharpen-amount').fill('2');
      await page.locator('#comp-sharpen-radius').fill('3');
    }, (b) => (b.sharpening as { radius?: number } | null)?.radius === 3);
    assert.deepEqual(r.body.sharpening, { radius: 3, amount: 2, threshold: 0 });

    r = await step('vibrancy and hue shift', async () => {
      await page.locator('#comp-vibrancy').fill('0.6');
      await page.locator('#comp-hue-shift').fill('20');
    }, (b) => (b.saturation as { hue_rotation?: number } | null)?.hue_rotation === 20);
    assert.deepEqual(r.body.saturation, { saturation: 1, vibrancy: 0.6, hue_rotation: 20 });

    r = await step('rotation slider', () => page.locator('#comp-rotation-slider').fill('30'), (b) => b.rotation_degrees === 30);
    assert.equal(await page.locator('#comp-rotation').inputValue(), '30', 'the typed rotation follows the slider');

    r = await step('label, hue and wavelength of a channel', async () => {
      await page.locator('#ch0-label').fill('F090W');
      await page.locator('#ch0-wavelength').fill('0.9');
      await page.locator('#ch0-hue').fill('200');
    }, (b) => JSON.stringify(b.channels[0]!.color) === '{"hue":200}' && b.channels[0]!.label === 'F090W' && b.channels[0]!.wavelength_um === 0.9);
    assert.match(await page.locator('fieldset legend').first().textContent() ?? '', /F090W/);
    assert.equal(await page.locator('#ch0-color').inputValue(), '#00aaff', 'the picker shows the hue');
  });

  it('sends and renders the output settings', async () => {
    let r = await step('JPEG at quality 60', async () => {
      await page.locator('#comp-format').selectOption('jpeg');
      await page.locator('#comp-quality').fill('60');
    }, (b) => b.output_format === 'jpeg' && b.quality === 60);
    assert.equal(r.res.headers()['content-type'], 'image/jpeg');
    assert.deepEqual([r.bytes[0], r.bytes[1]], [0xff, 0xd8]);
    assert.deepEqual(dims(r.bytes), [W, H]);

    await page.getByText('AVM metadata').click();
    r = await step('AVM target name', () => page.locator('#comp-avm-target_name').fill('NGC 3132 test'), (b) => typeof b.avm_metadata === 'string' && (b.avm_metadata).includes('NGC 3132 test'));
    assert.deepEqual(JSON.parse(r.body.avm_metadata as string), { target_name: 'NGC 3132 test' });
    assert.ok(r.bytes.includes('NGC 3132 test'), 'the target name is in the picture\'s AVM');
    r = await step('no AVM', () => page.locator('#comp-avm').uncheck(), (b) => b.embed_avm === false && b.avm_metadata === null);
    assert.ok(!r.bytes.includes('NGC 3132 test') && !r.bytes.includes('avm:'), 'no AVM in the picture');

    // the grid fits the memory budget, so forcing changes nothing but the request
    r = await step('forced downscale allowed', () => page.locator('#comp-force').check(), (b) => b.allow_force_downscale === true, { changes: false });
    assert.equal(r.res.headers()['x-composite-budget-status'], 'ok');

    r = await step('coverage masks', () => page.locator('#comp-masks').check(), (b) => b.debug_masks === true);
    assert.ok(r.res.headers()['x-debug-channels'], 'masks answer their channels');
    assert.match(await page.getByTestId('render-notes').textContent() ?? '', /coverage masks of F090W/);
    await step('the picture again', () => page.locator('#comp-masks').uncheck(), (b) => b.debug_masks === false);
  });

  it('renders the full resolution as a job: progress from its events, then the picture shown and downloadable', async () => {
    assert.ok(last, 'a synchronous render of the current settings');
    // record every text the job's progress panel shows, however briefly
    await page.evaluate(`(() => {
      window.__jobTexts = [];
      new MutationObserver(() => {
        const t = document.querySelector('[data-testid=composite-job]')?.textContent;
        if (t && window.__jobTexts.at(-1) !== t) window.__jobTexts.push(t);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    })()`);
    const submitted = page.waitForResponse((r) => r.url().endsWith('/composite/generate-nchannel?async=true'));
    const events = page.waitForRequest((r) => /\/api\/jobs\/[^/]+\/events$/.test(r.url()));
    await page.getByRole('button', { name: 'Generate composite' }).click();
    const accepted = await submitted;
    assert.equal(accepted.status(), 202);
    const job = (await accepted.json()) as { job_id: string; events_url: string; output_url: string };
    assert.deepEqual(bodyOf(accepted), last.body, 'the job renders the settings of the last full resolution');
    assert.ok((await events).url().endsWith(job.events_url));
    const out = page.getByTestId('generated-image');
    await out.waitFor();
    await page.waitForFunction(`(document.querySelector('[data-testid=generated-image]')?.naturalWidth ?? 0) > 0`);
    const size = (await page.evaluate(`[document.querySelector('[data-testid=generated-image]').naturalWidth, document.querySelector('[data-testid=generated-image]').naturalHeight]`)) as number[];
    assert.deepEqual(size, [W, H]);
    const texts = (await page.evaluate('window.__jobTexts')) as string[];
    assert.ok(texts.some((t) => t.includes(`Job ${job.job_id}`) && /\(\d+ %\)/.test(t)), `progress shown: ${JSON.stringify(texts)}`);
    assert.match(await page.getByTestId('job-result').textContent() ?? '', new RegExp(`${W} × ${H} px, quality [\\d.]+ / 5`));
    assert.equal(await page.getByTestId('composite-job').count(), 0, 'the progress panel is gone');
    const link = page.getByRole('link', { name: 'Download composite.jpg' });
    assert.match(await link.getAttribute('href') ?? '', /^blob:/);
    const shown = Buffer.from((await page.evaluate(`fetch(document.querySelector('[data-testid=generated-image]').src).then((r) => r.arrayBuffer()).then((b) => Array.from(new Uint8Array(b)))`)) as number[]);
    assert.ok(shown.equals(last.bytes), 'the job\'s picture equals the synchronous render of the same settings');
    const record = (await (await fetch(`${stack.url}/api/jobs/${job.job_id}`)).json()) as { status: string; type: string };
    assert.deepEqual([record.status, record.type], ['succeeded', 'composite-nchannel']);
    // the whole-picture and output controls beside the preview, the job's picture below
    await page.locator('legend', { hasText: 'Whole picture' }).evaluate((e) => e.scrollIntoView({ block: 'start' }));
    await page.screenshot({ path: join(screenshotsDir(), 'composite-controls.png') });
  });

  it('cancels a render job from the page', async () => {
    // the job's event stream is held, so the page is still waiting when Cancel is clicked
    const events = /\/api\/jobs\/[^/]+\/events$/;
    await page.route(events, () => undefined);
    try {
      const submitted = page.waitForResponse((r) => r.url().endsWith('/composite/generate-nchannel?async=true'));
      await page.getByRole('button', { name: 'Generate composite' }).click();
      const job = (await (await submitted).json()) as { job_id: string };
      await page.getByTestId('composite-job').waitFor();
      const cancel = page.waitForRequest((r) => r.url().endsWith(`/api/jobs/${job.job_id}/cancel`) && r.method() === 'POST');
      await page.getByRole('button', { name: 'Cancel', exact: true }).click();
      await cancel;
      await page.getByRole('alert').filter({ hasText: 'The render job was cancelled.' }).waitFor();
      assert.equal(await page.getByTestId('composite-job').count(), 0, 'the progress panel is gone');
      assert.ok(await page.getByRole('button', { name: 'Generate composite' }).isEnabled());
      // the job ended cancelled, or had finished before the cancel reached it
      // a cancel is a request: the render stops at its next check, so wait for the job to end
      const ended = ['cancelled', 'succeeded', 'failed'];
      let status = '';
      for (let tries = 0; tries < 300 && !ended.includes(status); tries++) {
        if (tries > 0) await new Promise((resolve) => setTimeout(resolve, 100));
        status = ((await (await fetch(`${stack.url}/api/jobs/${job.job_id}`)).json()) as { status: string }).status;
      }
      assert.ok(['cancelled', 'succeeded'].includes(status), status);
    } finally {
      await page.unrouteAll({ behavior: 'ignoreErrors' });
    }
  });
});
