/**
 * The N-channel composite routes of upstream-latest §1.1-1.2: POST /composite/generate-nchannel
 * (image bytes with quality, feather and budget headers), /composite/generate-nchannel-stream
 * (NDJSON progress events, then the image), /composite/estimate (memory pre-check from headers)
 * and /composite/analyze-channels (auto-stretch suggestions). The pixel work runs in the worker
 * pool (src/composite); a client that disconnects stops the render at its next step.
 */
import { stat } from 'node:fs/promises';
import { isObjectLocation } from '../storage/registry.js';
import { statLocation } from '../storage/locations.js';
import { PassThrough } from 'node:stream';
import { Type, type Static } from 'typebox';
import type { App } from '../server.js';
import type { EngineContext } from '../context.js';
import { EngineError, NotFoundError, PayloadTooLargeError, ValidationError } from '../errors.js';
import { RenderBusyError } from '../jobs/index.js';
import { STRETCH_NAMES, type StretchName } from '../imaging/index.js';
import { hueToRgb } from '../reproject/colors.js';
import { TONE_CURVES, type ToneCurve } from '../reproject/tone.js';
import type { NChannelChannel, NChannelOutput, NChannelSpec, ProgressEvent } from '../composite/pipeline.js';
import type { ChannelAnalysis } from '../composite/analyze.js';
import type { EstimateResponse } from '../composite/estimate.js';
import { parseAvmMetadataJson } from '../wcs/index.js';
import type { TaskName } from '../workers/tasks/index.js';
import { renderNChannelOnPool, runControlled as runOnPool } from '../workers/composite-render.js';
import type { JobHandler, JsonObject, ProgressReporter } from '../jobs/index.js';
import { AsyncQuery, skyJobHandler } from './sky-support.js';
import { jobOwnerOf } from './job-support.js';
import { viewerLimits } from './viewer-support.js';
import { nullable, nullableEnum } from './sky-support.js';
import { requestSignal } from './request-signal.js';
import { ANY_NUMBER } from './input-limits.js';
import { channelKey, ReprojectionCache } from '../composite/reproject-cache.js';

/** One reprojection cache per engine (COMPOSITE_CACHE_MAX_BYTES, COMPOSITE_CACHE_TTL_SECONDS). */
const caches = new WeakMap<EngineContext, ReprojectionCache>();
export function reprojectionCacheOf(ctx: EngineContext): ReprojectionCache {
  let cache = caches.get(ctx);
  if (!cache) {
    cache = new ReprojectionCache(ctx.settings.compositeCacheMaxBytes, ctx.settings.compositeCacheTtlSeconds * 1000);
    caches.set(ctx, cache);
  }
  return cache;
}

const Path = Type.String({ minLength: 1, maxLength: 1024 });

const ChannelColor = Type.Object({
  hue: nullable(Type.Number({ minimum: 0, maximum: 360 })),
  // components are range-checked by hand for the upstream's message
  rgb: nullable(Type.Array(Type.Number(ANY_NUMBER), { minItems: 3, maxItems: 3 })),
  luminance: nullable(Type.Boolean()),
});

const NChannelConfig = Type.Object({
  file_paths: Type.Array(Path, { minItems: 1, maxItems: 100, description: 'FITS files relative to DATA_DIR; several are background-matched and averaged' }),
  stretch: nullable(Type.String({ maxLength: 32, description: 'zscale, asinh (default), log, sqrt, power, histeq, linear; unknown -> zscale, reported in X-Composite-Stretch-Fallbacks' })),
  black_point: nullable(Type.Number({ minimum: 0, maximum: 1 })),
  white_point: nullable(Type.Number({ minimum: 0, maximum: 1 })),
  gamma: nullable(Type.Number({ exclusiveMinimum: 0, maximum: 5 })),
  asinh_a: nullable(Type.Number({ minimum: 0.001, maximum: 1 })),
  curve: nullableEnum(TONE_CURVES, {}),
  weight: nullable(Type.Number({ minimum: 0, maximum: 2, description: 'colour: multiplier; luminance: blend strength' })),
  color: ChannelColor,
  label: nullable(Type.String({ minLength: 1, maxLength: 64 })),
  wavelength_um: nullable(Type.Number({ exclusiveMinimum: 0, maximum: 1000 })),
  auto_stretch: nullable(Type.Boolean({ description: 'tone parameters from the data; default: on when no tone field is given' })),
});

const Overall = Type.Object({
  stretch: nullable(Type.String({ maxLength: 16, pattern: '^(zscale|asinh|log|sqrt|power|histeq|linear)$' })),
  black_point: nullable(Type.Number({ minimum: 0, maximum: 1 })),
  white_point: nullable(Type.Number({ minimum: 0, maximum: 1 })),
  gamma: nullable(Type.Number({ exclusiveMinimum: 0, maximum: 5 })),
  asinh_a: nullable(Type.Number({ minimum: 0.001, maximum: 1 })),
});

const Sharpening = Type.Object({
  radius: nullable(Type.Number({ minimum: 0.5, maximum: 10 })),
  amount: nullable(Type.Number({ minimum: 0, maximum: 3 })),
  threshold: nullable(Type.Number({ minimum: 0, maximum: 1 })),
});

const Saturation = Type.Object({
  saturation: nullable(Type.Number({ minimum: 0, maximum: 2 })),
  vibrancy: nullable(Type.Number({ minimum: 0, maximum: 1 })),
  hue_rotation: nullable(Type.Number({ minimum: -30, maximum: 30 })),
});

const NChannelRequest = Type.Object({
  channels: Type.Array(NChannelConfig, { minItems: 1, maxItems: 20 }),
  overall: nullable(Overall),
  sharpening: nullable(Sharpening),
  saturation: nullable(Saturation),
  background_neutralization: nullable(Type.Boolean()),
  feather_strength: nullable(Type.Number({ minimum: 0, maximum: 1, description: 'null: automatic across instruments; 0: off' })),
  rotation_degrees: nullable(Type.Number({ minimum: -180, maximum: 180, description: 'positive = clockwise' })),
  crop_center_x: nullable(Type.Number({ minimum: 0, maximum: 1 })),
  crop_center_y: nullable(Type.Number({ minimum: 0, maximum: 1 })),
  crop_zoom: nullable(Type.Number({ minimum: 0.1, maximum: 5, description: '1 = fit' })),
  output_format: nullableEnum(['png', 'jpeg'] as const, {}),
  quality: nullable(Type.Integer({ minimum: 1, maximum: 100 })),
  width: nullable(Type.Integer({ minimum: 1, maximum: 4096, description: 'exact canvas width' })),
  height: nullable(Type.Integer({ minimum: 1, maximum: 4096, description: 'exact canvas height' })),
  debug_masks: nullable(Type.Boolean({ description: 'answer a grayscale PNG of one coverage panel per colour channel (X-Debug-Channels, X-Debug-Warning) instead of the picture' })),
  allow_force_downscale: nullable(Type.Boolean()),
  embed_avm: nullable(Type.Boolean({ description: 'AVM (sky position) metadata in the image (default true)' })),
  avm_metadata: nullable(Type.String({ maxLength: 8192, description: 'JSON {target_name, instrument, filter, description, facility, spectral_band}' })),
});
type NChannelBody = Static<typeof NChannelRequest>;
type ChannelBody = Static<typeof NChannelConfig>;

const AnalyzeRequest = Type.Object({
  channels: Type.Array(NChannelConfig, { minItems: 1, maxItems: 20 }),
  background_neutralization: nullable(Type.Boolean()),
});

/** The colour of a channel: exactly one of hue, rgb, luminance=true. */
function colorOf(c: ChannelBody['color']): NChannelChannel['color'] {
  const given = [c.hue !== undefined && c.hue !== null, !!c.rgb, c.luminance === true].filter(Boolean).length;
  if (given === 0) throw new ValidationError('Provide one of: hue, rgb, or luminance=true');
  if (given > 1) throw new ValidationError('Provide only one of: hue, rgb, or luminance=true');
  if (c.luminance) return 'luminance';
  if (c.rgb) {
    c.rgb.forEach((v, i) => {
      if (!(v >= 0 && v <= 1)) throw new ValidationError(`RGB component ${i} value ${v} outside [0, 1]`);
    });
    return [c.rgb[0]!, c.rgb[1]!, c.rgb[2]!];
  }
  return hueToRgb(c.hue!);
}

const TONE_FIELDS = ['stretch', 'black_point', 'white_point', 'gamma', 'asinh_a', 'curve'] as const;

async function channelsOf(ctx: EngineContext, channels: readonly ChannelBody[], fallbacks: string[]): Promise<NChannelChannel[]> {
  const total = channels.reduce((n, c) => n + c.file_paths.length, 0);
  if (total > ctx.settings.maxCompositeRequestFiles) {
    throw new PayloadTooLargeError(`Composite request has ${total} files (max ${ctx.settings.maxCompositeRequestFiles}, MAX_COMPOSITE_REQUEST_FILES)`);
  }
  const out: NChannelChannel[] = [];
  for (const [i, c] of channels.entries()) {
    const label = c.label ?? `ch${i}`;
    let stretch = (c.stretch ?? 'asinh') as StretchName;
    if (!(STRETCH_NAMES as readonly string[]).includes(stretch)) {
      fallbacks.push(`${label}:${c.stretch}->zscale`);
      stretch = 'zscale';
    }
    const blackPoint = c.black_point ?? 0;
    const whitePoint = c.white_point ?? 1;
    if (!(whitePoint > blackPoint)) throw new ValidationError(`Channel ${label}: white_point must be greater than black_point`);
    const paths = [];
    for (const p of c.file_paths) paths.push((await ctx.sandbox.resolveInput(p)).path);
    out.push({
      label,
      paths,
      tone: { stretch, blackPoint, whitePoint, gamma: c.gamma ?? 1, asinhA: c.asinh_a ?? 0.05, curve: (c.curve ?? 'linear') as ToneCurve },
      weight: c.weight ?? 1,
      color: colorOf(c.color),
      wavelengthUm: c.wavelength_um ?? undefined,
      autoStretch: c.auto_stretch ?? TONE_FIELDS.every((k) => c[k] === undefined || c[k] === null),
    });
  }
  return out;
}

/** Checks that need no file (before any I/O), then the spec the worker renders. */
async function nchannelSpec(ctx: EngineContext, body: NChannelBody, fallbacks: string[]): Promise<NChannelSpec> {
  const lums = body.channels.filter((c) => c.color.luminance === true).length;
  if (lums > 1) throw new ValidationError('At most one luminance channel is allowed per composite');
  if (lums === body.channels.length) throw new ValidationError('At least one color channel (hue or rgb) is required');
  const channels = await channelsOf(ctx, body.channels, fallbacks);
  const labels = new Set<string>();
  for (const c of channels) {
    if (labels.has(c.label)) throw new ValidationError(`Duplicate channel label '${c.label}'`);
    labels.add(c.label);
  }
  const o = body.overall;
  const limits = viewerLimits(ctx);
  const backgroundNeutralization = body.background_neutralization ?? true;
  const cache = reprojectionCacheOf(ctx);
  let cacheView: NChannelSpec['cache'];
  if (cache.enabled) {
    const channelKeys = await channelKeysOf(channels, backgroundNeutralization, limits);
    cacheView = { channelKeys, entries: cache.lookup(channelKeys) };
  }
  return {
    channels,
    debugMasks: body.debug_masks ?? false,
    cache: cacheView,
    overall: o ? { stretch: (o.stretch ?? 'linear') as StretchName, blackPoint: o.black_point ?? 0, whitePoint: o.white_point ?? 1, gamma: o.gamma ?? 1, asinhA: o.asinh_a ?? 0.1 } : undefined,
    backgroundNeutralization,
    featherStrength: body.feather_strength ?? null,
    sharpening: body.sharpening ? { radius: body.sharpening.radius ?? 1.5, amount: body.sharpening.amount ?? 0, threshold: body.sharpening.threshold ?? 0 } : undefined,
    saturation: body.saturation ? { saturation: body.saturation.saturation ?? 1, vibrancy: body.saturation.vibrancy ?? 0, hueRotation: body.saturation.hue_rotation ?? 0 } : undefined,
    rotationDegrees: body.rotation_degrees ?? 0,
    cropCenterX: body.crop_center_x ?? 0.5,
    cropCenterY: body.crop_center_y ?? 0.5,
    cropZoom: body.crop_zoom ?? 1,
    width: body.width ?? 1000,
    height: body.height ?? 1000,
    format: body.output_format ?? 'png',
    quality: body.quality ?? 95,
    embedAvm: body.embed_avm ?? true,
    avm: parseAvmMetadataJson(body.avm_metadata ?? ''),
    limits,
    memoryLimitBytes: ctx.settings.maxCompositeMemoryBytes,
    failThreshold: ctx.settings.compositeDownscaleFailThreshold,
    allowForceDownscale: body.allow_force_downscale ?? false,
  };
}

/** Each channel's cache key: its files' identities (path, device, inode, size, mtime; an object's ETag), background matching and the reading limits. */
async function channelKeysOf(channels: NChannelSpec['channels'], backgroundNeutralization: boolean, limits: NChannelSpec['limits']): Promise<string[]> {
  const channelKeys = [];
  for (const c of channels) {
    const files = [];
    for (const path of c.paths) {
      if (isObjectLocation(path)) {
        // An object has no inode: its ETag (in the version) names its bytes.
        const st = await statLocation(path);
        if (!st) throw new NotFoundError(`File not found: ${path.split('/').pop() ?? ''}`);
        files.push({ path: `${path}#${st.version}`, dev: 0, ino: 0, size: st.size, mtimeMs: st.mtimeMs });
        continue;
      }
      const st = await stat(path);
      files.push({ path, dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs });
    }
    channelKeys.push(channelKey(files, backgroundNeutralization, limits));
  }
  return channelKeys;
}

/** The upstream's response headers of a rendered composite. */
export function compositeHeaders(r: NChannelOutput, fallbacks: readonly string[]): Record<string, string> {
  const q = r.quality;
  const h: Record<string, string> = {
    'x-quality-score': String(q.score),
    'x-quality-snr': String(q.snr),
    'x-quality-balance': String(q.balance),
    'x-quality-spread': String(q.spread),
    'x-quality-coverage': String(q.coverage),
    'x-composite-auto-feather': String(r.autoFeather),
    'x-composite-feather-strength': r.featherStrength.toFixed(3),
    'x-composite-budget-status': r.plan.status,
    // Ours: the picture's width,height before placement, so a client maps drags to crop units.
    'x-composite-picture-size': `${r.pictureWidth},${r.pictureHeight}`,
  };
  if (r.plan.sideFactor < 1) {
    h['x-composite-was-downscaled'] = 'true';
    h['x-composite-original-shape'] = r.plan.originalShape.join(',');
    h['x-composite-output-shape'] = r.plan.outputShape.join(',');
    h['x-composite-side-factor'] = r.plan.sideFactor.toFixed(3);
  }
  if (fallbacks.length) h['x-composite-stretch-fallbacks'] = fallbacks.join(',');
  if (r.debug) {
    h['x-debug-channels'] = r.debug.channels.join(',');
    if (r.debug.warning) h['x-debug-warning'] = r.debug.warning;
  }
  h['x-composite-cache'] = `${r.cacheHits}/${r.blurSigmas.length}`;
  return h;
}

/** Runs a composite task with a control port for its progress events; the request's signal stops it. */
function runControlled<T>(ctx: EngineContext, task: TaskName, payload: object, signal: AbortSignal, onEvent?: (e: ProgressEvent) => void): Promise<T> {
  return runOnPool<T>(ctx.pool, task, payload, signal, onEvent);
}

/** Renders in the pool and keeps the channels it reprojected in the engine's cache. */
async function renderCached(ctx: EngineContext, spec: NChannelSpec, signal: AbortSignal, onEvent?: (e: ProgressEvent) => void): Promise<NChannelOutput> {
  const r = await renderNChannelOnPool(ctx.pool, spec, signal, onEvent);
  const entries = r.cacheEntries ?? [];
  if (entries.length === 0) return r;
  // A file replaced while the render read it would file the new bytes under the old identity:
  // keep only the channels whose files are still the ones the keys were made from.
  const before = spec.cache!.channelKeys;
  const after = await channelKeysOf(spec.channels, spec.backgroundNeutralization, spec.limits).catch(() => []);
  const cache = reprojectionCacheOf(ctx);
  for (const e of entries) {
    if (after[e.channel] === before[e.channel]) cache.put({ key: e.key, data: e.data }, before[e.channel]!);
  }
  return r;
}

/** A render under the render gate (upstream §7.1): a slot now or soon, else 429 with Retry-After. */
function gatedRender(ctx: EngineContext, spec: NChannelSpec, signal: AbortSignal, onEvent?: (e: ProgressEvent) => void): Promise<NChannelOutput> {
  return ctx.renderGate.run(() => renderCached(ctx, spec, signal, onEvent), { interactive: true, signal });
}

/** Where each stage's events fall in a job's progress (the .NET consumer's windows). */
const STAGE_WINDOWS: Record<ProgressEvent['stage'], [number, number]> = {
  reproject: [0.1, 0.5], background_neutralize: [0.5, 0.55], stretch: [0.55, 0.8], combine: [0.8, 0.9], encode: [0.9, 0.95],
};

/** A progress event as a job's fraction and stage text. */
export function jobProgressOf(e: ProgressEvent, progress: ProgressReporter): void {
  const [lo, hi] = STAGE_WINDOWS[e.stage];
  const part = e.index && e.total ? (e.index - 1) / e.total : 0;
  progress(lo + (hi - lo) * part, e.message);
}

/** The N-channel composite as a core job (kind `composite-nchannel`): its image is the job's output. */
export function compositeNChannelJobHandler(ctx: EngineContext): JobHandler {
  return skyJobHandler(ctx, 'composite-nchannel', async (inputs, progress, _dir, signal) => {
    const fallbacks: string[] = [];
    const spec = await nchannelSpec(ctx, inputs as unknown as NChannelBody, fallbacks);
    const r = await renderCached(ctx, spec, signal, (e) => jobProgressOf(e, progress));
    return { body: Buffer.from(r.image.buffer, r.image.byteOffset, r.image.byteLength), mediaType: r.mediaType, headers: compositeHeaders(r, fallbacks) };
  });
}

/** The 202 answer of a render submitted as a job: where to follow it and fetch its output. */
export function jobAccepted(id: string): Record<string, string> {
  return {
    job_id: id,
    status: 'queued',
    job_url: `/api/jobs/${id}`,
    events_url: `/api/jobs/${id}/events`,
    output_url: `/api/jobs/${id}/outputs/0/download`,
  };
}

export async function compositeNChannelRoutes(app: App, ctx: EngineContext): Promise<void> {
  app.post('/composite/generate-nchannel', {
    schema: {
      summary: 'N-channel colour composite (hue/rgb/luminance channels, per-channel tone, neutral background, feathering, rotation, crop) on an exact canvas, with a quality score; `?async=true`: a job (202, progress on /api/jobs/{id}/events)',
      body: NChannelRequest,
      querystring: AsyncQuery,
    },
  }, async (request, reply) => {
    const fallbacks: string[] = [];
    const spec = await nchannelSpec(ctx, request.body, fallbacks);
    if (request.query.async) {
      const job = await ctx.jobs.submit('composite-nchannel', request.body as unknown as JsonObject, { owner: jobOwnerOf(request) });
      return reply.status(202).send(jobAccepted(job.id));
    }
    const r = await gatedRender(ctx, spec, requestSignal(ctx, request, reply));
    const body = Buffer.from(r.image.buffer, r.image.byteOffset, r.image.byteLength);
    return reply.type(r.mediaType).headers(compositeHeaders(r, fallbacks)).send(body);
  });

  app.post('/composite/generate-nchannel-stream', {
    schema: {
      summary: 'The N-channel composite as NDJSON: progress events per stage, then a complete event with the image (base64) and its headers, or an error event',
      body: NChannelRequest,
    },
  }, async (request, reply) => {
    const stream = new PassThrough();
    const send = (o: Record<string, unknown>) => {
      if (!stream.writableEnded) stream.write(`${JSON.stringify(o)}\n`);
    };
    const fallbacks: string[] = [];
    void (async () => {
      try {
        const spec = await nchannelSpec(ctx, request.body, fallbacks);
        const r = await gatedRender(ctx, spec, requestSignal(ctx, request, reply), (e) => send({ event: 'progress', ...e }));
        const image = Buffer.from(r.image.buffer, r.image.byteOffset, r.image.byteLength);
        const headers = { 'content-type': r.mediaType, 'content-length': String(image.length), ...compositeHeaders(r, fallbacks) };
        send({ event: 'complete', image_b64: image.toString('base64'), content_type: r.mediaType, headers });
      } catch (err) {
        if (err instanceof EngineError) {
          const retry = err instanceof RenderBusyError ? { retry_after: Number(err.headers['retry-after']) } : {};
          if (err.code !== 'CANCELLED') send({ event: 'error', detail: err.message, status_code: err.httpStatus, ...retry });
        } else {
          request.log.error({ err }, 'composite stream failed');
          send({ event: 'error', detail: 'An internal error occurred', status_code: 500 });
        }
      } finally {
        stream.end();
      }
    })();
    return reply.type('application/x-ndjson').send(stream);
  });

  app.post('/composite/estimate', {
    schema: { summary: 'Memory and pixel pre-check of a composite request (headers only): would it fit, at what grid size', body: NChannelRequest },
  }, async (request, reply) => {
    const body = request.body;
    const files = body.channels.reduce((n, c) => n + c.file_paths.length, 0);
    if (files > ctx.settings.maxCompositeEstimateFiles) {
      throw new PayloadTooLargeError(`Estimate input exceeds soft cap: ${files} files (max ${ctx.settings.maxCompositeEstimateFiles}, MAX_COMPOSITE_ESTIMATE_FILES)`);
    }
    const channels = [];
    for (const c of body.channels) {
      const paths = [];
      for (const p of c.file_paths) paths.push((await ctx.sandbox.resolveInput(p)).path);
      channels.push({ paths });
    }
    return ctx.pool.run<EstimateResponse>('composite.estimate', {
      channels, limits: viewerLimits(ctx), width: body.width ?? 1000, height: body.height ?? 1000, zoom: body.crop_zoom ?? 1,
      memoryLimitBytes: ctx.settings.maxCompositeMemoryBytes, failThreshold: ctx.settings.compositeDownscaleFailThreshold,
    }, { signal: requestSignal(ctx, request, reply) });
  });

  app.post('/composite/analyze-channels', {
    schema: { summary: 'Per-channel histograms, statistics and auto-stretch suggestions on a small common grid', body: AnalyzeRequest },
  }, async (request, reply) => {
    const channels = await channelsOf(ctx, request.body.channels, []);
    return runControlled<{ channels: ChannelAnalysis[] }>(ctx, 'composite.analyze', {
      channels: channels.map((c) => ({ label: c.label, paths: c.paths })),
      backgroundNeutralization: request.body.background_neutralization ?? true,
      limits: viewerLimits(ctx),
    }, requestSignal(ctx, request, reply));
  });
}
