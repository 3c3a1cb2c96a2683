/**
 * POST /mosaic/generate-observation (upstream-latest §6): a FITS mosaic of 2-500 files of an
 * observation, background-matched, with memory bounded by the output grid plus one file. It waits
 * for a render-gate slot as background work does (no 429).
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type } from 'typebox';
import type { App } from '../server.js';
import type { EngineContext } from '../context.js';
import type { ObservationMosaicResult } from '../composite/observation-mosaic.js';
import { viewerLimits } from './viewer-support.js';
import { AsyncQuery, nullable, nullableEnum, skyJobHandler } from './sky-support.js';
import { requestSignal } from './request-signal.js';
import { runWithProgress } from './pool-progress.js';
import { jobOwnerOf } from './job-support.js';
import { jobAccepted } from './composite-nchannel.js';
import type { JobHandler, JsonObject } from '../jobs/index.js';
import type { Static } from 'typebox';
import type { MosaicProgress } from '../composite/observation-mosaic.js';

const ObservationMosaicRequest = Type.Object({
  file_paths: Type.Array(Type.String({ minLength: 1, maxLength: 1024 }), { minItems: 2, maxItems: 500 }),
  combine_method: nullableEnum(['mean'] as const, {}),
  max_output_pixels: nullable(Type.Integer({ minimum: 10_000, maximum: 256_000_000, description: 'largest output grid (default 64 M; at most MAX_MOSAIC_OUTPUT_PIXELS: the grid shrinks to fit)' })),
  batch_size: nullable(Type.Integer({ minimum: 4, maximum: 20, description: 'files per progress step (each file is interpolated once)' })),
  background_match: nullable(Type.Boolean({ description: 'subtract each file\'s background and match signal gains (default true)' })),
});

type ObservationMosaicBody = Static<typeof ObservationMosaicRequest>;

/** Resolves the files (sandbox) and renders the FITS into `outputPath` under a background slot. */
async function renderObservation(ctx: EngineContext, body: ObservationMosaicBody, outputPath: string, signal: AbortSignal, progress?: MosaicProgress): Promise<ObservationMosaicResult> {
  const paths: string[] = [];
  for (const p of body.file_paths) paths.push((await ctx.sandbox.resolveInput(p)).path);
  const payload = {
    paths,
    // The grid shrinks to fit: a bigger request is held to the operator's MAX_MOSAIC_OUTPUT_PIXELS.
    maxOutputPixels: Math.min(body.max_output_pixels ?? 64_000_000, ctx.settings.maxMosaicOutputPixels),
    batchSize: body.batch_size ?? 10,
    backgroundMatch: body.background_match ?? true,
    outputPath,
    limits: viewerLimits(ctx),
  };
  return progress
    ? runWithProgress<ObservationMosaicResult, { fraction: number; stage: string }>(ctx, 'composite.observation-mosaic', payload, (m) => progress(m.fraction, m.stage), signal)
    : ctx.pool.run<ObservationMosaicResult>('composite.observation-mosaic', payload, { signal });
}

const mosaicHeaders = (r: ObservationMosaicResult) => ({ 'x-mosaic-width': String(r.width), 'x-mosaic-height': String(r.height) });

/** The observation mosaic as a core job (kind `observation-mosaic`): the FITS is the job's output. */
export function observationMosaicJobHandler(ctx: EngineContext): JobHandler {
  return skyJobHandler(ctx, 'observation-mosaic', async (inputs, progress, dir, signal) => {
    const path = join(dir, 'observation-mosaic.fits');
    const r = await renderObservation(ctx, inputs as unknown as ObservationMosaicBody, path, signal, progress);
    return { body: { path }, mediaType: 'application/fits', headers: mosaicHeaders(r) };
  });
}

export async function observationMosaicRoutes(app: App, ctx: EngineContext): Promise<void> {
  app.post('/mosaic/generate-observation', {
    schema: {
      summary: 'FITS mosaic of the files of an observation (2-500), background-matched, memory bounded by the output grid; `?async=true`: a job (202, progress on /api/jobs/{id}/events)',
      body: ObservationMosaicRequest,
      querystring: AsyncQuery,
    },
  }, async (request, reply) => {
    const body = request.body;
    for (const p of body.file_paths) await ctx.sandbox.resolveInput(p); // 403/404 before anything is queued
    if (request.query.async) {
      const job = await ctx.jobs.submit('observation-mosaic', body as unknown as JsonObject, { owner: jobOwnerOf(request) });
      return reply.status(202).send(jobAccepted(job.id));
    }
    const dir = await mkdtemp(join(tmpdir(), 'jwst-obs-mosaic-'));
    const outputPath = join(dir, 'observation-mosaic.fits');
    const signal = requestSignal(ctx, request, reply);
    try {
      const r = await ctx.renderGate.run(() => renderObservation(ctx, body, outputPath, signal), { interactive: false, signal });
      const stream = createReadStream(outputPath);
      stream.on('close', () => void rm(dir, { recursive: true, force: true }));
      return reply
        .type('application/fits')
        .headers({ 'content-disposition': 'attachment; filename=observation-mosaic.fits', ...mosaicHeaders(r) })
        .send(stream);
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
  });
}
