/**
 * The engine and the fake MAST together on loopback ports, for end-to-end tests and `npm run demo`.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { loadSettings } from '../../src/config.js';
import { startEngine, type Engine } from '../../src/engine.js';
import { FakeMast } from '../fake-mast/server.js';

export interface Stack {
  readonly fake: FakeMast;
  readonly engine: Engine;
  readonly url: string;
  readonly dataDir: string;
  close(): Promise<void>;
}

export async function startStack(options: { port?: number; dataDir?: string; env?: Record<string, string>; logLevel?: string } = {}): Promise<Stack> {
  const fake = await FakeMast.start({ quiet: true });
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'jwst-e2e-')));
  const settings = loadSettings({
    DATA_DIR: dataDir,
    MAST_BASE_URL: fake.url,
    LOG_LEVEL: options.logLevel ?? 'silent',
    WORKER_THREADS: '2',
    CHUNK_SIZE: String(64 * 1024),
    RETRY_BASE_DELAY: '0.05',
    ...options.env,
  });
  const engine = await startEngine(settings);
  await engine.app.listen({ port: options.port ?? 0, host: '127.0.0.1' });
  const addr = engine.app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    fake,
    engine,
    url: `http://127.0.0.1:${port}`,
    dataDir,
    async close() {
      await engine.close();
      await fake.close();
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Puts the fake MAST's i2d files of NGC 3132 (jw02733-o001_t001_nircam_clear-{filter}) where a download would: DATA_DIR/mast/{obs}/{file}. */
export async function placeFakeI2d(stack: Stack, filters: readonly string[]): Promise<string[]> {
  const paths: string[] = [];
  for (const f of filters) {
    const obs = `jw02733-o001_t001_nircam_clear-${f}`;
    const file = stack.fake.dataset.files.get(`mast:jwst/product/${obs}_i2d.fits`);
    if (!file) throw new Error(`no fake file ${obs}_i2d.fits`);
    await mkdir(join(stack.dataDir, 'mast', obs), { recursive: true });
    await writeFile(join(stack.dataDir, 'mast', obs, `${obs}_i2d.fits`), await file.load());
    paths.push(`mast/${obs}/${obs}_i2d.fits`);
  }
  return paths;
}

/**
 * Where e2e screenshots go: an ignored folder (test-output/screenshots) so a test run changes no
 * tracked file; `npm run screenshots` sets SCREENSHOTS_DIR=docs/screenshots to refresh the README's.
 */
export function screenshotsDir(): string {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  return resolve(root, process.env.SCREENSHOTS_DIR ?? 'test-output/screenshots');
}

/** Debian's headless Chromium (CHROMIUM_PATH, default /usr/bin/chromium) with software GL, no background traffic. */
export async function launchChromium(): Promise<import('playwright-core').Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * How long a browser test waits for a condition (an element, a function of the page, a response,
 * a URL) before it fails: the suite's convention for waits (README, Tests, sessions 16-17). A wait
 * takes a second on a quiet machine and has taken 30 s and more at load 18 on 2 cores; a hang still
 * fails, after 300 s, naming what it waited for. The describe blocks' own bounds are 15 min.
 */
export const WAIT_MS = 300_000;

/** `what` as one short line for an error message. */
function described(what: unknown): string {
  const text = (typeof what === 'string' ? what : String(what)).replace(/\s+/g, ' ').trim();
  return text.length > 300 ? `${text.slice(0, 300)}...` : text;
}

/**
 * A page of `browser` whose waits and actions default to WAIT_MS (Playwright's own default is
 * 30 s; a test passes no `timeout` of its own). waitForFunction, waitForResponse, waitForRequest
 * and waitForURL that fail say what they waited for (Playwright's message names only the method;
 * a locator's wait names its locator itself).
 */
export async function openPage(browser: Browser, options: BrowserContextOptions = {}): Promise<Page> {
  const page = await browser.newPage(options);
  page.setDefaultTimeout(WAIT_MS);
  page.setDefaultNavigationTimeout(WAIT_MS);
  for (const method of ['waitForFunction', 'waitForResponse', 'waitForRequest', 'waitForURL'] as const) {
    const original = (page[method] as (...args: unknown[]) => Promise<unknown>).bind(page);
    const annotated = async (...args: unknown[]): Promise<unknown> => {
      try {
        return await original(...args);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        throw new Error(`${method} for ${described(args[0])}: ${message}`, { cause: err });
      }
    };
    Object.defineProperty(page, method, { value: annotated, configurable: true, writable: true });
  }
  return page;
}

/** A stack with a Chromium page on it; its fields are set once the describe block's `before` has run. */
export interface BrowserStack {
  readonly stack: Stack;
  readonly browser: Browser;
  readonly page: Page;
}

/**
 * The stack and browser of a describe block of browser tests: before them, checks that Chromium is
 * installed (CHROMIUM_PATH, default /usr/bin/chromium), starts a stack, lets `prepare` set it up
 * (files placed, the fake's switches set), then opens a page of `pageOptions`; after them, closes
 * the browser and the stack, as much of them as was opened. Call it in the describe block.
 */
export function browserStack(pageOptions: BrowserContextOptions, prepare: (stack: Stack) => Promise<unknown> = async () => undefined): BrowserStack {
  const opened: { stack?: Stack; browser?: Browser; page?: Page } = {};
  before(async () => {
    const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
    assert.ok(existsSync(chromium), `Chromium not found at ${chromium}`);
    opened.stack = await startStack();
    await prepare(opened.stack);
    opened.browser = await launchChromium();
    opened.page = await openPage(opened.browser, pageOptions);
  });
  after(async () => {
    await opened.browser?.close();
    await opened.stack?.close();
  });
  return opened as BrowserStack;
}
