/**
 * Re-renders of an N-channel composite (issue 16): new colours, stretches, rotation or crop reuse
 * the reprojected channels (no `reproject` events, X-Composite-Cache n/n, the same pixels as a
 * cold render), a rewritten file or another canvas size reprojects again; `debug_masks` answers
 * one coverage panel per colour channel; NIRCam + MIRI channels get the resolution blur on the
 * coarse one.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { link, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { writeTile } from './sky-files.js';
import { renderNChannel } from '../../src/composite/pipeline.js';

interface NdjsonEvent { event: string; stage?: string; filter?: string; headers?: Record<string, string>; image_b64?: string }

describe('N-channel re-renders, debug masks, resolution blur', () => {
  let engine: TestEngine;
  let cold: TestEngine;
  const base = { ra: 150.1, dec: 2.2, width: 48, height: 40, scale: 1e-4 };
  const write = (e: TestEngine) => Promise.all([
    writeTile(e.dataDir, { ...base, name: 'k/r.fits', value: (x, y) => 1 + x + y }),
    writeTile(e.dataDir, { ...base, name: 'k/g.fits', value: (x) => 2 + Math.sin(x / 3) }),
    writeTile(e.dataDir, { ...base, name: 'k/b.fits', value: (_x, y) => 3 + y / 4 }),
    // half the width, shifted east: the blue channel leaves the west half uncovered
    writeTile(e.dataDir, { ...base, width: 20, ra: 150.1 + 14e-4, name: 'k/half.fits', value: (x) => 1 + x }),
  ]);
  before(async () => {
    engine = await startTestEngine();
    cold = await startTestEngine({ COMPOSITE_CACHE_MAX_BYTES: '0' });
    await write(engine);
    await write(cold);
  });
  after(async () => {
    await engine.dispose();
    await cold.dispose();
  });

  const request = (hues: number[], extra: Record<string, unknown> = {}) => ({
    channels: ['r', 'g', 'b'].map((c, i) => ({ file_paths: [`k/${c}.fits`], color: { hue: hues[i] } })),
    width: 64,
    height: 48,
    ...extra,
  });
  const stream = async (e: TestEngine, payload: unknown) => {
    const res = await e.app.inject({ method: 'POST', url: '/composite/generate-nchannel-stream', payload: payload as Record<string, unknown> });
    assert.equal(res.statusCode, 200);
    const events = res.body.trim().split('\n').map((l) => JSON.parse(l) as NdjsonEvent);
    const done = events.at(-1)!;
    assert.equal(done.event, 'complete', res.body.slice(0, 300));
    return { reprojected: events.filter((x) => x.stage === 'reproject').map((x) => x.filter), headers: done.headers!, image: Buffer.from(done.image_b64!, 'base64') };
  };

  it('reuses the reprojected channels for new colours, tones and rotation, with the pixels of a cold render', async () => {
    const first = await stream(engine, request([0, 120, 240]));
    assert.deepEqual(first.reprojected, ['ch0', 'ch1', 'ch2']);
    assert.equal(first.headers['x-composite-cache'], '0/3');
    const restyled = request([30, 160, 280], { rotation_degrees: 20, channels: undefined });
    restyled.channels = request([30, 160, 280]).channels.map((c, i) => (i === 1 ? { ...c, stretch: 'log', curve: 's_curve' } : c));
    const second = await stream(engine, restyled);
    assert.deepEqual(second.reprojected, [], 'nothing reprojected again');
    assert.equal(second.headers['x-composite-cache'], '3/3');
    const reference = await stream(cold, restyled);
    assert.deepEqual(reference.reprojected, ['ch0', 'ch1', 'ch2']);
    assert.ok(second.image.equals(reference.image), 'a cached render equals a cold one');
  });

  it('reprojects a rewritten file and a new canvas size again', async () => {
    await stream(engine, request([0, 120, 240]));
    await writeTile(engine.dataDir, { ...base, name: 'k/g.fits', value: (x) => 3 + Math.cos(x / 3) });
    const after = await stream(engine, request([0, 120, 240]));
    assert.deepEqual(after.reprojected, ['ch1']);
    assert.equal(after.headers['x-composite-cache'], '2/3');
    const smaller = await stream(engine, request([0, 120, 240], { width: 16, height: 12 }));
    assert.deepEqual(smaller.reprojected, ['ch0', 'ch1', 'ch2'], 'a coarser grid');
    const larger = await stream(engine, request([0, 120, 240], { width: 640, height: 480 }));
    assert.deepEqual(larger.reprojected, [], 'the grid is never finer than the inputs: the same grid as at 64 px');
  });

  it('does not keep a channel whose file was replaced while the render read it', async () => {
    // The key names the file's identity at the request; a file replaced during the render, then
    // put back (a rename restores the inode, size and mtime), must not find the replacement's bytes.
    const names = ['r', 'g', 'b'].map((c) => `w/${c}.fits`);
    const values = [(x: number, y: number) => 1 + x + y, (x: number) => 2 + Math.sin(x / 3), (_x: number, y: number) => 3 + y / 4];
    for (const e of [engine, cold]) for (const [i, name] of names.entries()) await writeTile(e.dataDir, { ...base, name, value: values[i]! });
    const payload = { ...request([0, 120, 240]), channels: names.map((name, i) => ({ file_paths: [name], color: { hue: [0, 120, 240][i] } })) };
    const g = join(engine.dataDir, 'w/g.fits');
    // Hold every render slot so the request makes its keys, then waits at the gate while g is replaced.
    const gate = engine.ctx.renderGate;
    const held = await Promise.all(Array.from({ length: gate.slots }, () => gate.enter()));
    const first = stream(engine, payload);
    while (gate.stats().waiting === 0) await new Promise((r) => setTimeout(r, 5));
    await link(g, `${g}.orig`); // the original kept by a hard link, the new file renamed over it
    await writeTile(engine.dataDir, { ...base, name: 'w/g.new.fits', value: (x) => 9 - Math.cos(x / 2) });
    await rename(join(engine.dataDir, 'w/g.new.fits'), g);
    for (const release of held) release();
    await first;
    await rename(`${g}.orig`, g); // back: the same inode, size and mtime as when the keys were made
    const again = await stream(engine, payload);
    const reference = await stream(cold, payload);
    assert.ok(again.image.equals(reference.image), 'the render after the file came back shows its own pixels');
    assert.deepEqual(again.reprojected, ['ch1']);
    assert.equal(again.headers['x-composite-cache'], '2/3');
  });

  it('debug_masks: one coverage panel per colour channel, white where the channel has data', async () => {
    const payload = {
      channels: [
        { file_paths: ['k/r.fits'], color: { hue: 0 }, label: 'red' },
        { file_paths: ['k/half.fits'], color: { hue: 240 }, label: 'east' },
        { file_paths: ['k/g.fits'], color: { luminance: true } },
      ],
      width: 300,
      height: 100,
      debug_masks: true,
    };
    const res = await engine.app.inject({ method: 'POST', url: '/composite/generate-nchannel', payload });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.headers['content-type'], 'image/png');
    assert.equal(res.headers['x-debug-channels'], 'red,east');
    assert.equal(res.headers['x-debug-warning'], undefined, 'one instrument');
    assert.equal((await sharp(res.rawPayload).metadata()).channels, 1, 'grayscale');
    const { data, info } = await sharp(res.rawPayload).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height], [300, 100]);
    const at = (x: number, y: number) => data[y * info.width + x]!;
    // panel 1 (x 0..149): the whole grid is covered; panel 2 (150..299): only the part the half tile covers
    assert.equal(at(75, 50), 255);
    const row = [...Array(150).keys()].map((x) => at(150 + x, 50));
    assert.ok(row.some((v) => v === 255) && row.some((v) => v === 0), 'the half tile covers part of its panel');
    const narrow = await engine.app.inject({ method: 'POST', url: '/composite/generate-nchannel', payload: { ...payload, width: 100 } });
    const meta = await sharp(narrow.rawPayload).metadata();
    assert.equal(meta.width, 128, 'panels are at least 64 px wide');
  });

  it('blurs the MIRI channel of a NIRCam + MIRI composite by its pixel size and warns in debug_masks', async () => {
    // NIRCam at 1e-4 deg/px and MIRI at 3.5e-4 deg/px (ratio 3.5) over the same field
    await writeTile(engine.dataDir, { ...base, width: 96, height: 80, scale: 0.5e-4, name: 'k/nircam.fits', value: (x, y) => ((x + y) % 2 ? 5 : 1) });
    await writeTile(engine.dataDir, { ...base, width: 14, height: 12, scale: 3.5e-4, instrument: 'MIRI', name: 'k/miri.fits', value: (x, y) => ((x + y) % 2 ? 9 : 1) });
    const paths = [`${engine.dataDir}/k/nircam.fits`, `${engine.dataDir}/k/miri.fits`];
    const spec = {
      channels: paths.map((p, i) => ({ label: `c${i}`, paths: [p], weight: 1, color: (i ? [1, 0, 0] : [0, 0, 1]) as [number, number, number], autoStretch: true, tone: { stretch: 'asinh' as const, blackPoint: 0, whitePoint: 1, gamma: 1, asinhA: 0.05, curve: 'linear' as const } })),
      backgroundNeutralization: true, featherStrength: null, rotationDegrees: 0, cropCenterX: 0.5, cropCenterY: 0.5, cropZoom: 1,
      width: 96, height: 80, format: 'png' as const, quality: 95, embedAvm: false,
      limits: { maxFileBytes: 1e9, maxElements: 1e8 }, memoryLimitBytes: 3e9, failThreshold: 0.85, allowForceDownscale: false,
    };
    const full = await renderNChannel(spec);
    assert.equal(full.blurSigmas[0], 0);
    // 3.5e-4 deg over the grid's pixel (0.5e-4, a little coarser to fit MIRI's larger footprint in 96 px)
    assert.ok(full.blurSigmas[1]! > 6 && full.blurSigmas[1]! <= 7, `MIRI sigma ${full.blurSigmas[1]} grid px`);
    const preview = await renderNChannel({ ...spec, width: 24, height: 20 });
    assert.ok(preview.blurSigmas[1]! < full.blurSigmas[1]! / 2, 'a coarser preview grid gets a smaller sigma');
    const res = await engine.app.inject({
      method: 'POST', url: '/composite/generate-nchannel',
      payload: { channels: [{ file_paths: ['k/nircam.fits'], color: { hue: 240 } }, { file_paths: ['k/miri.fits'], color: { hue: 0 } }], width: 96, height: 80, debug_masks: true },
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.match(String(res.headers['x-debug-warning']), /2 instruments \(NIRCAM, MIRI\)/);
  });
});
