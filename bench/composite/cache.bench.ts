/**
 * The reprojection cache (src/composite/reproject-cache.ts): a 3-channel composite of
 * BENCH_TILE^2 inputs (default 2048) at BENCH_CANVAS px (2000), rendered cold, then again with
 * other hues, stretches and a rotation with the cached channels (what the workbench does while a
 * user adjusts colours). One process, library calls (no HTTP): time of each render.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderNChannel, type NChannelSpec } from '../../src/composite/pipeline.js';
import { channelKey, type CachedChannel } from '../../src/composite/reproject-cache.js';
import { hueToRgb } from '../../src/reproject/colors.js';
import { compositeInputs } from '../reproject/inputs.js';

const n = Number(process.env.BENCH_TILE ?? 2048);
const size = Number(process.env.BENCH_CANVAS ?? 2000);
const limits = { maxFileBytes: 4 * 1024 ** 3, maxElements: 200_000_000 };
const dir = await mkdtemp(join(tmpdir(), 'bench-cache-'));
try {
  const files = await compositeInputs(dir, n);
  const channelKeys: string[] = [];
  for (const path of files) {
    const st = await stat(path);
    channelKeys.push(channelKey([{ path, dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs }], true, limits));
  }
  const spec = (hues: number[], stretch: 'asinh' | 'log', rotation: number, entries: CachedChannel[]): NChannelSpec => ({
    channels: files.map((path, k) => ({
      label: `ch${k}`, paths: [path], weight: 1, color: hueToRgb(hues[k]!), autoStretch: stretch === 'asinh',
      tone: { stretch, blackPoint: 0, whitePoint: 1, gamma: 1, asinhA: 0.05, curve: 'linear' },
    })),
    backgroundNeutralization: true, featherStrength: null, rotationDegrees: rotation, cropCenterX: 0.5, cropCenterY: 0.5, cropZoom: 1,
    width: size, height: size, format: 'png', quality: 95, embedAvm: true, limits, memoryLimitBytes: 3e9, failThreshold: 0.85, allowForceDownscale: false,
    cache: { channelKeys, entries },
  });
  let t = performance.now();
  const cold = await renderNChannel(spec([240, 120, 0], 'asinh', 0, []));
  const coldS = (performance.now() - t) / 1000;
  const entries = (cold.cacheEntries ?? []).map((e) => ({ key: e.key, data: e.data }));
  t = performance.now();
  const warm = await renderNChannel(spec([200, 90, 330], 'log', 15, entries));
  const warmS = (performance.now() - t) / 1000;
  console.log(`\n3-channel composite, inputs ${n}x${n}, ${size} px canvas`);
  console.log(`| render | time | channels from the cache |`);
  console.log(`|---|---|---|`);
  console.log(`| cold (reprojects) | ${coldS.toFixed(2)} s | ${cold.cacheHits}/3 |`);
  console.log(`| new hues, log stretch, 15° rotation | ${warmS.toFixed(2)} s | ${warm.cacheHits}/3 |`);
  console.log(`cached: ${(entries.reduce((s, e) => s + e.data.byteLength, 0) / 2 ** 20).toFixed(0)} MiB; speed-up ${(coldS / warmS).toFixed(2)}x; peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
