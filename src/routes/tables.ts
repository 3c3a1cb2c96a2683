/**
 * The upstream table viewer routes (contract section 4) over FITS tables and ECSV files alike:
 * GET /analysis/table-info, /analysis/table-data (search -> sort -> page in bounded memory) and
 * /analysis/spectral-data. Every table is decoded in the worker pool.
 */
import { Type } from 'typebox';
import type { App } from '../server.js';
import type { EngineContext } from '../context.js';
import type { CubeSpectrum, SpectralData, TableInfo, TablePage } from '../tables/index.js';
import { etagOf, notModified, resolveFitsPath, viewerLimits } from './viewer-support.js';
import { requestSignal } from './request-signal.js';

const FilePath = Type.String({ maxLength: 1024, description: 'FITS or .ecsv file, relative to DATA_DIR' });

const TableDataQuery = Type.Object({
  file_path: FilePath,
  hdu_index: Type.Optional(Type.Integer({ default: 0, minimum: -1_000_000, maximum: 1_000_000, description: 'table HDU (0 for an ECSV file)' })),
  page: Type.Optional(Type.Integer({ default: 0, minimum: -1_000_000_000, maximum: 1_000_000_000, description: '0-based; past the end -> the last page' })),
  page_size: Type.Optional(Type.Integer({ default: 100, minimum: -1_000_000, maximum: 1_000_000, description: '1-500' })),
  sort_column: Type.Optional(Type.String({ maxLength: 256 })),
  sort_direction: Type.Optional(Type.String({ maxLength: 8, default: 'asc', description: "'desc', or ascending" })),
  search: Type.Optional(Type.String({ maxLength: 200, description: 'case-insensitive substring of any cell as printed' })),
});

const Units = {
  flux_unit: Type.Optional(Type.String({ maxLength: 32, description: 'convert flux columns to MJy/sr, Jy, ABmag or erg/s/cm2/Angstrom' })),
  wavelength_unit: Type.Optional(Type.String({ maxLength: 16, description: 'convert wavelengths to um, nm or Angstrom' })),
};

const SpectralQuery = Type.Object({
  file_path: FilePath,
  hdu_index: Type.Optional(Type.Integer({ minimum: -1_000_000, maximum: 1_000_000, description: 'table HDU; default 1 (FITS) or 0 (ECSV)' })),
  ...Units,
});

const CubeSpectrumQuery = Type.Object({
  file_path: FilePath,
  hdu: Type.Optional(Type.String({ maxLength: 72, description: 'cube HDU index or EXTNAME (default SCI, else the first 3-axis image)' })),
  x: Type.Number({ minimum: -1e9, maximum: 1e9, description: '0-based column of the first pixel' }),
  y: Type.Number({ minimum: -1e9, maximum: 1e9, description: '0-based row (numpy order, row 0 = FITS row 1)' }),
  width: Type.Optional(Type.Integer({ default: 1, minimum: 1, maximum: 100_000 })),
  height: Type.Optional(Type.Integer({ default: 1, minimum: 1, maximum: 100_000 })),
  reduce: Type.Optional(Type.Union([Type.Literal('sum'), Type.Literal('mean')], { default: 'sum', description: 'of the finite pixels in each slice' })),
  ...Units,
});

export async function tableRoutes(app: App, ctx: EngineContext): Promise<void> {
  const options = () => ({ maxFileBytes: viewerLimits(ctx).maxFileBytes, maxExpansionRatio: viewerLimits(ctx).maxExpansionRatio ?? 0 });

  app.get('/analysis/table-info', {
    schema: { summary: 'The tables of a FITS file (every table HDU) or an ECSV file (one table): columns with dtype, unit, format, shape', tags: ['analysis'], querystring: Type.Object({ file_path: FilePath }) },
  }, async (request, reply) => {
    const file = await resolveFitsPath(ctx, request.query.file_path);
    const etag = etagOf('table-info', file, {});
    if (notModified(request, reply, etag)) return reply;
    const info = await ctx.pool.run<TableInfo>('tables.info', { path: file.path, ...options() }, { signal: requestSignal(ctx, request, reply) });
    return reply.header('etag', etag).send(info);
  });

  app.get('/analysis/table-data', {
    schema: { summary: 'One page of a table: optional case-insensitive search over the printed cells, stable sort by any column, pages clamped to the last', tags: ['analysis'], querystring: TableDataQuery },
  }, async (request, reply) => {
    const q = request.query;
    const file = await resolveFitsPath(ctx, q.file_path);
    const params = { hduIndex: q.hdu_index ?? 0, page: q.page ?? 0, pageSize: q.page_size ?? 100, sortColumn: q.sort_column ?? null, sortDirection: q.sort_direction ?? 'asc', search: q.search ?? null };
    const etag = etagOf('table-data', file, params);
    if (notModified(request, reply, etag)) return reply;
    const page = await ctx.pool.run<TablePage>('tables.page', { path: file.path, ...options(), ...params }, { signal: requestSignal(ctx, request, reply) });
    return reply.header('etag', etag).send(page);
  });

  app.get('/analysis/spectral-data', {
    schema: { summary: 'A 1-D spectrum from a table (x1d/c1d FITS, or ECSV): the known columns, wavelength first, with optional unit conversion', tags: ['analysis'], querystring: SpectralQuery },
  }, async (request, reply) => {
    const q = request.query;
    const file = await resolveFitsPath(ctx, q.file_path);
    const params = { hduIndex: q.hdu_index ?? null, fluxUnit: q.flux_unit ?? null, wavelengthUnit: q.wavelength_unit ?? null };
    const etag = etagOf('spectral-data', file, params);
    if (notModified(request, reply, etag)) return reply;
    const r = await ctx.pool.run<SpectralData>('tables.spectral-data', { path: file.path, ...options(), ...params }, { signal: requestSignal(ctx, request, reply) });
    return reply.header('etag', etag).send(r);
  });

  app.get('/analysis/cube-spectrum', {
    schema: { summary: 'The spectrum of a pixel or a rectangle of a spectral cube (_s3d): NaN-aware sum or mean per slice, wavelengths from the WCS (linear, -LOG, -TAB)', tags: ['analysis'], querystring: CubeSpectrumQuery },
  }, async (request, reply) => {
    const q = request.query;
    const file = await resolveFitsPath(ctx, q.file_path);
    const params = { hdu: q.hdu ?? null, x: q.x, y: q.y, width: q.width ?? 1, height: q.height ?? 1, reduce: q.reduce ?? 'sum', fluxUnit: q.flux_unit ?? null, wavelengthUnit: q.wavelength_unit ?? null };
    const etag = etagOf('cube-spectrum', file, params);
    if (notModified(request, reply, etag)) return reply;
    const r = await ctx.pool.run<CubeSpectrum>('tables.cube-spectrum', { path: file.path, ...params, limits: viewerLimits(ctx) }, { signal: requestSignal(ctx, request, reply) });
    return reply.header('etag', etag).send(r);
  });
}
