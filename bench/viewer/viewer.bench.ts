/**
 * The full-resolution viewer in Chromium, against its budgets (issue #15) and side by side with
 * today's preview path (one zscale PNG rendered by the engine and shown in an <img>):
 * - first full view of a SIZE² i2d after the file is chosen (the viewer's address set in the
 *   running app, from the viewer without a file, to the first frame with every tile of the level that fills the screen drawn) vs.
 *   the 1600 px PNG preview loaded in an <img>; each run on a fresh copy of the file, so the
 *   engine's caches are cold. Printed with the time split per stage (requests, GL set-up, texture
 *   uploads, draws) from the page's resource timings and the viewer's own timings
 *   (web/src/viewer/timing.ts);
 * - a stretch change (input to the next frame, no request) vs. the preview re-rendered with it;
 * - pan/zoom frame times (p50/p95 of requestAnimationFrame intervals) while a wheel or key event
 *   arrives on every frame (see frameBurst), and the draw calls' own cost, vs. the same events
 *   moving an <img> by CSS transform;
 * - memory of a MOSAIC² image at fit, at 100 % and after panning at 100 %: what the page holds (JS
 *   heap from the DevTools Performance metrics, the level-0 values it keeps, the bytes of the
 *   textures it allocated and its canvas buffers), and apart from it the resident memory of the
 *   renderer and GPU processes against the same processes with the viewer page before any image
 *   or WebGL context (Chromium's own share: ~240 MB here).
 * BENCH_VIEWER_PROFILE=DIR writes a CPU profile of the page over the stretch changes and frames.
 *
 * Environment: BENCH_VIEWER_SIZE (4096), BENCH_VIEWER_MOSAIC (10000; 0 skips it), BENCH_VIEWER_RUNS
 * (3 first views), BENCH_VIEWER_GL: comma-separated Chromium GL set-ups to compare (default
 * `swiftshader`; see GL_FLAGS), CHROMIUM_PATH. Figures go to bench/run.ts's --json through
 * recordResult. Smoke-run small (1024 / 2048) on a shared machine: timings then mean nothing.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { encodeFits } from '../../src/fits/index.js';
import { startStack } from '../../test/e2e/harness.js';
import { startTunables } from '../lib/built-engine.js';
import { median, recordResult } from '../lib/results.js';
import { eventLoopRoleEnv, timedWorkControl } from '../lib/event-loop-role.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SIZE = Number(process.env.BENCH_VIEWER_SIZE ?? 4096);
const MOSAIC = Number(process.env.BENCH_VIEWER_MOSAIC ?? 10000);
const RUNS = Math.max(1, Number(process.env.BENCH_VIEWER_RUNS ?? 3));
const root = fileURLToPath(new URL('../..', import.meta.url));

/** Chromium GL set-ups (all software here: the machine has no GPU). */
const GL_FLAGS: Record<string, string[]> = {
  // ANGLE on SwiftShader's Vulkan (what the e2e tests use).
  swiftshader: ['--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
  // ANGLE on the system's OpenGL through EGL: Mesa's llvmpipe (multi-threaded LLVM rasteriser).
  'gl-egl': ['--use-gl=angle', '--use-angle=gl-egl', '--ignore-gpu-blocklist', '--enable-unsafe-swiftshader'],
  // The legacy switch: Chromium maps it onto ANGLE's GL backend.
  egl: ['--use-gl=egl', '--ignore-gpu-blocklist', '--enable-unsafe-swiftshader'],
  // ANGLE's Vulkan backend: SwiftShader's Vulkan too, without the WebGL-specific path.
  vulkan: ['--use-angle=vulkan', '--enable-features=Vulkan', '--enable-unsafe-swiftshader'],
};
const BUDGET = { firstViewMs: 500, stretchMs: 50, frameP95Ms: 17, memoryMB: 300 };
/**
 * The built engine's event loop is judged during the timed requests (first views, re-rendered
 * previews, tiles while panning, the mosaic: one window over all of them), not its start-up and the
 * writing of the images. One window, since Node 20's monitorEventLoopDelay counts the gap before a
 * re-enabled histogram as one delay.
 */
const timedWork = timedWorkControl();

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

const pct = (xs: number[], q: number) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((q / 100) * xs.length))]! : NaN);
const range = (xs: number[], digits = 0) => (xs.length === 1 ? xs[0]!.toFixed(digits) : `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`);
const readyFn = `document.querySelector('[data-testid=tile-canvas]')?.dataset.ready === 'true'`;

interface Stage {
  name: string;
  start: number;
  end: number;
  n: number;
  busyMs: number;
}

/** Chooses the file in the running app (SPA navigation) and waits for its first complete frame; returns the split. */
async function firstView(page: Page, file: string): Promise<{ total: number; stages: Stage[]; level: string }> {
  await page.evaluate(`(() => { performance.clearResourceTimings(); performance.setResourceTimingBufferSize(2000); window.__viewerTimings = []; window.__t0 = performance.now(); location.hash = '#/viewer?file=${file}'; })()`);
  await page.waitForFunction(readyFn, undefined, { timeout: 300_000, polling: 'raf' });
  return (await page.evaluate(`(() => {
    const t0 = window.__t0;
    const timings = window.__viewerTimings;
    const done = timings.find((e) => e.name === 'first-complete-frame');
    const total = done.start + done.ms - t0;
    const groups = new Map();
    const add = (name, start, end) => {
      const g = groups.get(name) ?? { name, start: Infinity, end: -Infinity, n: 0, busyMs: 0 };
      g.start = Math.min(g.start, start - t0); g.end = Math.max(g.end, end - t0); g.n++; g.busyMs += end - start;
      groups.set(name, g);
    };
    for (const r of performance.getEntriesByType('resource')) {
      const u = new URL(r.name);
      if (r.responseEnd - t0 > total + 1) continue;
      const what = u.pathname === '/viewer/tile' ? 'GET /viewer/tile level ' + u.searchParams.get('level') : 'GET ' + u.pathname;
      add(what, r.startTime, r.responseEnd);
    }
    for (const e of timings) if (e.start + e.ms - t0 <= total + 1 && e.name !== 'first-complete-frame') add(e.name, e.start, e.start + e.ms);
    return { total, stages: [...groups.values()].sort((a, b) => a.start - b.start), level: done.detail ?? '' };
  })()`)) as { total: number; stages: Stage[]; level: string };
}

/** Loads an image in an <img> and returns the time to its load event. */
const imgLoad = (page: Page, src: string) => page.evaluate(`new Promise((resolve, reject) => { const t = performance.now(); const img = new Image(); img.onload = () => resolve(performance.now() - t); img.onerror = reject; img.src = ${JSON.stringify(src)}; })`) as Promise<number>;

/**
 * requestAnimationFrame intervals while the view changes on every frame: in the page, each frame
 * sends one input event to `selector` (30 wheel steps in, 30 out, then 90 arrow-key pans), as a
 * wheel or a drag streaming faster than the display would; so each interval holds the input's
 * handling, the redraw and the compositor. Sent from the page because input sent one event at a
 * time through the DevTools protocol arrives slower than frames, and idle frames would pass for
 * fast ones.
 */
async function frameBurst(page: Page, selector: string): Promise<number[]> {
  return (await page.evaluate(`new Promise((resolve) => {
    const el = document.querySelector(${JSON.stringify(selector)});
    const r = el.getBoundingClientRect();
    const cx = r.left + r.width / 2, cy = r.top + r.height / 2;
    const keys = ['ArrowLeft', 'ArrowUp', 'ArrowRight', 'ArrowDown'];
    const times = [];
    let k = 0;
    const tick = (t) => {
      times.push(t);
      if (k < 60) el.dispatchEvent(new WheelEvent('wheel', { bubbles: true, cancelable: true, deltaY: k < 30 ? -120 : 120, clientX: cx + (k % 7) * 9, clientY: cy - (k % 5) * 7 }));
      else if (k < 150) el.dispatchEvent(new KeyboardEvent('keydown', { bubbles: true, cancelable: true, key: keys[Math.floor((k - 60) / 8) % 4] }));
      else return resolve(times.slice(2).map((x, i) => x - times[i + 1]));
      k++;
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  })`)) as number[];
}

/** CPU time (ms, user + system, all threads) used so far by the browser's processes, by type (browser, renderer, GPU, utility). */
async function processCpu(browser: Browser): Promise<Record<string, number>> {
  const cdp = await browser.newBrowserCDPSession();
  try {
    const { processInfo } = (await cdp.send('SystemInfo.getProcessInfo')) as { processInfo: Array<{ type: string; cpuTime: number }> };
    const out: Record<string, number> = {};
    for (const p of processInfo) out[p.type] = (out[p.type] ?? 0) + p.cpuTime * 1000;
    return out;
  } finally {
    await cdp.detach();
  }
}

/** CPU ms per event of `work` (which makes `events` of them), in all of the browser's processes and per type. */
async function cpuPer(browser: Browser, work: () => Promise<number>): Promise<{ total: number; byType: Record<string, number> }> {
  const a = await processCpu(browser);
  const events = await work();
  const b = await processCpu(browser);
  const byType: Record<string, number> = {};
  let total = 0;
  for (const k of Object.keys(b)) {
    const d = (b[k]! - (a[k] ?? 0)) / Math.max(1, events);
    byType[k] = d;
    total += d;
  }
  return { total, byType };
}
const cpuText = (c: { total: number; byType: Record<string, number> }) => `${c.total.toFixed(1)} ms CPU each (${Object.entries(c.byType).filter(([, v]) => v >= 0.05).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')})`;

/** Resident memory (MiB) of the browser's renderer and GPU processes, from /proc. */
async function processMemory(browser: Browser): Promise<{ renderer: number; gpu: number }> {
  const cdp = await browser.newBrowserCDPSession();
  try {
    const { processInfo } = (await cdp.send('SystemInfo.getProcessInfo')) as { processInfo: Array<{ type: string; id: number }> };
    const rss = async (pid: number) => {
      try {
        const m = /VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
        return m ? Number(m[1]) / 1024 : 0;
      } catch {
        return 0;
      }
    };
    let renderer = 0;
    let gpu = 0;
    for (const p of processInfo) {
      if (p.type === 'renderer') renderer = Math.max(renderer, await rss(p.id));
      if (p.type === 'GPU') gpu = await rss(p.id);
    }
    return { renderer, gpu };
  } finally {
    await cdp.detach();
  }
}

async function benchGl(stack: Engine, gl: string, flags: string[], rows: string[][]): Promise<void> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--enable-precise-memory-info', '--disable-background-networking', '--disable-component-update', ...flags] });
  const extra = { gl, size: SIZE, runs: RUNS };
  try {
    const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    // The viewer without a file between runs: the library page would ask the engine for a
    // thumbnail of every copy, which then competes with the viewer for the worker pool.
    await page.goto(`${stack.url}/app/#/viewer`);
    // Chromium's own share: the app's viewer page without an image and before any WebGL context.
    const blank = await processMemory(browser);
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    const profileDir = process.env.BENCH_VIEWER_PROFILE;
    const renderer = (await page.evaluate(`(() => { const g = document.createElement('canvas').getContext('webgl2'); if (!g) return 'no WebGL2'; const e = g.getExtension('WEBGL_debug_renderer_info'); return e ? g.getParameter(e.UNMASKED_RENDERER_WEBGL) : g.getParameter(g.RENDERER); })()`)) as string;
    rows.push([`[${gl}] ${flags.join(' ')}`, renderer, '']);
    if (renderer === 'no WebGL2') return;

    // First full view, each on a fresh copy (cold engine caches), the preview path on another copy.
    const views: Array<Awaited<ReturnType<typeof firstView>>> = [];
    const previews: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const name = `i2d-${gl}-${run}.fits`;
      const prev = `prev-${gl}-${run}.fits`;
      await copyFile(join(stack.dataDir, 'i2d.fits'), join(stack.dataDir, name));
      await copyFile(join(stack.dataDir, 'i2d.fits'), join(stack.dataDir, prev));
      await page.evaluate(`location.hash = '#/viewer'`);
      views.push(await firstView(page, name));
      previews.push(await imgLoad(page, `/preview/bench?file_path=${prev}&width=1600&height=1600`));
    }
    const totals = views.map((v) => v.total);
    rows.push([`first full view, ${SIZE}² (budget < ${BUDGET.firstViewMs} ms)`, `${range(totals)} ms (in order: ${totals.map((t) => t.toFixed(0)).join(', ')})`, `1600 px PNG preview: ${range(previews)} ms`, totals.every((t) => t < BUDGET.firstViewMs) ? 'met' : 'NOT met']);
    recordResult({ case: `first full view ${SIZE}²`, metric: 'ms to first complete frame', ours: median(totals), reference: median(previews), referenceName: 'PNG preview 1600 px in <img>', higherIsBetter: false, extra: { ...extra, budget: BUDGET.firstViewMs, min: Math.min(...totals), max: Math.max(...totals) } });
    // The split of the median run.
    const mid = views[totals.indexOf([...totals].sort((a, b) => a - b)[Math.floor(totals.length / 2)]!)]!;
    rows.push([`  stages of the median run (${mid.level}): start–end ms after the file is chosen`, '', '']);
    for (const s of mid.stages) rows.push([`    ${s.name}${s.n > 1 ? ` ×${s.n}` : ''}`, `${s.start.toFixed(0)}–${s.end.toFixed(0)} ms`, `busy ${s.busyMs.toFixed(0)} ms`]);
    // The first run meets a freshly started engine and page (code not yet compiled on either side).
    if (views[0] !== mid) {
      rows.push([`  stages of the first run (${views[0]!.level}, cold engine and page)`, '', '']);
      for (const s of views[0]!.stages) rows.push([`    ${s.name}${s.n > 1 ? ` ×${s.n}` : ''}`, `${s.start.toFixed(0)}–${s.end.toFixed(0)} ms`, `busy ${s.busyMs.toFixed(0)} ms`]);
    }

    // Stretch change to the next frame; the preview path needs a new render.
    if (profileDir) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.start');
    }
    const stretchMs: number[] = [];
    const stretchCpu = await cpuPer(browser, async () => {
      for (const s of ['log', 'sqrt', 'asinh', 'linear', 'log', 'sqrt', 'asinh', 'linear']) {
        stretchMs.push((await page.evaluate(`new Promise((resolve) => {
          const sel = document.getElementById('stretch'); const t = performance.now();
          const setter = Object.getOwnPropertyDescriptor(HTMLSelectElement.prototype, 'value').set; setter.call(sel, ${JSON.stringify(s)});
          sel.dispatchEvent(new Event('change', { bubbles: true }));
          requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - t)));
        })`)) as number);
      }
      return stretchMs.length;
    });
    const prevStretch: number[] = [];
    for (const s of ['log', 'sqrt', 'asinh']) prevStretch.push(await imgLoad(page, `/preview/bench?file_path=prev-${gl}-0.fits&width=1600&height=1600&stretch=${s}`));
    rows.push([`stretch change to next frame (budget < ${BUDGET.stretchMs} ms)`, `p50 ${pct(stretchMs, 50).toFixed(1)}, max ${Math.max(...stretchMs).toFixed(1)} ms`, `preview re-rendered: ${range(prevStretch)} ms`, Math.max(...stretchMs) < BUDGET.stretchMs ? 'met' : 'NOT met']);
    rows.push([`    Chromium CPU per stretch change`, cpuText(stretchCpu), '']);
    recordResult({ case: 'stretch change', metric: 'ms to next frame (max of 8)', ours: Math.max(...stretchMs), reference: median(prevStretch), referenceName: 'PNG preview re-rendered', higherIsBetter: false, extra: { ...extra, budget: BUDGET.stretchMs, p50: pct(stretchMs, 50), cpuPerChangeMs: stretchCpu.total, cpuPerChangeGpuMs: stretchCpu.byType.GPU ?? 0 } });

    // Pan/zoom frames; the preview path moves one <img> by CSS transform on the same input.
    await page.evaluate('window.__viewerTimings = []');
    let frames: number[] = [];
    const frameCpu = await cpuPer(browser, async () => (frames = await frameBurst(page, '[data-testid=viewer-stage]')).length);
    // The exact picture after the gesture (the view redrawn once it rests; tiles of the new view may be fetched).
    const settleMs = (await page.evaluate(`new Promise((resolve) => { const t = performance.now(); const c = document.querySelector('[data-testid=tile-canvas]');
      const poll = () => (c.dataset.ready === 'true' ? resolve(performance.now() - t) : requestAnimationFrame(poll)); requestAnimationFrame(poll); })`)) as number;
    const draws = ((await page.evaluate(`window.__viewerTimings.filter((e) => e.name === 'draw' || e.name === 'draw-moving').map((e) => e.ms)`)) as number[]);
    const movingDraws = (await page.evaluate(`window.__viewerTimings.filter((e) => e.name === 'draw-moving').length`)) as number;
    if (profileDir) {
      const { profile } = (await cdp.send('Profiler.stop')) as { profile: unknown };
      await writeFile(join(profileDir, `viewer-${gl}.cpuprofile`), JSON.stringify(profile));
    }
    await page.evaluate(`(() => {
      const d = document.createElement('div'); d.id = 'bench-img'; d.style.cssText = 'position:fixed;inset:0;overflow:hidden;background:#000;z-index:99999';
      const img = new Image(); img.src = '/preview/bench?file_path=prev-${gl}-0.fits&width=1600&height=1600'; img.style.transformOrigin = '0 0';
      d.append(img); document.body.append(d);
      let s = 1, x = 0, y = 0, down = null;
      const apply = () => { img.style.transform = 'translate(' + x + 'px,' + y + 'px) scale(' + s + ')'; };
      d.addEventListener('wheel', (e) => { e.preventDefault(); const f = e.deltaY < 0 ? 1.25 : 0.8; x = e.clientX - (e.clientX - x) * f; y = e.clientY - (e.clientY - y) * f; s *= f; apply(); }, { passive: false });
      d.addEventListener('pointerdown', (e) => { down = [e.clientX - x, e.clientY - y]; });
      d.addEventListener('pointermove', (e) => { if (down) { x = e.clientX - down[0]; y = e.clientY - down[1]; apply(); } });
      d.addEventListener('pointerup', () => { down = null; });
      d.addEventListener('keydown', (e) => { const step = 40; if (e.key === 'ArrowLeft') x += step; if (e.key === 'ArrowRight') x -= step; if (e.key === 'ArrowUp') y += step; if (e.key === 'ArrowDown') y -= step; apply(); });
    })()`);
    await page.waitForFunction(`document.querySelector('#bench-img img').complete`);
    let imgFrames: number[] = [];
    const imgCpu = await cpuPer(browser, async () => (imgFrames = await frameBurst(page, '#bench-img')).length);
    await page.evaluate(`document.getElementById('bench-img').remove()`);
    rows.push([`pan/zoom frame time (budget p95 < ${BUDGET.frameP95Ms} ms)`, `p50 ${pct(frames, 50).toFixed(1)}, p95 ${pct(frames, 95).toFixed(1)} ms (${frames.length} frames)`, `<img> by CSS transform: p50 ${pct(imgFrames, 50).toFixed(1)}, p95 ${pct(imgFrames, 95).toFixed(1)} ms`, pct(frames, 95) < BUDGET.frameP95Ms ? 'met' : 'NOT met']);
    rows.push([`    Chromium CPU per frame`, cpuText(frameCpu), `<img>: ${cpuText(imgCpu)}`]);
    rows.push([`    exact picture after the last input (rest, fetches, redraw)`, `${settleMs.toFixed(0)} ms`, '']);
    rows.push([`    WebGL draw calls (JS side, ${draws.length}, ${movingDraws} of them at reduced resolution while moving)`, draws.length ? `p50 ${pct(draws, 50).toFixed(1)}, p95 ${pct(draws, 95).toFixed(1)} ms` : 'none: the drawn picture moved by CSS', '']);
    recordResult({ case: 'pan/zoom', metric: 'frame time p95 ms', ours: pct(frames, 95), reference: pct(imgFrames, 95), referenceName: '<img> moved by CSS transform', higherIsBetter: false, extra: { ...extra, budget: BUDGET.frameP95Ms, p50: pct(frames, 50), frames: frames.length, drawP95: pct(draws, 95), settleMs, cpuPerFrameMs: frameCpu.total, cpuPerFrameGpuMs: frameCpu.byType.GPU ?? 0, cpuPerFrameRendererMs: frameCpu.byType.renderer ?? 0, imgCpuPerFrameMs: imgCpu.total } });

    // Memory with a mosaic-sized image: at fit, at 100 % in its centre, after panning at 100 %.
    if (MOSAIC > 0) {
      await page.evaluate(`location.hash = '#/viewer'`);
      await page.evaluate(`location.hash = '#/viewer?file=mosaic.fits'`);
      await page.waitForFunction(readyFn, undefined, { timeout: 600_000 });
      await page.getByRole('button', { name: 'Zoom to native pixels (100 %)' }).click();
      await page.waitForFunction(readyFn, undefined, { timeout: 600_000 });
      const box = (await page.getByTestId('tile-canvas').boundingBox())!;
      for (let k = 0; k < 6; k++) {
        await page.mouse.move(box.x + box.width - 20, box.y + box.height / 2);
        await page.mouse.down();
        await page.mouse.move(box.x + 20, box.y + box.height / 2 + (k % 2 ? 300 : -300), { steps: 4 });
        await page.mouse.up();
        await page.waitForFunction(readyFn, undefined, { timeout: 600_000 });
      }
      await page.evaluate('window.gc && window.gc()');
      const metrics = Object.fromEntries(((await cdp.send('Performance.getMetrics')) as { metrics: Array<{ name: string; value: number }> }).metrics.map((m) => [m.name, m.value]));
      const heap = (metrics.JSHeapUsedSize ?? NaN) / 1048576;
      const gpu = ((await page.evaluate('window.__viewerMemory ?? null')) ?? { textures: 0, textureBytes: 0, valueBytes: 0 }) as { textures: number; textureBytes: number; valueBytes: number };
      const textures = gpu.textureBytes / 1048576;
      const canvas = ((await page.evaluate(`(() => { const c = document.querySelector('[data-testid=tile-canvas]'); return c.width * c.height * 4 * 2; })()`)) as number) / 1048576;
      const values = gpu.valueBytes / 1048576;
      const pageHeld = heap + values + textures + canvas;
      const mem = await processMemory(browser);
      const total = mem.renderer + mem.gpu;
      const fixed = blank.renderer + blank.gpu;
      rows.push([`memory held by the page, ${MOSAIC}² mosaic at fit, 100 %, 6 pans (budget < ${BUDGET.memoryMB} MB)`, `${pageHeld.toFixed(0)} MB`, `JS heap ${heap.toFixed(0)} + level-0 values for the read-out ${values.toFixed(0)} + ${gpu.textures} R32F textures ${textures.toFixed(0)} + canvas buffers ${canvas.toFixed(0)} MB`, pageHeld < BUDGET.memoryMB ? 'met' : 'NOT met']);
      rows.push([`    Chromium resident (renderer + GPU process)`, `${total.toFixed(0)} MB`, `${mem.renderer.toFixed(0)} + ${mem.gpu.toFixed(0)}; the viewer page without an image and WebGL: ${blank.renderer.toFixed(0)} + ${blank.gpu.toFixed(0)} = ${fixed.toFixed(0)} MB, so ${(total - fixed).toFixed(0)} MB more`]);
      recordResult({ case: `memory ${MOSAIC}² mosaic`, metric: 'MB held by the page (JS heap + textures + canvas buffers)', ours: pageHeld, higherIsBetter: false, extra: { ...extra, budget: BUDGET.memoryMB, jsHeapMB: heap, textureMB: textures, textures: gpu.textures, valuesMB: values, canvasMB: canvas, rendererMB: mem.renderer, gpuMB: mem.gpu, fixedRendererMB: blank.renderer, fixedGpuMB: blank.gpu } });
    }
  } finally {
    await browser.close();
  }
}

/** The engine the page talks to: its address, its DATA_DIR, its process (when not this one), and how to stop it. */
interface Engine {
  readonly url: string;
  readonly dataDir: string;
  readonly pid?: number;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

/**
 * The engine as users run it (`npm start`): the built engine (dist/, plain node, npm start's
 * GLIBC_TUNABLES) in its own process, so its worker threads do not load sources through tsx and
 * its main thread is not the one driving Chromium. BENCH_VIEWER_ENGINE=tsx runs it in this process
 * under tsx instead (the e2e stack, as before 2026-12-06 16:20).
 */
async function startBuiltEngine(): Promise<Engine> {
  const dataDir = await mkdtemp(join(tmpdir(), 'bench-viewer-'));
  const port = await freePort();
  const child = spawn(process.execPath, [join(root, 'dist', 'main.js')], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', WORKER_THREADS: '2', MAST_BASE_URL: 'http://127.0.0.1:9', GLIBC_TUNABLES: startTunables(), ...eventLoopRoleEnv('engine'), ...timedWork.env },
  });
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    child.kill('SIGTERM');
    await exited;
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    await waitReady(url, () => child.exitCode);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, dataDir, pid: child.pid, close: stop };
}

/** Until the engine is ready as a load balancer sees it (/health/ready: the pool answers), with its threads started. */
async function waitReady(url: string, exitCode: () => number | null): Promise<void> {
  for (let i = 0; ; i++) {
    if (exitCode() !== null) throw new Error(`the built engine exited (${exitCode()}) before answering`);
    const ready = await fetch(`${url}/health/ready`).then(async (r) => (r.ok ? ((await r.json()) as { worker_pool: { threads: number } }) : undefined), () => undefined);
    if (ready && ready.worker_pool.threads >= 2) break;
    if (i > 300) throw new Error('the built engine was not ready (/health/ready) in 30 s');
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function main(): Promise<void> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}`);
  const inProcess = process.env.BENCH_VIEWER_ENGINE === 'tsx';
  // The engine and the web app, built as `npm start` builds them (when their sources changed).
  const build = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--if-stale', ...(inProcess ? ['web'] : [])], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('build failed (scripts/build.mjs)');
  const gls = (process.env.BENCH_VIEWER_GL ?? 'swiftshader').split(',').map((s) => s.trim()).filter(Boolean);
  for (const g of gls) if (!GL_FLAGS[g]) throw new Error(`BENCH_VIEWER_GL: unknown ${g} (${Object.keys(GL_FLAGS).join(', ')})`);
  const stack: Engine = inProcess ? await startStack() : await startBuiltEngine();
  const rows: string[][] = [];
  try {
    await writeImage(join(stack.dataDir, 'i2d.fits'), SIZE);
    if (MOSAIC > 0) await writeImage(join(stack.dataDir, 'mosaic.fits'), MOSAIC);
    timedWork.begin(stack.pid);
    for (const g of gls) await benchGl(stack, g, GL_FLAGS[g]!, rows);
  } finally {
    timedWork.end(stack.pid);
    await stack.close();
    timedWork.close();
  }
  const w = Math.max(...rows.map((r) => r[0]!.length));
  const w2 = Math.max(...rows.map((r) => r[1]!.length));
  process.stdout.write(`viewer bench (Chromium ${CHROMIUM}, ${SIZE}² i2d, ${RUNS} first views; engine: ${inProcess ? 'in this process under tsx (BENCH_VIEWER_ENGINE=tsx)' : 'built (dist/, its own process, as npm start runs it)'})\n${'measure'.padEnd(w)}  ${'tiled viewer'.padEnd(w2)}  today's preview path\n`);
  process.stdout.write(`${rows.map(([a, b, c, d]) => `${a!.padEnd(w)}  ${b!.padEnd(w2)}  ${c}${d ? `  [${d}]` : ''}`).join('\n')}\n`);
}

await main();
