/**
 * The upstream table viewer routes (contract section 4) over FITS tables and ECSV files alike:
 * GET /analysis/table-info, /analysis/table-data (search -> sort -> page in bounded memory) and
 * /analysis/spectral-data. Every table is decoded in the worker pool.
 */
import { Type } from 'typebox';
import type { App } from '../server.js';
import type { EngineContext } from '../context.js';
import type { TableInfo, TablePage } from '../tables/index.js';
import { etagOf, notModified, resolveFitsPath, viewerLimits } from './viewer-support.js';

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

export async function tableRoutes(app: App, ctx: EngineContext): Promise<void> {
  const options = () => ({ maxFileBytes: viewerLimits(ctx).maxFileBytes });

  app.get('/analysis/table-info', {
    schema: { summary: 'The tables of a FITS file (every table HDU) or an ECSV file (one table): columns with dtype, unit, format, shape', tags: ['analysis'], querystring: Type.Object({ file_path: FilePath }) },
  }, async (request, reply) => {
    const file = await resolveFitsPath(ctx, request.query.file_path);
    const etag = etagOf('table-info', file, {});
    if (notModified(request, reply, etag)) return reply;
    const info = await ctx.pool.run<TableInfo>('tables.info', { path: file.path, ...options() });
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
    const page = await ctx.pool.run<TablePage>('tables.page', { path: file.path, ...options(), ...params });
    return reply.header('etag', etag).send(page);
  });
}
