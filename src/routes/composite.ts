/**
 * POST /composite/generate (contract §1.3) plus any number of coloured channels, an optional crop,
 * AVM metadata, and `?async=true` background jobs with progress (GET /composite/jobs/{id},
 * GET /composite/jobs/{id}/result). The image keeps the sky's aspect ratio inside the
 * width x height box; the overall adjustment is applied once to the combined image.
 */
import { locationStream } from '../storage/locations.js';
import { Type, type Static } from 'typebox';
import type { App } from '../server.js';
import type { EngineContext } from '../context.js';
import { ValidationError } from '../errors.js';
import type { CompositeOutput, CompositeSpec } from '../reproject/composite.js';
import { TONE_CURVES, type ToneCurve } from '../reproject/tone.js';
import { parseAvmMetadataJson } from '../wcs/index.js';
import { viewerLimits } from './viewer-support.js';
import { checkFileCount, FilePath, MAX_FILES_CEILING, MAX_JSON_TEXT_LENGTH, MAX_NAME_LENGTH } from './input-limits.js';
import { channelColor } from '../reproject/colors.js';
import { AsyncQuery, DisplayLevels, displayOf, JobParams, nullable, nullableEnum, skyJobHandler, SkyJobs, type Rendered } from './sky-support.js';
import type { JobHandler, JsonObject } from '../jobs/index.js';
import { requestSignal } from './request-signal.js';

const ChannelConfig = Type.Object({
  file_paths: Type.Array(FilePath(), { minItems: 1, maxItems: MAX_FILES_CEILING, description: 'FITS files relative to DATA_DIR; several are mosaicked (NaN-aware mean); at most MAX_COMPOSITE_REQUEST_FILES (default 100) over all channels' }),
  stretch: nullable(Type.String({ maxLength: MAX_NAME_LENGTH, description: 'zscale, asinh, log, sqrt, power, histeq, linear (unknown -> zscale)' })),
  ...DisplayLevels,
  curve: nullableEnum(TONE_CURVES, {}),
  color: nullable(Type.String({ maxLength: MAX_NAME_LENGTH, description: "channel colour: '#rrggbb' or a name (red, green, blue, cyan, magenta, yellow, orange, purple, white)" })),
  hue: nullable(Type.Number({ minimum: 0, maximum: 360, description: 'channel colour as a hue in degrees (full saturation)' })),
  rgb: nullable(Type.Array(Type.Number({ minimum: 0, maximum: 1 }), { minItems: 3, maxItems: 3, description: 'channel colour as RGB weights' })),
});

const Overall = Type.Object({
  stretch: nullable(Type.String({ maxLength: 16, pattern: '^(zscale|asinh|log|sqrt|power|histeq|linear)$' })),
  ...DisplayLevels,
});

const CompositeRequest = Type.Object({
  red: nullable(ChannelConfig),
  green: nullable(ChannelConfig),
  blue: nullable(ChannelConfig),
  channels: nullable(Type.Array(ChannelConfig, { minItems: 1, maxItems: 16, description: 'any number of channels, each with its colour (instead of or after red/green/blue)' })),
  overall: nullable(Overall),
  output_format: nullableEnum(['png', 'jpeg'] as const, {}),
  quality: nullable(Type.Integer({ minimum: 1, maximum: 100 })),
  width: nullable(Type.Integer({ minimum: 1, maximum: 4096, description: 'box width; the image fits inside, aspect kept' })),
  height: nullable(Type.Integer({ minimum: 1, maximum: 4096 })),
  crop: nullable(Type.Array(Type.Number({ minimum: 0, maximum: 1 }), { minItems: 4, maxItems: 4, description: '[x0, y0, x1, y1] fractions of the common grid (y up), applied before fitting the box' })),
  interpolation: nullableEnum(['bilinear', 'nearest', 'bicubic', 'exact'] as const, { description: 'resampling onto the common grid (default bilinear)' }),
  embed_avm: nullable(Type.Boolean({})),
  avm_metadata: nullable(Type.String({ maxLength: MAX_JSON_TEXT_LENGTH, description: 'JSON {target_name, instrument, filter, description, facility, spectral_band}' })),
});
type CompositeBody = Static<typeof CompositeRequest>;
type ChannelBody = Static<typeof ChannelConfig>;

/** 413 when the channels name more files than MAX_COMPOSITE_REQUEST_FILES in all (before any file is read). */
function checkCompositeFiles(ctx: EngineContext, body: CompositeBody): void {
  const files = [body.red, body.green, body.blue, ...(body.channels ?? [])].reduce((n, c) => n + (c?.file_paths.length ?? 0), 0);
  checkFileCount(files, ctx.settings.maxCompositeRequestFiles, 'MAX_COMPOSITE_REQUEST_FILES', 'Composite request');
}

async function compositeSpec(ctx: EngineContext, body: CompositeBody, fallbacks: string[]): Promise<CompositeSpec> {
  const legacy: Array<[ChannelBody | null | undefined, [number, number, number]]> = [[body.red, [1, 0, 0]], [body.green, [0, 1, 0]], [body.blue, [0, 0, 1]]];
  const given = legacy.filter(([c]) => c);
  if (given.length > 0 && given.length < 3 && !body.channels) throw new ValidationError('red, green and blue must all be given (or use channels)');
  const configs: Array<[ChannelBody, [number, number, number] | undefined]> = [
    ...given.map(([c, color]) => [c!, color] as [ChannelBody, [number, number, number]]),
    ...(body.channels ?? []).map((c) => [c, undefined] as [ChannelBody, undefined]),
  ];
  if (configs.length === 0) throw new ValidationError('Give red, green and blue, or channels');
  checkCompositeFiles(ctx, body);
  const channels = [];
  for (const [c, fallback] of configs) {
    const paths = [];
    for (const p of c.file_paths) paths.push((await ctx.sandbox.resolveInput(p)).path);
    channels.push({
      paths,
      color: channelColor(c, fallback),
      display: displayOf(c, fallbacks),
      curve: (c.curve ?? 'linear') as ToneCurve,
    });
  }
  const o = body.overall;
  const crop = body.crop ?? undefined;
  if (crop && !(crop[2]! > crop[0]! && crop[3]! > crop[1]!)) throw new ValidationError('crop must be [x0, y0, x1, y1] with x1 > x0 and y1 > y0');
  return {
    channels,
    overall: o ? displayOf(o, fallbacks) : undefined,
    width: body.width ?? 1000,
    height: body.height ?? 1000,
    crop: crop as [number, number, number, number] | undefined,
    format: body.output_format ?? 'png',
    quality: body.quality ?? 95,
    embedAvm: body.embed_avm ?? true,
    avm: parseAvmMetadataJson(body.avm_metadata ?? ''),
    limits: viewerLimits(ctx),
    maxGridPixels: ctx.settings.maxCompositeReprojectPixels,
    interpolation: body.interpolation ?? 'bilinear',
  };
}

function imageResult(r: CompositeOutput, fallbacks: string[]): Rendered {
  const image = Buffer.from(r.image.buffer, r.image.byteOffset, r.image.byteLength);
  const headers: Record<string, string> = { 'x-image-width': String(r.width), 'x-image-height': String(r.height) };
  if (fallbacks.length) headers['x-stretch-fallback'] = fallbacks.join(',');
  return { body: image, mediaType: r.mediaType, headers };
}

/** Validates, resolves and renders one request (the sync route and the job run the same code). */
async function renderComposite(ctx: EngineContext, jobs: SkyJobs, body: CompositeBody, signal: AbortSignal, progress?: (f: number, s: string) => void): Promise<Rendered> {
  const fallbacks: string[] = [];
  const spec = await compositeSpec(ctx, body, fallbacks);
  return imageResult(await jobs.run<CompositeOutput>('reproject.composite', spec, signal, progress), fallbacks);
}

export function compositeJobHandler(ctx: EngineContext): JobHandler {
  const jobs = new SkyJobs(ctx);
  return skyJobHandler(ctx, 'composite', (inputs, progress, _dir, signal) => renderComposite(ctx, jobs, inputs as unknown as CompositeBody, signal, progress));
}

export async function compositeRoutes(app: App, ctx: EngineContext): Promise<void> {
  const jobs = new SkyJobs(ctx);

  app.post('/composite/generate', {
    schema: {
      summary: 'Colour composite (PNG/JPEG) of any number of channels on a common celestial grid, aspect kept, AVM embedded',
      body: CompositeRequest,
      querystring: AsyncQuery,
    },
  }, async (request, reply) => {
    checkCompositeFiles(ctx, request.body); // before waiting for a render slot
    if (request.query.async) {
      await compositeSpec(ctx, request.body, []); // 4xx now, before the job is queued
      const job = await jobs.start('composite', request.body as unknown as JsonObject, request);
      return reply.status(202).send(jobs.status(job, '/composite/jobs'));
    }
    const signal = requestSignal(ctx, request, reply);
    const r = await jobs.interactive(() => renderComposite(ctx, jobs, request.body, signal), signal);
    return reply.type(r.mediaType).headers(r.headers).send(r.body);
  });

  app.get('/composite/jobs/:job_id', { schema: { summary: 'Progress of a background composite', params: JobParams } }, async (request) =>
    jobs.status(await jobs.get('composite', request.params.job_id, request), '/composite/jobs'));

  app.get('/composite/jobs/:job_id/result', { schema: { summary: 'The finished composite image', params: JobParams } }, async (request, reply) => {
    const result = await jobs.result('composite', request.params.job_id, request);
    return reply.type(result.mediaType).headers(result.headers).send(await locationStream((result.body as { path: string }).path));
  });
}
