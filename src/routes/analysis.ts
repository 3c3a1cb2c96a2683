/**
 * POST /analysis/region-statistics (contract §1.2) with the defects fixed: rectangle, ellipse and
 * polygon regions, an explicit `y_origin` ('bottom' = numpy rows as the contract, the default;
 * 'top' = rows counted from the top edge as a browser draws), cube `slice_index`, size guards,
 * and the work done in the worker pool.
 */
import { Type } from 'typebox';
import type { App } from '../server.js';
import type { EngineContext } from '../context.js';
import { BadRequestError } from '../errors.js';
import type { Region, RegionStats } from '../analysis/stats/region.js';
import { resolveFitsPath, viewerLimits } from './viewer-support.js';
import { requestSignal } from './request-signal.js';
import { FilePath, PIXEL } from './input-limits.js';

const Rectangle = Type.Object({ x: Type.Integer({ minimum: 0, maximum: PIXEL.maximum }), y: Type.Integer({ minimum: 0, maximum: PIXEL.maximum }), width: Type.Integer({ exclusiveMinimum: 0, maximum: PIXEL.maximum }), height: Type.Integer({ exclusiveMinimum: 0, maximum: PIXEL.maximum }) });
const Ellipse = Type.Object({ cx: Type.Number({ minimum: 0, maximum: PIXEL.maximum }), cy: Type.Number({ minimum: 0, maximum: PIXEL.maximum }), rx: Type.Number({ exclusiveMinimum: 0, maximum: PIXEL.maximum }), ry: Type.Number({ exclusiveMinimum: 0, maximum: PIXEL.maximum }) });
const Polygon = Type.Object({
  points: Type.Array(Type.Unsafe<[number, number]>(Type.Array(Type.Number(PIXEL), { minItems: 2, maxItems: 2 })), { minItems: 3, maxItems: 10000, description: '[[x, y], ...] vertices in pixel coordinates (pixel centres at integers)' }),
});

const Body = Type.Object({
  file_path: FilePath(),
  region_type: Type.Union([Type.Literal('rectangle'), Type.Literal('ellipse'), Type.Literal('polygon')]),
  rectangle: Type.Optional(Type.Union([Rectangle, Type.Null()])),
  ellipse: Type.Optional(Type.Union([Ellipse, Type.Null()])),
  polygon: Type.Optional(Type.Union([Polygon, Type.Null()])),
  hdu_index: Type.Optional(Type.Integer({ default: -1, minimum: -1, maximum: 100_000 })),
  slice_index: Type.Optional(Type.Union([Type.Integer({ minimum: -1, maximum: 1_000_000_000 }), Type.Null()])),
  y_origin: Type.Optional(Type.Union([Type.Literal('bottom'), Type.Literal('top')], { default: 'bottom', description: "'bottom': y is the numpy row (row 0 = FITS row 1), as the original contract; 'top': y counts from the top row" })),
});

const Stats = Type.Object({
  mean: Type.Number(),
  median: Type.Number(),
  std: Type.Number(),
  min: Type.Number(),
  max: Type.Number(),
  sum: Type.Number(),
  pixel_count: Type.Integer(),
  y_origin: Type.String(),
});

export async function analysisRoutes(app: App, ctx: EngineContext): Promise<void> {
  app.post('/analysis/region-statistics', { schema: { summary: 'Statistics of the finite pixels in a rectangle, ellipse or polygon', tags: ['analysis'], body: Body, response: { 200: Stats } } }, async (request, reply) => {
    const body = request.body;
    let region: Region;
    if (body.region_type === 'rectangle') {
      if (!body.rectangle) throw new BadRequestError("Rectangle region is required when region_type is 'rectangle'");
      region = { type: 'rectangle', ...body.rectangle };
    } else if (body.region_type === 'ellipse') {
      if (!body.ellipse) throw new BadRequestError("Ellipse region is required when region_type is 'ellipse'");
      region = { type: 'ellipse', ...body.ellipse };
    } else {
      if (!body.polygon) throw new BadRequestError("Polygon region is required when region_type is 'polygon'");
      region = { type: 'polygon', points: body.polygon.points };
    }
    const file = await resolveFitsPath(ctx, body.file_path);
    const limits = viewerLimits(ctx);
    const yOrigin = body.y_origin ?? 'bottom';
    const r = await ctx.pool.run<RegionStats>('analysis.region-statistics', {
      filePath: file.path,
      region,
      yOrigin,
      hduIndex: body.hdu_index ?? -1,
      sliceIndex: body.slice_index ?? null,
      maxElements: limits.maxElements,
      maxFileBytes: limits.maxFileBytes,
      maxExpansionRatio: limits.maxExpansionRatio ?? 0,
    }, { signal: requestSignal(ctx, request, reply) });
    return { mean: r.mean, median: r.median, std: r.std, min: r.min, max: r.max, sum: r.sum, pixel_count: r.pixel_count, y_origin: yOrigin };
  });
}
