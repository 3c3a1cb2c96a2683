/**
 * The upstream library routes with its camelCase shapes (upstream-latest §7.3): GET /api/jwstdata
 * (with paging and filters, which upstream lacks), thumbnail, check-availability, and the viewer
 * renders by record id (forwarded to the viewer routes with the record's path, so every guard,
 * cache and ETag is theirs). Plus GET /api/health in the .NET HealthChecks shape, and
 * /api/jwstdata/{id}/lineage. Visibility comes from `request.viewer` (src/routes/access.ts).
 */
import { Type } from 'typebox';
import type { App } from '../server.js';
import type { EngineContext } from '../context.js';
import { BadRequestError, NotFoundError } from '../errors.js';
import { CALIBRATION_LEVELS, InvalidCursorError, canEdit, type CalibrationLevel, type LibraryRecord } from '../library/index.js';
import { forward, relay } from './forward.js';

export const NOT_FOUND = 'The requested data was not found.';
const Id = Type.Object({ id: Type.String({ maxLength: 64 }) });

/** The upstream JwstDataModel (frontend/src/types/JwstDataTypes.ts), filled from our record. */
export function toDto(r: LibraryRecord) {
  return {
    id: r.dataId,
    fileName: r.fileName,
    dataType: r.dataType,
    uploadDate: r.createdAt,
    description: r.description ?? undefined,
    metadata: { ...r.metadata, source: r.source, jobId: r.jobId, sha256: r.sha256, ra: r.ra, dec: r.dec, footprint: r.footprint },
    fileSize: r.sizeBytes,
    processingStatus: r.missing ? 'missing' : 'completed',
    tags: r.jobId ? ['job'] : r.source === 'download' ? ['mast'] : [],
    userId: r.owner ?? undefined,
    isPublic: r.visibility === 'public',
    isArchived: r.archived,
    imageInfo: {
      width: Number(String(r.metadata.shape ?? '').split('x')[0] ?? 0) || 0,
      height: Number(String(r.metadata.shape ?? '').split('x')[1] ?? 0) || 0,
      targetName: r.target ?? undefined,
      filter: r.filter ?? undefined,
      instrument: r.instrument ?? undefined,
      observationDate: typeof r.metadata.dateObs === 'string' ? r.metadata.dateObs : undefined,
      exposureTime: typeof r.metadata.exposureTime === 'number' ? r.metadata.exposureTime : undefined,
      calibrationLevel: r.calibrationLevel ? ({ L1: 1, L2a: 2, L2b: 2, L3: 3 } as const)[r.calibrationLevel] : undefined,
    },
    processingResults: [],
    processingLevel: r.calibrationLevel ?? 'unknown',
    observationBaseId: r.observationId ?? undefined,
    parentId: r.inputIds[0],
    derivedFrom: [...r.inputIds],
    isViewable: r.dataType === 'image' || r.dataType === 'cube',
    hasThumbnail: r.hasThumbnail || r.dataType === 'image' || r.dataType === 'cube',
    // Our additions: where the file is (what file_path takes), lineage and ownership.
    filePath: r.path,
    jobId: r.jobId ?? undefined,
  };
}

const ListQuery = Type.Object({
  includeArchived: Type.Optional(Type.Boolean({ default: false })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 1000 })),
  cursor: Type.Optional(Type.String({ maxLength: 512, description: 'X-Next-Cursor of the previous page' })),
  level: Type.Optional(Type.String({ maxLength: 64, description: 'comma list of L1, L2a, L2b, L3' })),
  instrument: Type.Optional(Type.String({ maxLength: 64 })),
  filter: Type.Optional(Type.String({ maxLength: 64 })),
  target: Type.Optional(Type.String({ maxLength: 200, description: 'case-insensitive prefix' })),
  observationId: Type.Optional(Type.String({ maxLength: 200 })),
  dataType: Type.Optional(Type.Union([Type.Literal('image'), Type.Literal('cube'), Type.Literal('spectrum'), Type.Literal('table'), Type.Literal('other')])),
  mine: Type.Optional(Type.Boolean({ description: "only the caller's own records" })),
  isPublic: Type.Optional(Type.Boolean({ description: 'only public (true) or only private (false) records' })),
  withTotal: Type.Optional(Type.Boolean({ default: false, description: 'X-Total-Count header' })),
});

const AvailabilityBody = Type.Object({
  observationIds: Type.Array(Type.String({ maxLength: 200 }), { maxItems: 1000 }),
});

/** camelCase query keys of the upstream facade to the viewer routes' snake_case. */
export function snakeQuery(query: Record<string, unknown>): URLSearchParams {
  const out = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || k === 'access_token' || k === 'file_path' || k === 'data_id') continue;
    out.set(k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), String(v));
  }
  return out;
}

export async function jwstDataRoutes(app: App, ctx: EngineContext): Promise<void> {
  app.get('/api/health', {
    schema: { summary: 'Health in the .NET HealthChecks shape (upstream §7.2); 503 when unhealthy (upstream answers 200)' },
  }, async (_request, reply) => {
    let db = { name: 'database', status: 'Healthy', description: `${ctx.library.db.kind} ping ok` };
    try {
      await ctx.library.db.ping();
    } catch {
      // No exception text to clients (upstream echoes it).
      db = { name: 'database', status: 'Unhealthy', description: `${ctx.library.db.kind} did not answer` };
    }
    const checks = [{ name: 'processing_engine', status: 'Healthy', description: 'Processing engine is reachable' }, db];
    const status = checks.every((c) => c.status === 'Healthy') ? 'Healthy' : 'Unhealthy';
    return reply.status(status === 'Healthy' ? 200 : 503).send({ status, checks });
  });

  app.get('/api/jwstdata', {
    schema: { summary: 'Library records visible to the caller, newest first, as upstream JwstDataModel objects; paged (X-Next-Cursor)', querystring: ListQuery },
  }, async (request, reply) => {
    const q = request.query;
    const levels = q.level ? q.level.split(',').map((l) => l.trim()).filter(Boolean) : [];
    const bad = levels.filter((l) => !(CALIBRATION_LEVELS as readonly string[]).includes(l));
    if (bad.length) throw new BadRequestError(`Unknown level: ${bad.join(', ')} (expected ${CALIBRATION_LEVELS.join(', ')})`);
    try {
      const page = await ctx.library.repo.list({
        viewer: request.viewer,
        mine: q.mine,
        visibility: q.isPublic === undefined ? undefined : q.isPublic ? 'public' : 'private',
        levels: levels as CalibrationLevel[],
        instrument: q.instrument,
        filter: q.filter,
        target: q.target,
        observationId: q.observationId,
        dataType: q.dataType,
        includeArchived: q.includeArchived,
        limit: q.limit ?? 1000,
        cursor: q.cursor,
        withTotal: q.withTotal,
      });
      if (page.nextCursor) reply.header('x-next-cursor', page.nextCursor);
      if (page.total !== null) reply.header('x-total-count', String(page.total));
      return page.records.map(toDto);
    } catch (err) {
      if (err instanceof InvalidCursorError) throw new BadRequestError('Invalid cursor');
      throw err;
    }
  });

  app.get('/api/jwstdata/:id', { schema: { summary: 'One record', params: Id } }, async (request) => {
    return toDto(await ctx.library.resolve(request.params.id, request.viewer, NOT_FOUND));
  });

  app.get('/api/jwstdata/:id/lineage', {
    schema: { summary: 'What a file was made from (job, input records) and what was made from it', params: Id },
  }, async (request) => {
    const record = await ctx.library.resolve(request.params.id, request.viewer, NOT_FOUND);
    const inputs = [];
    for (const id of record.inputIds) {
      const input = await ctx.library.resolve(id, request.viewer).catch(() => undefined);
      inputs.push(input ? { id, fileName: input.fileName, processingLevel: input.calibrationLevel ?? 'unknown' } : { id, fileName: null, processingLevel: null });
    }
    const outputs = await ctx.library.repo.derivedFrom(record.dataId, request.viewer);
    return {
      id: record.dataId,
      jobId: record.jobId,
      source: record.source,
      inputs,
      outputs: outputs.map((o) => ({ id: o.dataId, fileName: o.fileName, processingLevel: o.calibrationLevel ?? 'unknown', jobId: o.jobId })),
    };
  });

  app.patch('/api/jwstdata/:id', {
    schema: {
      summary: 'Change visibility or archive a record (owner or Admin)',
      params: Id,
      body: Type.Object({ isPublic: Type.Optional(Type.Boolean()), isArchived: Type.Optional(Type.Boolean()), description: Type.Optional(Type.String({ maxLength: 200 })) }),
    },
  }, async (request) => {
    const record = await ctx.library.resolve(request.params.id, request.viewer, NOT_FOUND);
    if (!canEdit(request.viewer, record)) throw new NotFoundError(NOT_FOUND);
    const b = request.body;
    const updated = await ctx.library.repo.update(record.dataId, {
      visibility: b.isPublic === undefined ? undefined : b.isPublic ? 'public' : 'private',
      archived: b.isArchived,
      description: b.description,
    });
    return toDto(updated ?? record);
  });

  app.post('/api/jwstdata/scan', { schema: { summary: 'Rescan DATA_DIR for files placed by hand or deleted (Admin when users are on)' } }, async (request) => {
    if (request.viewer.kind === 'anonymous' || (request.viewer.kind === 'user' && !request.viewer.admin)) {
      const { AuthError, INSUFFICIENT_ROLE } = await import('../auth/index.js');
      throw new AuthError(INSUFFICIENT_ROLE, 403);
    }
    return ctx.library.scan();
  });

  app.get('/api/jwstdata/:id/thumbnail', { schema: { summary: 'Stored PNG thumbnail; 204 when the record has none', params: Id } }, async (request, reply) => {
    const record = await ctx.library.resolve(request.params.id, request.viewer, NOT_FOUND);
    const thumb = await ctx.library.thumbnail(record);
    if (!thumb) return reply.status(204).send();
    return reply.type(thumb.mediaType).header('cache-control', 'public, max-age=86400').send(Buffer.from(thumb.bytes));
  });

  app.post('/api/jwstdata/check-availability', {
    schema: { summary: 'Which observations are already in the library (non-archived L2a/L2b/L3 files present on disk)', body: AvailabilityBody },
  }, async (request) => {
    const ids = [...new Set(request.body.observationIds.map((s) => s.trim()).filter(Boolean))];
    if (ids.length === 0) throw new BadRequestError('At least one observation ID is required');
    if (ids.length > 50) throw new BadRequestError('Too many observation IDs: at most 50 per request');
    const found = await ctx.library.repo.availability(ids, request.viewer);
    const results: Record<string, { available: boolean; dataIds: string[]; filter?: string; levels: string[]; bestLevel: string | null }> = {};
    for (const [obs, a] of found) {
      const best = [...a.levels].sort((x, y) => CALIBRATION_LEVELS.indexOf(y) - CALIBRATION_LEVELS.indexOf(x))[0] ?? null;
      results[obs] = { available: true, dataIds: a.dataIds, ...(a.filter ? { filter: a.filter } : {}), levels: a.levels, bestLevel: best };
    }
    return { results };
  });

  for (const kind of ['preview', 'histogram', 'pixeldata', 'cubeinfo'] as const) {
    app.get(`/api/jwstdata/:id/${kind}`, {
      schema: { summary: `The ${kind} of a record (camelCase parameters, forwarded to GET /${kind}/{data_id})`, params: Id },
    }, async (request, reply) => {
      const record = await ctx.library.resolve(request.params.id, request.viewer, NOT_FOUND);
      const query = snakeQuery(request.query as Record<string, unknown>);
      query.set('file_path', record.path);
      return relay(reply, await forward(app, ctx, request, reply, 'GET', `/${kind}/${record.dataId}?${query.toString()}`));
    });
  }
}
