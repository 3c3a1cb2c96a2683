/**
 * POST /mosaic/generate (PNG, JPEG or FITS with provenance keywords and the SRCMETA table) and
 * POST /mosaic/footprint (contract §1.4), with the defects of §7.1 fixed: NaN and no coverage are
 * never zeros, each file's own stretch is used, the aspect ratio is kept, footprints read headers
 * only and are right across RA 0/360. `?async=true` runs /mosaic/generate or /mosaic/footprint as a
 * background job (a core job of kind mosaic or footprint).
 */
import { createReadStream } from 'node:fs';
import { locationStream } from '../storage/locations.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyReply } from 'fastify';
import { Type, type Static } from 'typebox';
import type { App } from '../server.js';
import type { EngineContext } from '../context.js';
import { BadRequestError } from '../errors.js';
import { colormapNames, getColormap } from '../imaging/index.js';
import type { MosaicFitsOutput, MosaicImageOutput } from '../reproject/mosaic.js';
import type { FootprintTaskResult } from '../workers/tasks/reproject.js';
import { parseAvmMetadataJson } from '../wcs/index.js';
import { resolveFitsPath, viewerLimits } from './viewer-support.js';
import { checkFileCount, distinct, FilePath, MAX_FILES_CEILING, MAX_JSON_TEXT_LENGTH, MAX_NAME_LENGTH } from './input-limits.js';
import { AsyncQuery, DisplayLevels, displayOf, JobParams, nullable, nullableEnum, skyJobHandler, SkyJobs, type Rendered } from './sky-support.js';
import type { JobHandler, JsonObject, JsonValue } from '../jobs/index.js';
import { requestSignal } from './request-signal.js';

const MosaicFile = Type.Object({
  file_path: FilePath(),
  stretch: nullable(Type.String({ maxLength: MAX_NAME_LENGTH })),
  ...DisplayLevels,
});


const MosaicRequest = Type.Object({
  files: Type.Array(MosaicFile, { minItems: 2, maxItems: MAX_FILES_CEILING, description: 'tiles (at most MAX_MOSAIC_FILES, default 100)' }),
  output_format: nullableEnum(['png', 'jpeg', 'fits'] as const, {}),
  quality: nullable(Type.Integer({ minimum: 1, maximum: 100 })),
  width: nullable(Type.Integer({ exclusiveMinimum: 0, maximum: 8000, description: 'box width; the image fits inside, aspect kept' })),
  height: nullable(Type.Integer({ exclusiveMinimum: 0, maximum: 8000 })),
  combine_method: nullableEnum(['mean', 'sum', 'first', 'last', 'min', 'max', 'median'] as const, {}),
  cmap: nullable(Type.String({ maxLength: MAX_NAME_LENGTH })),
  match_background: nullable(Type.Boolean({ description: 'subtract per-tile background offsets measured in the overlaps' })),
  interpolation: nullableEnum(['bilinear', 'nearest', 'bicubic', 'exact'] as const, { description: "resampling: bilinear (default, as reproject_interp), nearest, bicubic, or exact (flux-conserving area overlap)" }),
  embed_avm: nullable(Type.Boolean({})),
  avm_metadata: nullable(Type.String({ maxLength: MAX_JSON_TEXT_LENGTH })),
});
type MosaicBody = Static<typeof MosaicRequest>;

const FootprintRequest = Type.Object({
  file_paths: Type.Array(FilePath(), {
    minItems: 1, maxItems: MAX_FILES_CEILING,
    description: 'FITS files relative to DATA_DIR (at most MAX_FOOTPRINT_FILES, default 500; repeated paths count once)',
  }),
  overlap_offset: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_FILES_CEILING ** 2, default: 0, description: 'first overlapping pair returned (paging)' })),
  overlap_limit: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'most pairs returned (default and ceiling MAX_FOOTPRINT_OVERLAPS, default 10000)' })),
});
type FootprintBody = Static<typeof FootprintRequest>;

async function prepare(ctx: EngineContext, body: MosaicBody, fallbacks: string[]) {
  const format = body.output_format ?? 'png';
  const cmap = body.cmap ?? 'grayscale';
  if (!getColormap(cmap)) throw new BadRequestError(`Invalid colormap '${cmap}'. Must be one of: ${colormapNames().join(', ')}`);
  if (format === 'fits' && (body.width || body.height)) throw new BadRequestError('Width/height resizing is not supported for FITS output');
  checkFileCount(body.files.length, ctx.settings.maxMosaicFiles, 'MAX_MOSAIC_FILES', 'Mosaic request');
  const files = [];
  for (const f of body.files) {
    const resolved = await resolveFitsPath(ctx, f.file_path);
    files.push({ path: resolved.path, display: displayOf(f, fallbacks, 'asinh') });
  }
  return {
    format,
    common: {
      files,
      combine: body.combine_method ?? 'mean',
      matchBackground: body.match_background ?? false,
      interpolation: body.interpolation ?? 'bilinear',
      limits: viewerLimits(ctx),
      maxOutputPixels: ctx.settings.maxMosaicOutputPixels,
    },
    cmap,
  } as const;
}

type Prepared = Awaited<ReturnType<typeof prepare>>;

/** Renders a prepared request; a FITS result is written in `dir` (a temp folder or the job's own). */
async function render(jobs: SkyJobs, body: MosaicBody, p: Prepared, fallbacks: readonly string[], dir: string, signal: AbortSignal, progress?: (f: number, s: string) => void): Promise<Rendered> {
  const headers: Record<string, string> = {};
  if (fallbacks.length) headers['x-stretch-fallback'] = fallbacks.join(',');
  if (p.format === 'fits') {
    const r = await jobs.run<MosaicFitsOutput>('reproject.mosaic-fits', { ...p.common, outputPath: join(dir, 'mosaic.fits') }, signal, progress);
    headers['x-image-width'] = String(r.width);
    headers['x-image-height'] = String(r.height);
    headers['content-disposition'] = 'attachment; filename="mosaic.fits"';
    return { body: { path: r.path }, mediaType: 'application/fits', headers };
  }
  const r = await jobs.run<MosaicImageOutput>('reproject.mosaic-image', {
    ...p.common,
    format: p.format,
    quality: body.quality ?? 95,
    colormap: p.cmap,
    width: body.width ?? undefined,
    height: body.height ?? undefined,
    embedAvm: body.embed_avm ?? true,
    avm: parseAvmMetadataJson(body.avm_metadata ?? ''),
  }, signal, progress);
  headers['x-image-width'] = String(r.width);
  headers['x-image-height'] = String(r.height);
  return { body: Buffer.from(r.image.buffer, r.image.byteOffset, r.image.byteLength), mediaType: r.mediaType, headers };
}

/** The files of a footprint request, checked and resolved; the same file named twice counts once. */
async function footprintFiles(ctx: EngineContext, body: FootprintBody): Promise<{ filePaths: string[]; paths: string[]; removed: number }> {
  checkFileCount(body.file_paths.length, ctx.settings.maxFootprintFiles, 'MAX_FOOTPRINT_FILES', 'Footprint request');
  const named = distinct(body.file_paths);
  const resolved = [];
  for (const p of named.unique) resolved.push({ filePath: p, path: (await resolveFitsPath(ctx, p)).path });
  const files = distinct(resolved, (r) => r.path);
  return { filePaths: files.unique.map((f) => f.filePath), paths: files.unique.map((f) => f.path), removed: named.removed + files.removed };
}

/**
 * Footprints of every file, and a page of the overlapping pairs: at most MAX_FOOTPRINT_OVERLAPS
 * pairs (or `overlap_limit`) from `overlap_offset`, with `overlap_count` of them all and
 * `overlaps_truncated` when more follow.
 */
async function footprints(ctx: EngineContext, body: FootprintBody, signal: AbortSignal): Promise<JsonObject> {
  const { filePaths, paths, removed } = await footprintFiles(ctx, body);
  const overlapOffset = body.overlap_offset ?? 0;
  const overlapLimit = Math.min(body.overlap_limit ?? ctx.settings.maxFootprintOverlaps, ctx.settings.maxFootprintOverlaps);
  const r = await ctx.pool.run<FootprintTaskResult>('reproject.footprint', { paths, limits: viewerLimits(ctx), overlapOffset, overlapLimit }, { signal });
  return {
    footprints: r.footprints.map((f, i) => ({
      file_path: filePaths[i]!,
      corners_ra: f.cornersRa,
      corners_dec: f.cornersDec,
      center_ra: f.centerRa,
      center_dec: f.centerDec,
      polygon: f.polygon as unknown as JsonValue,
      width: f.width,
      height: f.height,
      instrument: f.instrument,
    })),
    bounding_box: { min_ra: r.boundingBox.minRa, max_ra: r.boundingBox.maxRa, min_dec: r.boundingBox.minDec, max_dec: r.boundingBox.maxDec, wraps_ra: r.boundingBox.wrapsRa },
    overlaps: r.overlaps.map((o) => ({ a: o.a, b: o.b, file_a: filePaths[o.a]!, file_b: filePaths[o.b]!, area_deg2: o.areaDeg2, fraction_of_a: o.fractionOfA, fraction_of_b: o.fractionOfB })),
    n_files: r.footprints.length,
    overlap_warning: r.overlapWarning,
    overlap_count: r.overlapCount,
    overlap_offset: overlapOffset,
    overlaps_truncated: overlapOffset + r.overlaps.length < r.overlapCount,
    duplicates_removed: removed,
  };
}

/** Mosaic and footprint jobs (the footprint result is its JSON answer, kept as an output too). */
export function mosaicJobHandlers(ctx: EngineContext): JobHandler[] {
  const jobs = new SkyJobs(ctx);
  return [
    skyJobHandler(ctx, 'mosaic', async (inputs, progress, dir, signal) => {
      const body = inputs as unknown as MosaicBody;
      const fallbacks: string[] = [];
      return render(jobs, body, await prepare(ctx, body, fallbacks), fallbacks, dir, signal, progress);
    }),
    skyJobHandler(ctx, 'footprint', async (inputs, _progress, _dir, signal) => ({
      body: Buffer.from(JSON.stringify(await footprints(ctx, inputs as unknown as FootprintBody, signal))),
      mediaType: 'application/json',
      headers: {},
    })),
  ];
}

export async function mosaicRoutes(app: App, ctx: EngineContext): Promise<void> {
  const jobs = new SkyJobs(ctx);

  const send = async (reply: FastifyReply, r: Rendered, removeAfter: boolean) => {
    reply.type(r.mediaType).headers(r.headers);
    if (Buffer.isBuffer(r.body)) return reply.send(r.body);
    const path = r.body.path;
    // A job's output may be an object (STORAGE_PROVIDER=s3); a synchronous render's is a temporary file.
    const stream = removeAfter ? createReadStream(path) : await locationStream(path);
    if (removeAfter) stream.on('close', () => void rm(join(path, '..'), { recursive: true, force: true }));
    return reply.send(stream);
  };

  app.post('/mosaic/generate', {
    schema: { summary: 'WCS mosaic of several files as PNG, JPEG (AVM embedded) or FITS (provenance + SRCMETA)', body: MosaicRequest, querystring: AsyncQuery },
  }, async (request, reply) => {
    const fallbacks: string[] = [];
    const p = await prepare(ctx, request.body, fallbacks); // 4xx now, before any work is queued
    if (request.query.async) {
      const job = await jobs.start('mosaic', request.body as unknown as JsonObject, request);
      return reply.status(202).send(jobs.status(job, '/mosaic/jobs'));
    }
    const signal = requestSignal(ctx, request, reply);
    const rendered = await jobs.interactive(async () => {
      // Only a FITS mosaic is written to a file (a temporary folder removed once it is sent).
      const dir = p.format === 'fits' ? await mkdtemp(join(tmpdir(), 'jwst-mosaic-')) : tmpdir();
      try {
        return await render(jobs, request.body, p, fallbacks, dir, signal);
      } catch (err) {
        if (p.format === 'fits') await rm(dir, { recursive: true, force: true });
        throw err;
      }
    }, signal);
    return send(reply, rendered, true);
  });

  /** Mosaic and footprint jobs share the /mosaic/jobs routes. */
  const kindOf = async (id: string) => ((await ctx.jobs.get(id))?.kind === 'footprint' ? 'footprint' : 'mosaic');

  app.get('/mosaic/jobs/:job_id', { schema: { summary: 'Progress of a background mosaic or footprint', params: JobParams } }, async (request) => {
    const id = request.params.job_id;
    return jobs.status(await jobs.get(await kindOf(id), id, request), '/mosaic/jobs');
  });

  app.get('/mosaic/jobs/:job_id/result', { schema: { summary: 'The finished mosaic (or footprint JSON)', params: JobParams } }, async (request, reply) => {
    const id = request.params.job_id;
    return send(reply, await jobs.result(await kindOf(id), id, request), false);
  });

  app.post('/mosaic/footprint', {
    schema: { summary: 'Sky footprint of each file (corners in FITS order, polygon), bounding box across RA 0/360, pairwise overlaps', body: FootprintRequest, querystring: AsyncQuery },
  }, async (request, reply) => {
    if (request.query.async) {
      await footprintFiles(ctx, request.body); // 4xx now, before the job is queued
      const job = await jobs.start('footprint', request.body as unknown as JsonObject, request);
      return reply.status(202).send(jobs.status(job, '/mosaic/jobs'));
    }
    return footprints(ctx, request.body, requestSignal(ctx, request, reply));
  });
}
