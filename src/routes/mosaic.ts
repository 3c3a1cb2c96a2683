/**
 * POST /mosaic/generate (PNG, JPEG or FITS with provenance keywords and the SRCMETA table) and
 * POST /mosaic/footprint (contract §1.4), with the defects of §7.1 fixed: NaN and no coverage are
 * never zeros, each file's own stretch is used, the aspect ratio is kept, footprints read headers
 * only and are right across RA 0/360. `?async=true` runs /mosaic/generate as a background job.
 */
import { createReadStream } from 'node:fs';
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
import { AsyncQuery, DisplayLevels, displayOf, JobParams, nullable, nullableEnum, SkyJobs } from './sky-support.js';

const MosaicFile = Type.Object({
  file_path: Type.String(),
  stretch: nullable(Type.String({})),
  ...DisplayLevels,
});


const MosaicRequest = Type.Object({
  files: Type.Array(MosaicFile, { minItems: 2 }),
  output_format: nullableEnum(['png', 'jpeg', 'fits'] as const, {}),
  quality: nullable(Type.Integer({ minimum: 1, maximum: 100 })),
  width: nullable(Type.Integer({ exclusiveMinimum: 0, maximum: 8000, description: 'box width; the image fits inside, aspect kept' })),
  height: nullable(Type.Integer({ exclusiveMinimum: 0, maximum: 8000 })),
  combine_method: nullableEnum(['mean', 'sum', 'first', 'last', 'min', 'max', 'median'] as const, {}),
  cmap: nullable(Type.String({})),
  match_background: nullable(Type.Boolean({ description: 'subtract per-tile background offsets measured in the overlaps' })),
  interpolation: nullableEnum(['bilinear', 'nearest', 'bicubic', 'exact'] as const, { description: "resampling: bilinear (default, as reproject_interp), nearest, bicubic, or exact (flux-conserving area overlap)" }),
  embed_avm: nullable(Type.Boolean({})),
  avm_metadata: nullable(Type.String()),
});
type MosaicBody = Static<typeof MosaicRequest>;

const FootprintRequest = Type.Object({ file_paths: Type.Array(Type.String(), { minItems: 1 }) });

interface Rendered {
  body: Buffer | { path: string };
  mediaType: string;
  headers: Record<string, string>;
}

async function prepare(ctx: EngineContext, body: MosaicBody, fallbacks: string[]) {
  const format = body.output_format ?? 'png';
  const cmap = body.cmap ?? 'grayscale';
  if (!getColormap(cmap)) throw new BadRequestError(`Invalid colormap '${cmap}'. Must be one of: ${colormapNames().join(', ')}`);
  if (format === 'fits' && (body.width || body.height)) throw new BadRequestError('Width/height resizing is not supported for FITS output');
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

export async function mosaicRoutes(app: App, ctx: EngineContext): Promise<void> {
  const jobs = new SkyJobs(ctx);

  /** Renders a prepared request (validated and resolved once, before any sync or async work). */
  const render = async (body: MosaicBody, p: Prepared, fallbacks: readonly string[], progress?: (f: number, s: string) => void): Promise<Rendered> => {
    const headers: Record<string, string> = {};
    if (fallbacks.length) headers['x-stretch-fallback'] = fallbacks.join(',');
    if (p.format === 'fits') {
      const dir = await mkdtemp(join(tmpdir(), 'jwst-mosaic-'));
      const outputPath = join(dir, 'mosaic.fits');
      try {
        const r = await jobs.run<MosaicFitsOutput>('reproject.mosaic-fits', { ...p.common, outputPath }, progress);
        headers['x-image-width'] = String(r.width);
        headers['x-image-height'] = String(r.height);
        headers['content-disposition'] = 'attachment; filename="mosaic.fits"';
        return { body: { path: r.path }, mediaType: 'application/fits', headers };
      } catch (err) {
        await rm(dir, { recursive: true, force: true });
        throw err;
      }
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
    }, progress);
    headers['x-image-width'] = String(r.width);
    headers['x-image-height'] = String(r.height);
    return { body: Buffer.from(r.image.buffer, r.image.byteOffset, r.image.byteLength), mediaType: r.mediaType, headers };
  };

  const send = (reply: FastifyReply, r: Rendered, removeAfter: boolean) => {
    reply.type(r.mediaType).headers(r.headers);
    if (Buffer.isBuffer(r.body)) return reply.send(r.body);
    const path = r.body.path;
    const stream = createReadStream(path);
    if (removeAfter) stream.on('close', () => void rm(join(path, '..'), { recursive: true, force: true }));
    return reply.send(stream);
  };

  app.post('/mosaic/generate', {
    schema: { summary: 'WCS mosaic of several files as PNG, JPEG (AVM embedded) or FITS (provenance + SRCMETA)', body: MosaicRequest, querystring: AsyncQuery },
  }, async (request, reply) => {
    const fallbacks: string[] = [];
    const p = await prepare(ctx, request.body, fallbacks); // 4xx now, before any work is queued
    if (request.query.async) {
      const job = jobs.start('mosaic', (progress) => render(request.body, p, fallbacks, progress));
      return reply.status(202).send(jobs.status(job, '/mosaic/jobs'));
    }
    return send(reply, await render(request.body, p, fallbacks), true);
  });

  app.get('/mosaic/jobs/:job_id', { schema: { summary: 'Progress of a background mosaic', params: JobParams } }, async (request) =>
    jobs.status(jobs.get('mosaic', request.params.job_id), '/mosaic/jobs'));

  app.get('/mosaic/jobs/:job_id/result', { schema: { summary: 'The finished mosaic', params: JobParams } }, async (request, reply) => {
    return send(reply, jobs.result('mosaic', request.params.job_id), false);
  });

  app.post('/mosaic/footprint', {
    schema: { summary: 'Sky footprint of each file (corners in FITS order, polygon), bounding box across RA 0/360, pairwise overlaps', body: FootprintRequest },
  }, async (request) => {
    const paths = [];
    for (const p of request.body.file_paths) paths.push((await resolveFitsPath(ctx, p)).path);
    const r = await ctx.pool.run<FootprintTaskResult>('reproject.footprint', { paths, limits: viewerLimits(ctx) });
    return {
      footprints: r.footprints.map((f, i) => ({
        file_path: request.body.file_paths[i],
        corners_ra: f.cornersRa,
        corners_dec: f.cornersDec,
        center_ra: f.centerRa,
        center_dec: f.centerDec,
        polygon: f.polygon,
        width: f.width,
        height: f.height,
      })),
      bounding_box: { min_ra: r.boundingBox.minRa, max_ra: r.boundingBox.maxRa, min_dec: r.boundingBox.minDec, max_dec: r.boundingBox.maxDec, wraps_ra: r.boundingBox.wrapsRa },
      overlaps: r.overlaps.map((o) => ({ a: o.a, b: o.b, file_a: request.body.file_paths[o.a], file_b: request.body.file_paths[o.b], area_deg2: o.areaDeg2, fraction_of_a: o.fractionOfA, fraction_of_b: o.fractionOfB })),
      n_files: r.footprints.length,
    };
  });
}
