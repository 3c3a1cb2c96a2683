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
import { nullable, nullableEnum } from './sky-support.js';
import { requestSignal } from './request-signal.js';

const ObservationMosaicRequest = Type.Object({
  file_paths: Type.Array(Type.String({ minLength: 1, maxLength: 1024 }), { minItems: 2, maxItems: 500 }),
  combine_method: nullableEnum(['mean'] as const, {}),
  max_output_pixels: nullable(Type.Integer({ minimum: 10_000, maximum: 256_000_000, description: 'largest output grid (default 64 M; at most MAX_MOSAIC_OUTPUT_PIXELS: the grid shrinks to fit)' })),
  batch_size: nullable(Type.Integer({ minimum: 4, maximum: 20, description: 'files per progress step (each file is interpolated once)' })),
  background_match: nullable(Type.Boolean({ description: 'subtract each file\'s background and match signal gains (default true)' })),
});

export async function observationMosaicRoutes(app: App, ctx: EngineContext): Promise<void> {
  app.post('/mosaic/generate-observation', {
    schema: { summary: 'FITS mosaic of the files of an observation (2-500), background-matched, memory bounded by the output grid', body: ObservationMosaicRequest },
  }, async (request, reply) => {
    const body = request.body;
    const paths: string[] = [];
    for (const p of body.file_paths) paths.push(await ctx.sandbox.resolve(p));
    const dir = await mkdtemp(join(tmpdir(), 'jwst-obs-mosaic-'));
    const outputPath = join(dir, 'observation-mosaic.fits');
    const signal = requestSignal(ctx, request, reply);
    try {
      const r = await ctx.renderGate.run(() => ctx.pool.run<ObservationMosaicResult>('composite.observation-mosaic', {
        paths,
        // The grid shrinks to fit: a bigger request is held to the operator's MAX_MOSAIC_OUTPUT_PIXELS.
        maxOutputPixels: Math.min(body.max_output_pixels ?? 64_000_000, ctx.settings.maxMosaicOutputPixels),
        batchSize: body.batch_size ?? 10,
        backgroundMatch: body.background_match ?? true,
        outputPath,
        limits: viewerLimits(ctx),
      }, { signal }), { interactive: false, signal });
      const stream = createReadStream(outputPath);
      stream.on('close', () => void rm(dir, { recursive: true, force: true }));
      return reply
        .type('application/fits')
        .headers({ 'content-disposition': 'attachment; filename=observation-mosaic.fits', 'x-mosaic-width': String(r.width), 'x-mosaic-height': String(r.height) })
        .send(stream);
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
  });
}
