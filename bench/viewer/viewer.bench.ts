/**
 * The full-resolution viewer in Chromium (WebGL2 through SwiftShader here; a real GPU is faster),
 * side by side with the preview path it replaced:
 * - first full view of an i2d-sized image after the file is chosen (tiles drawn) vs. the 1600 px
 *   PNG preview loaded in an <img>;
 * - a stretch change (input to the next frame drawn, no server request);
 * - pan/zoom frame times (p50, p95) over a burst of wheel and drag steps;
 * - JS heap of the page after viewing a large mosaic-sized image at fit and at 100 %.
 * BENCH_VIEWER_SIZE (default 4096) and BENCH_VIEWER_MOSAIC (default 10000) set the image sizes;
 * smoke-run small (e.g. 1024 and 2048) on a shared machine: timings then mean nothing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { encodeFits } from '../../src/fits/index.js';
import { startStack } from '../../test/e2e/harness.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SIZE = Number(process.env.BENCH_VIEWER_SIZE ?? 4096);
const MOSAIC = Number(process.env.BENCH_VIEWER_MOSAIC ?? 10000);
const root = fileURLToPath(new URL('../..', import.meta.url));

async function writeImage(path: string, n: number): Promise<void> {
  const data = new Float32Array(n * n);
  let s = 1;
  for (let i = 0; i < data.length; i++) {
    s = (s * 16807) % 2147483647;
    data[i] = (s / 2147483647) * 3 + Math.exp(-(((i % n) - n / 2) ** 2 + (Math.floor(i / n) - n / 2) ** 2) / (n * n * 0.01)) * 50;
  }
  const cards = [
    { keyword: 'CTYPE1', value: 'RA---TAN' }, { keyword: 'CTYPE2', value: 'DEC--TAN' }, { keyword: 'CRVAL1', value: 151.75 }, { keyword: 'CRVAL2', value: -40.44 },
    { keyword: 'CRPIX1', value: n / 2 }, { keyword: 'CRPIX2', value: n / 2 }, { keyword: 'CDELT1', value: -8.6e-6 }, { keyword: 'CDELT2', value: 8.6e-6 }, { keyword: 'BUNIT', value: 'MJy/sr' },
  ];
  await writeFile(path, await encodeFits([{ axes: [], cards: [] }, { axes: [n, n], data, extname: 'SCI', cards }]));
}

const ready = (page: Page) => page.waitForFunction(`document.querySelector('[data-testid=tile-canvas]')?.dataset.ready === 'true'`, undefined, { timeout: 300_000 });
const pct = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((q / 100) * xs.length))]!;

async function main(): Promise<void> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}`);
  const build = spawnSync(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('web build failed');
  const stack = await startStack();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--enable-precise-memory-info'] });
  const rows: Array<[string, string, string]> = [];
  try {
    await writeImage(join(stack.dataDir, 'i2d.fits'), SIZE);
    await writeImage(join(stack.dataDir, 'mosaic.fits'), MOSAIC);
    const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    await page.goto(`${stack.url}/app/#/library`);

    // First full view: choosing the file to the tiles drawn (engine caches cold).
    let t0 = Date.now();
    await page.goto(`${stack.url}/app/#/viewer?file=i2d.fits`);
    await ready(page);
    const firstView = Date.now() - t0;
    // The preview path it replaced: the 1600 px PNG (zscale) in an <img>, on a fresh engine cache key.
    const previewMs = await page.evaluate(`new Promise((resolve) => { const t = performance.now(); const img = new Image(); img.onload = () => resolve(performance.now() - t); img.src = '/preview/bench?file_path=i2d.fits&width=1600&height=1600&gamma=1.0001'; })`) as number;
    rows.push([`first full view, ${SIZE}² (budget < 500 ms)`, `${firstView} ms`, `preview PNG 1600 px: ${previewMs.toFixed(0)} ms`]);

    // Stretch change: input to the next frame, measured in the page.
    const stretchMs: number[] = [];
    for (const s of ['log', 'sqrt', 'asinh', 'linear', 'log', 'sqrt']) {
      stretchMs.push(await page.evaluate(`new Promise((resolve) => {
        const sel = document.getElementById('stretch'); const t = performance.now();
        const setter = Object.getOwnPropertyDescriptor(HTMLSelectElement.prototype, 'value').set; setter.call(sel, ${JSON.stringify(s)});
        sel.dispatchEvent(new Event('change', { bubbles: true }));
        requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - t)));
      })`) as number);
    }
    rows.push(['stretch change to next frame (budget < 50 ms)', `p50 ${pct(stretchMs, 50).toFixed(1)} ms`, `max ${Math.max(...stretchMs).toFixed(1)} ms`]);

    // Pan/zoom: frame intervals while wheel and drag events stream in.
    const box = (await page.getByTestId('tile-canvas').boundingBox())!;
    await page.evaluate(`window.__frames = []; (function tick(t) { window.__frames.push(t); if (window.__frames.length < 100000) requestAnimationFrame(tick); })(performance.now())`);
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    for (let i = 0; i < 20; i++) await page.mouse.wheel(0, i < 10 ? -120 : 120);
    await page.mouse.down();
    for (let i = 0; i < 60; i++) await page.mouse.move(box.x + box.width / 2 + Math.sin(i / 6) * 200, box.y + box.height / 2 + Math.cos(i / 6) * 150);
    await page.mouse.up();
    const frames = await page.evaluate(`window.__frames.slice(1).map((t, i) => t - window.__frames[i])`) as number[];
    rows.push(['pan/zoom frame time (budget p95 < 17 ms)', `p50 ${pct(frames, 50).toFixed(1)} ms`, `p95 ${pct(frames, 95).toFixed(1)} ms (${frames.length} frames)`]);

    // Memory: a mosaic-sized image at fit, then at 100 % in its centre.
    await page.goto(`${stack.url}/app/#/viewer?file=mosaic.fits`);
    await ready(page);
    await page.getByRole('button', { name: 'Zoom to native pixels (100 %)' }).click();
    await ready(page);
    const heap = await page.evaluate(`performance.memory ? performance.memory.usedJSHeapSize : NaN`) as number;
    rows.push([`page JS heap, ${MOSAIC}² mosaic at fit then 100 % (budget < 300 MB)`, `${(heap / 1048576).toFixed(0)} MB`, 'textures live on the GPU side']);
  } finally {
    await browser.close();
    await stack.close();
  }
  const w = Math.max(...rows.map((r) => r[0].length));
  process.stdout.write(`viewer bench (Chromium, SwiftShader WebGL2)\n${rows.map(([a, b, c]) => `${a.padEnd(w)}  ${b.padStart(14)}  ${c}`).join('\n')}\n`);
}

await main();
