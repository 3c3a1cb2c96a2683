/**
 * Upstream's camelCase MAST search facades (upstream-latest §7.3), served in public mode and in
 * full mode: POST /api/mast/search/{target,coordinates,observation,program} and
 * /api/mast/whats-new (our /mast/search/recent). Field errors are 400 (the snake_case routes say
 * 422), target names go through the featured targets' aliases ("Southern Ring Nebula" ->
 * "NGC 3132"), and `filters` is stripped as upstream does. The search itself is the
 * /mast/search/* route, forwarded to, so its limits, cache and error answers apply.
 */
import { Type, type Static, type TSchema } from 'typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../server.js';
import type { EngineContext } from '../context.js';
import { BadRequestError } from '../errors.js';
import { FEATURED_TARGETS } from '../discovery/curated.js';
import { nullable } from './sky-support.js';
import { fieldErrorAs400, forward, relay, withErrorField } from './forward.js';

const Text = (max: number) => Type.String({ maxLength: max });
const CalibLevel = nullable(Type.Array(Type.Integer({ minimum: 0, maximum: 4 }), { maxItems: 5 }));
const Radius = nullable(Type.Number({ exclusiveMinimum: 0, maximum: 10, description: 'degrees, (0, 10]; default 0.2' }));
const Limit = nullable(Type.Integer({ minimum: 1, maximum: 5000 }));
const Offset = nullable(Type.Integer({ minimum: 0, maximum: 100_000_000 }));
// Accepted and dropped, as upstream does (bounded like any other field).
const Filters = nullable(Type.Object({}, { additionalProperties: true, maxProperties: 16 }));
const Angle = Type.Union([Type.Number({ minimum: -1e6, maximum: 1e6 }), Text(40)]);

const Bodies = {
  target: Type.Object({ targetName: Type.String({ minLength: 1, maxLength: 200 }), radius: Radius, calibLevel: CalibLevel, filters: Filters, limit: Limit, offset: Offset }),
  coordinates: Type.Object({ ra: Angle, dec: Angle, radius: Radius, calibLevel: CalibLevel, filters: Filters, limit: Limit, offset: Offset }),
  observation: Type.Object({ obsId: Type.String({ minLength: 1, maxLength: 128 }), calibLevel: CalibLevel, filters: Filters, limit: Limit, offset: Offset }),
  program: Type.Object({ programId: Type.Union([Type.Integer({ minimum: 0, maximum: 99_999 }), Type.String({ minLength: 1, maxLength: 7 })]), calibLevel: CalibLevel, filters: Filters, limit: Limit, offset: Offset }),
  whatsNew: Type.Object({
    daysBack: nullable(Type.Integer({ minimum: 1, maximum: 365 })),
    instrument: nullable(Text(10)),
    limit: nullable(Type.Integer({ minimum: 1, maximum: 200 })),
    offset: Offset,
  }),
};

const squash = (s: string) => s.trim().toLowerCase().replace(/[\s_-]+/g, '');

/** A featured target's name or catalog id -> the name MAST is searched with (else the name itself). */
export function resolveTargetAlias(name: string): string {
  const key = squash(name);
  const hit = FEATURED_TARGETS.find((t) => squash(t.name) === key || squash(t.catalogId) === key);
  return hit ? hit.mastSearchParams.target : name.trim();
}

/** camelCase keys to snake_case, `filters` and nulls dropped. */
function snakeBody(body: Record<string, unknown>, rename: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) {
    if (k === 'filters' || v === null || v === undefined) continue;
    out[rename[k] ?? k] = v;
  }
  return out;
}

const RENAME = { targetName: 'target_name', calibLevel: 'calib_level', obsId: 'obs_id', programId: 'program_id', daysBack: 'days_back' };

export async function apiMastRoutes(app: App, ctx: EngineContext): Promise<void> {
  const facade = <S extends TSchema>(path: string, target: string, schema: S, summary: string, prepare: (b: Static<S>) => Record<string, unknown> = (b) => b as Record<string, unknown>) => {
    app.post(path, { schema: { tags: ['mast'], summary, body: schema }, attachValidation: true, onSend: withErrorField }, async (request: FastifyRequest, reply: FastifyReply) => {
      if (request.validationError) throw new BadRequestError(`Invalid request: ${request.validationError.message}`);
      const forwarded = await forward(app, ctx, request, reply, 'POST', target, snakeBody(prepare(request.body as Static<S>), RENAME));
      // the snake_case routes answer field errors 422 (FastAPI); upstream's facades answer 400
      return relay(reply, fieldErrorAs400(forwarded));
    });
  };
  facade('/api/mast/search/target', '/mast/search/target', Bodies.target, 'Cone search around a target name (featured-target aliases resolved), camelCase facade',
    (b) => ({ ...b, targetName: resolveTargetAlias(b.targetName) }));
  facade('/api/mast/search/coordinates', '/mast/search/coordinates', Bodies.coordinates, 'Cone search around RA/Dec, camelCase facade');
  facade('/api/mast/search/observation', '/mast/search/observation', Bodies.observation, 'Observations by obs_id, camelCase facade');
  facade('/api/mast/search/program', '/mast/search/program', Bodies.program, 'Observations of a JWST program, camelCase facade');
  facade('/api/mast/whats-new', '/mast/search/recent', Bodies.whatsNew, 'Observations released in the last daysBack days, newest first (camelCase facade of /mast/search/recent)');
}
