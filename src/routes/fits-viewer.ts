/**
 * FITS contents over HTTP (asked for after the original engine): GET /fits/info, /fits/header,
 * /fits/table (rows as JSON, e.g. x1d spectra) and /fits/cutout (a FITS file whose CRPIX moved with
 * the cutout). File reading runs in the worker pool.
 */
import { basename } from 'node:path';
import { Type } from 'typebox';
import type { App } from '../server.js';
import type { EngineContext } from '../context.js';
import { BadRequestError } from '../errors.js';
import type { CutoutResult, FitsInfo } from '../imaging/viewer/index.js';
import { etagOf, notModified, resolveFitsPath, viewerLimits } from './viewer-support.js';
import { requestSignal } from './request-signal.js';
import { ANY_INT, FilePath } from './input-limits.js';

const HduParam = Type.Optional(Type.String({ maxLength: 72, description: '0-based HDU index or EXTNAME' }));

export const MAX_TABLE_ROWS = 10_000;

export async function fitsViewerRoutes(app: App, ctx: EngineContext): Promise<void> {
  app.get('/fits/info', {
    schema: { summary: 'Every HDU: index, name, type, dimensions, BITPIX and header cards', querystring: Type.Object({ file_path: FilePath() }) },
  }, async (request, reply) => {
    const file = await resolveFitsPath(ctx, request.query.file_path);
    const etag = etagOf('fits-info', file, {});
    if (notModified(request, reply, etag)) return reply;
    const info = await ctx.pool.run<FitsInfo>('viewer.fits-info', { path: file.path, limits: viewerLimits(ctx) }, { signal: requestSignal(ctx, request, reply) });
    return reply.header('etag', etag).send({ file_path: request.query.file_path, ...info });
  });

  app.get('/fits/header', {
    schema: { summary: 'One HDU header (cards and 80-column text); default the primary HDU', querystring: Type.Object({ file_path: FilePath(), hdu: HduParam }) },
  }, async (request, reply) => {
    const file = await resolveFitsPath(ctx, request.query.file_path);
    const etag = etagOf('fits-header', file, { hdu: request.query.hdu });
    if (notModified(request, reply, etag)) return reply;
    const header = await ctx.pool.run<object>('viewer.fits-header', { path: file.path, hdu: request.query.hdu, limits: viewerLimits(ctx) }, { signal: requestSignal(ctx, request, reply) });
    return reply.header('etag', etag).send({ file_path: request.query.file_path, ...header });
  });

  app.get('/fits/table', {
    schema: {
      summary: 'Rows of a BINTABLE or ASCII TABLE as JSON (default: the first table HDU)',
      querystring: Type.Object({
        file_path: FilePath(),
        hdu: HduParam,
        columns: Type.Optional(Type.String({ maxLength: 65_536, description: 'comma-separated column names or 0-based indices' })),
        offset: Type.Optional(Type.Integer({ default: 0, ...ANY_INT })),
        limit: Type.Optional(Type.Integer({ default: 100, ...ANY_INT, description: `1-${MAX_TABLE_ROWS}` })),
      }),
    },
  }, async (request, reply) => {
    const q = request.query;
    const offset = q.offset ?? 0;
    const limit = q.limit ?? 100;
    if (offset < 0) throw new BadRequestError('Offset must be 0 or greater');
    if (limit < 1 || limit > MAX_TABLE_ROWS) throw new BadRequestError(`Limit must be between 1 and ${MAX_TABLE_ROWS}`);
    const columns = q.columns ? q.columns.split(',').map((c) => c.trim()).filter(Boolean) : undefined;
    const file = await resolveFitsPath(ctx, q.file_path);
    const etag = etagOf('fits-table', file, { hdu: q.hdu, columns, offset, limit });
    if (notModified(request, reply, etag)) return reply;
    const rows = await ctx.pool.run<object>('viewer.fits-table', { path: file.path, hdu: q.hdu, columns, offset, limit, limits: viewerLimits(ctx) }, { signal: requestSignal(ctx, request, reply) });
    return reply.header('etag', etag).send({ file_path: q.file_path, ...rows });
  });

  app.get('/fits/cutout', {
    schema: {
      summary: 'A rectangle of an image HDU as a FITS file, WCS kept right (CRPIX shifted)',
      querystring: Type.Object({
        file_path: FilePath(),
        hdu: HduParam,
        x: Type.Integer({ ...ANY_INT, description: '0-based first column (FITS pixel x+1)' }),
        y: Type.Integer({ ...ANY_INT, description: '0-based first row (FITS row y+1, counted from the bottom)' }),
        width: Type.Integer(ANY_INT),
        height: Type.Integer(ANY_INT),
        slice_index: Type.Optional(Type.Integer({ default: -1, ...ANY_INT, description: 'plane of a cube (-1 = middle)' })),
      }),
    },
  }, async (request, reply) => {
    const q = request.query;
    if (q.width < 1) throw new BadRequestError('Width must be at least 1 pixel');
    if (q.height < 1) throw new BadRequestError('Height must be at least 1 pixel');
    if ((q.slice_index ?? -1) < -1) throw new BadRequestError('Slice index must be -1 or greater');
    const file = await resolveFitsPath(ctx, q.file_path);
    const r = await ctx.pool.run<CutoutResult>('viewer.fits-cutout', {
      path: file.path,
      hdu: q.hdu,
      x: q.x,
      y: q.y,
      width: q.width,
      height: q.height,
      sliceIndex: q.slice_index ?? -1,
      limits: viewerLimits(ctx),
    }, { signal: requestSignal(ctx, request, reply) });
    const name = basename(q.file_path).replace(/\.fits?(\.gz|\.bz2|\.z)?$/i, '').replace(/[^A-Za-z0-9._-]/g, '_');
    return reply
      .type('application/fits')
      .header('content-disposition', `attachment; filename="${name}_cutout_${r.x}_${r.y}_${r.width}x${r.height}.fits"`)
      .headers({ 'x-cutout-x': String(r.x), 'x-cutout-y': String(r.y), 'x-cutout-width': String(r.width), 'x-cutout-height': String(r.height), 'x-cutout-hdu': String(r.hdu) })
      .send(Buffer.from(r.fits.buffer, r.fits.byteOffset, r.fits.byteLength));
  });
}
