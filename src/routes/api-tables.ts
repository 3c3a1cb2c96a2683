/**
 * Upstream's camelCase table facades (upstream-latest §4, §7.3), in public and full mode:
 * GET /api/analysis/table-info, /table-data and /spectral-data by `dataId` (a library record the
 * caller may see: public records only in public mode; anything else 404 "The requested data was
 * not found."), forwarded to the /analysis/* table routes with the record's path. The answers
 * are camelCased as upstream's frontend types expect (TableInfoResponse, TableDataResponse,
 * SpectralDataResponse), except the column-name keys of `rows` and `data`.
 */
import { Type } from 'typebox';
import type { App } from '../server.js';
import type { EngineContext } from '../context.js';
import { forward, relay, withErrorField } from './forward.js';
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
      onSend: withErrorField,
    }, async (request, reply) => {
      const q = request.query as Record<string, unknown> & { dataId: string };
      const record = await ctx.library.resolve(q.dataId, request.viewer, NOT_FOUND);
      const query = snakeQuery({ ...q, dataId: undefined });
      query.set('file_path', record.path);
      const forwarded = await forward(app, ctx, request, reply, 'GET', `/analysis/${kind}?${query.toString()}`);
      if (forwarded.statusCode !== 200) return relay(reply, forwarded);
      const body = Buffer.from(JSON.stringify(camelKeys(JSON.parse(forwarded.rawPayload.toString('utf8')))));
      return relay(reply, { ...forwarded, rawPayload: body });
    });
  }
}

/** Keys whose values are keyed by column name (left as they are). */
const COLUMN_KEYED = new Set(['rows', 'data']);

/** snake_case keys to camelCase, recursively; the column-keyed parts keep their keys. */
export function camelKeys(value: unknown, columnKeyed = false): unknown {
  if (Array.isArray(value)) return value.map((v) => camelKeys(v, columnKeyed));
  if (value === null || typeof value !== 'object' || columnKeyed) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase()), camelKeys(v, COLUMN_KEYED.has(k))]));
}
