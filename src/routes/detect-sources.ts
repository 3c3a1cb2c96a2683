/**
 * POST /analysis/detect-sources (upstream contract section 5): one call that estimates the
 * background, chooses DAOStarFinder or segmentation (`auto`) and returns the sources. The work
 * runs in the worker pool.
 */
import { Type } from 'typebox';
import type { App } from '../server.js';
import type { EngineContext } from '../context.js';
import { BadRequestError } from '../errors.js';
import { DETECT_METHODS, type DetectMethod, type DetectSourcesResult } from '../analysis/detect-sources.js';
import { resolveFitsPath, viewerLimits } from './viewer-support.js';
import { requestSignal } from './request-signal.js';

const Body = Type.Object({
  file_path: Type.String({ maxLength: 1024 }),
  threshold_sigma: Type.Optional(Type.Number({ default: 5, minimum: 1, maximum: 50 })),
  fwhm: Type.Optional(Type.Number({ default: 3, minimum: 0.5, maximum: 20 })),
  method: Type.Optional(Type.String({ default: 'auto', maxLength: 32, description: 'auto (daofind when the background RMS is uniform, else segmentation), daofind, iraf, segmentation' })),
  npixels: Type.Optional(Type.Integer({ default: 10, minimum: 1, maximum: 1000 })),
  deblend: Type.Optional(Type.Boolean({ default: true })),
  hdu_index: Type.Optional(Type.Integer({ default: -1, minimum: -1, maximum: 100_000 })),
});

export async function detectSourcesRoutes(app: App, ctx: EngineContext): Promise<void> {
  app.post('/analysis/detect-sources', { schema: { summary: 'Sources of an image in one call: background, then DAOStarFinder or segmentation', tags: ['analysis'], body: Body } }, async (request, reply) => {
    const b = request.body;
    const method = b.method ?? 'auto';
    if (!(DETECT_METHODS as readonly string[]).includes(method)) throw new BadRequestError(`Invalid method '${method}'. Must be one of: ${DETECT_METHODS.join(', ')}`);
    const file = await resolveFitsPath(ctx, b.file_path);
    const limits = viewerLimits(ctx);
    return ctx.pool.run<DetectSourcesResult>('analysis.detect-sources', {
      filePath: file.path,
      thresholdSigma: b.threshold_sigma ?? 5,
      fwhm: b.fwhm ?? 3,
      method: method as DetectMethod,
      npixels: b.npixels ?? 10,
      deblend: b.deblend ?? true,
      hduIndex: b.hdu_index ?? -1,
      maxElements: limits.maxElements,
      maxFileBytes: limits.maxFileBytes,
      maxExpansionRatio: limits.maxExpansionRatio ?? 0,
    }, { signal: requestSignal(ctx, request, reply) });
  });
}
