/**
 * An N-channel composite split over worker threads (src/workers/composite-render.ts: a plan task,
 * one task per channel at once, a finishing task) gives the one-thread render's answer byte for
 * byte, with its progress events in the same order, its cache entries and hits, and its errors.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderNChannel, type NChannelChannel, type NChannelOutput, type NChannelSpec, type ProgressEvent } from '../../src/composite/pipeline.js';
import { renderNChannelOnPool, runControlled } from '../../src/workers/composite-render.js';
import { WorkerPool } from '../../src/workers/pool.js';
import { hueToRgb } from '../../src/reproject/colors.js';
import { SCENE_CENTRE, writeNebulaScene } from '../helpers/nebula-scene.js';
import { writeTile } from '../api/sky-files.js';

const limits = { maxFileBytes: 1024 ** 3, maxElements: 50_000_000 };
const MANUAL = { stretch: 'asinh', blackPoint: 0, whitePoint: 1, gamma: 1, asinhA: 0.05, curve: 'linear' } as const;

function spec(channels: NChannelChannel[], extra: Partial<NChannelSpec> = {}): NChannelSpec {
  return {
    channels, backgroundNeutralization: true, featherStrength: null, rotationDegrees: 0, cropCenterX: 0.5, cropCenterY: 0.5, cropZoom: 1,
    width: 180, height: 150, format: 'png', quality: 95, embedAvm: true, limits, memoryLimitBytes: 3e9, failThreshold: 0.85, allowForceDownscale: false,
    ...extra,
  };
}

async function both(pool: WorkerPool, s: NChannelSpec): Promise<{ one: NChannelOutput; many: NChannelOutput; oneEvents: ProgressEvent[]; manyEvents: ProgressEvent[] }> {
  const oneEvents: ProgressEvent[] = [];
  const manyEvents: ProgressEvent[] = [];
  const one = await renderNChannel(s, { onProgress: (e) => oneEvents.push(e) });
  const many = await renderNChannelOnPool(pool, s, undefined, (e) => manyEvents.push(e));
  return { one, many, oneEvents, manyEvents };
}

function assertSame(one: NChannelOutput, many: NChannelOutput): void {
  assert.ok(Buffer.from(many.image).equals(Buffer.from(one.image)), 'the same image bytes');
  const { image: _a, cacheEntries: _b, ...oneRest } = one;
  const { image: _c, cacheEntries: _d, ...manyRest } = many;
  assert.deepEqual(manyRest, oneRest);
}

describe('N-channel composite on several worker threads', () => {
  let dir: string;
  let pool: WorkerPool;
  let nebula: string[];
  let miri: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'parallel-render-'));
    pool = new WorkerPool({ threads: 2 });
    nebula = (await writeNebulaScene(dir, 'n', undefined, 0.25)).files.map((f) => join(dir, f.path));
    // a MIRI tile over the east half at a coarser scale: resolution blur and seam feathering
    miri = join(dir, await writeTile(dir, { name: 'm/miri.fits', ra: SCENE_CENTRE.ra - 8e-4, dec: SCENE_CENTRE.dec, width: 40, height: 60, scale: 1.1e-4, rotation: 5, instrument: 'MIRI', value: (x, y) => 0.3 + 0.01 * x + Math.sin(y / 5) }));
  });
  after(async () => {
    await pool.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('renders the automatic composite of three filters as one thread does, events in the same order', async () => {
    const s = spec(nebula.map((p, i) => ({ label: `f${i}`, paths: [p], weight: 1, color: hueToRgb([240, 120, 0][i]!), autoStretch: true, tone: MANUAL })), { rotationDegrees: 12 });
    const { one, many, oneEvents, manyEvents } = await both(pool, s);
    assertSame(one, many);
    assert.deepEqual(manyEvents, oneEvents);
    assert.deepEqual(oneEvents.map((e) => `${e.stage}${e.index ?? ''}`), ['reproject1', 'reproject2', 'reproject3', 'background_neutralize', 'stretch1', 'stretch2', 'stretch3', 'combine', 'encode']);
  });

  it('does the same with two instruments (blur, feathering), a luminance channel, a two-file channel and every adjustment', async () => {
    const channels: NChannelChannel[] = [
      { label: 'blue', paths: [nebula[0]!], weight: 1, color: [0.2, 0.4, 1], tone: { ...MANUAL, stretch: 'log', curve: 's_curve', gamma: 1.3, blackPoint: 0.05 } },
      { label: 'mix', paths: [nebula[1]!, miri], weight: 0.8, color: [0.1, 1, 0.3], autoStretch: true, tone: MANUAL },
      { label: 'red', paths: [miri], weight: 1.2, color: [1, 0.2, 0], tone: { ...MANUAL, stretch: 'histeq', whitePoint: 0.98 } },
      { label: 'lum', paths: [nebula[2]!], weight: 0.5, color: 'luminance', tone: { ...MANUAL, stretch: 'sqrt' } },
    ];
    const s = spec(channels, {
      overall: { stretch: 'linear', blackPoint: 0.01, whitePoint: 0.99, gamma: 1.1, asinhA: 0.1 },
      sharpening: { radius: 1.5, amount: 0.4, threshold: 0 }, saturation: { saturation: 1.3, vibrancy: 0.2, hueRotation: 10 },
      rotationDegrees: -30, cropZoom: 1.5, cropCenterX: 0.4, cropCenterY: 0.6, format: 'jpeg', quality: 90,
    });
    const { one, many, oneEvents, manyEvents } = await both(pool, s);
    assertSame(one, many);
    assert.ok(one.blurSigmas.some((x) => x > 0), 'the MIRI channel is blurred');
    assert.ok(one.featherStrength > 0, 'the seams are feathered');
    assert.deepEqual(manyEvents, oneEvents);
  });

  it('hands back the reprojected channels for the cache and takes them from it', async () => {
    const channels = nebula.map((p, i) => ({ label: `f${i}`, paths: [p], weight: 1, color: hueToRgb([240, 120, 0][i]!), autoStretch: true, tone: MANUAL }));
    const keys = ['k0', 'k1', 'k2'];
    const cold = await renderNChannelOnPool(pool, spec(channels, { cache: { channelKeys: keys, entries: [] } }));
    assert.equal(cold.cacheHits, 0);
    assert.deepEqual(cold.cacheEntries!.map((e) => e.channel), [0, 1, 2]);
    const entries = cold.cacheEntries!.map(({ key, data }) => ({ key, data }));
    const serial = await renderNChannel(spec(channels, { cache: { channelKeys: keys, entries: [] } }));
    assert.deepEqual(cold.cacheEntries!.map((e) => [...e.data]), serial.cacheEntries!.map((e) => [...e.data]));
    const events: ProgressEvent[] = [];
    const warm = await renderNChannelOnPool(pool, spec(channels, { cache: { channelKeys: keys, entries } }), undefined, (e) => events.push(e));
    assert.equal(warm.cacheHits, 3);
    assert.deepEqual(warm.cacheEntries, []);
    assert.ok(Buffer.from(warm.image).equals(Buffer.from(cold.image)));
    assert.deepEqual(events.map((e) => e.stage), ['background_neutralize', 'stretch', 'stretch', 'stretch', 'combine', 'encode']);
  });

  it('fails as the one-thread render does, and a stopped render stops', async () => {
    const s = spec([
      { label: 'a', paths: [nebula[0]!], weight: 1, color: [0, 0, 1], tone: MANUAL },
      { label: 'b', paths: [join(dir, 'missing.fits')], weight: 1, color: [1, 0, 0], tone: MANUAL },
    ]);
    // the render as one pool task (errors cross the thread boundary the same way)
    const oneError = await runControlled(pool, 'composite.nchannel', s, undefined).then(() => undefined, (e: unknown) => e as { code?: string; httpStatus?: number });
    const manyError = await renderNChannelOnPool(pool, s).then(() => undefined, (e: unknown) => e as { code?: string; httpStatus?: number });
    assert.ok(oneError && manyError);
    assert.deepEqual([manyError.code, manyError.httpStatus], [oneError.code, oneError.httpStatus]);
    assert.equal(manyError.httpStatus, 404);
    const stop = new AbortController();
    const good = spec(nebula.map((p, i) => ({ label: `f${i}`, paths: [p], weight: 1, color: hueToRgb([240, 120, 0][i]!), tone: MANUAL })));
    const run = renderNChannelOnPool(pool, good, stop.signal, (e) => {
      if (e.stage === 'reproject') stop.abort(new Error('client gone'));
    });
    await assert.rejects(run, /client gone/);
    assert.equal(pool.stats().active, 0, 'every task has ended');
  });
  it('renders as one task when fewer than two threads are free (a busy engine gains nothing from the split)', async () => {
    const s = spec(nebula.map((p, i) => ({ label: `f${i}`, paths: [p], weight: 1, color: hueToRgb([240, 120, 0][i]!), autoStretch: true, tone: MANUAL })));
    const tasks: string[] = [];
    const run = pool.run.bind(pool);
    pool.run = ((task, payload, options) => {
      tasks.push(task);
      return run(task, payload, options);
    }) as WorkerPool['run'];
    try {
      assert.equal(pool.idleThreads, 2);
      const busy = run('ping', { spinMs: 1500 }); // holds one thread of two
      assert.equal(pool.idleThreads, 1);
      const one = await renderNChannel(s);
      const many = await renderNChannelOnPool(pool, s);
      await busy;
      assertSame(one, many);
      assert.deepEqual(tasks, ['composite.nchannel']);
      assert.equal(pool.idleThreads, 2);
    } finally {
      pool.run = run;
    }
  });
});
