/**
 * Upstream's camelCase table facades (upstream-latest §4, §7.3), in public and full mode:
 * GET /api/analysis/table-info, /table-data and /spectral-data by `dataId` (a library record the
 * caller may see: public records only in public mode; anything else 404 "The requested data was
 * not found."), forwarded to the /analysis/* table routes with the record's path.
 */
import { Type } from 'typebox';
import type { App } from '../server.js';
import type { EngineContext } from '../context.js';
import { forward, relay } from './forward.js';
import { NOT_FOUND, snakeQuery } from './jwstdata.js';

const DataId = Type.String({ minLength: 1, maxLength: 64, description: 'library record id' });
const HduIndex = Type.Optional(Type.Integer({ minimum: -1_000_000, maximum: 1_000_000 }));

const Queries = {
  'table-info': Type.Object({ dataId: DataId }),
  'table-data': Type.Object({
    dataId: DataId,
    hduIndex: HduIndex,
    page: Type.Optional(Type.Integer({ minimum: -1_000_000_000, maximum: 1_000_000_000 })),
    pageSize: Type.Optional(Type.Integer({ minimum: -1_000_000, maximum: 1_000_000, description: '1-500' })),
    sortColumn: Type.Optional(Type.String({ maxLength: 256 })),
    sortDirection: Type.Optional(Type.String({ maxLength: 8 })),
    search: Type.Optional(Type.String({ maxLength: 200 })),
  }),
  'spectral-data': Type.Object({ dataId: DataId, hduIndex: HduIndex }),
};

export async function apiTableRoutes(app: App, ctx: EngineContext): Promise<void> {
  for (const [kind, querystring] of Object.entries(Queries)) {
    app.get(`/api/analysis/${kind}`, {
      schema: { tags: ['analysis'], summary: `GET /analysis/${kind} of a library record by dataId (camelCase facade)`, querystring },
    }, async (request, reply) => {
      const q = request.query as Record<string, unknown> & { dataId: string };
      const record = await ctx.library.resolve(q.dataId, request.viewer, NOT_FOUND);
      const query = snakeQuery({ ...q, dataId: undefined });
      query.set('file_path', record.path);
      return relay(reply, await forward(app, ctx, request, reply, 'GET', `/analysis/${kind}?${query.toString()}`));
    });
  }
}
