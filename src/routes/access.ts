/**
 * Who is asking and what they may reach, for every route (installed on the root app before the
 * route modules):
 * - single-user (no auth setting): everyone sees everything, as before;
 * - users (JWT_SECRET_KEY / JWT_JWKS_URL / AUTH_ENABLED): a bearer token (JWT or API key) is
 *   required except on the anonymous routes (health, docs, web app, read-only /api/jwstdata);
 *   a token that is present but bad is always 401 (never silently anonymous);
 * - public mode (PUBLIC_MODE / CE_MODE): only the read-only /api/* routes, anonymous, public
 *   records; everything else 404 like upstream.
 * Then `data_id` resolution: `data_id` beside or instead of `file_path` (and a record id given
 * as `file_path`, and `{data_id}` in paths) becomes the record's path, before validation, so it
 * goes through the same sandbox as any path.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import type { App } from '../server.js';
import type { EngineContext } from '../context.js';
import { AuthError, INVALID_TOKEN, NOT_AUTHENTICATED, type Identity } from '../auth/index.js';
import { ANONYMOUS, EVERYONE, type Viewer } from '../library/index.js';
import { DATA_ID } from '../library/service.js';
import { MAX_FILES_CEILING } from './input-limits.js';

declare module 'fastify' {
  interface FastifyRequest {
    viewer: Viewer;
    identity: Identity | null;
  }
}

/** Requests the engine makes to itself (the /api facades forwarding to the viewer routes). */
export const INTERNAL_HEADER = 'x-engine-internal';
const internalSecret = randomBytes(24).toString('hex');
export function internalHeaders(): Record<string, string> {
  return { [INTERNAL_HEADER]: internalSecret };
}

/** Read-only /api routes of upstream's public mode (§7.3) that this engine serves. */
const PUBLIC_ROUTES: Array<[string, RegExp]> = [
  ['GET', /^\/$/],
  ['GET', /^\/health$/],
  ['GET', /^\/api\/health$/],
  ['GET', /^\/api\/jwstdata$/],
  ['GET', /^\/api\/jwstdata\/[^/]+\/(thumbnail|preview|histogram|pixeldata|cubeinfo|lineage)$/],
  ['POST', /^\/api\/jwstdata\/check-availability$/],
  ['GET', /^\/api\/discovery\/featured$/],
  ['POST', /^\/api\/discovery\/suggest-recipes$/],
];

/**
 * The other public facades of §7.3 (MAST searches, composite, tables). Public mode serves them
 * anonymously; with users on they need a token like the routes they forward to.
 */
const PUBLIC_FACADES: Array<[string, RegExp]> = [
  ['POST', /^\/api\/mast\/search\/(target|coordinates|observation|program)$/],
  ['POST', /^\/api\/mast\/whats-new$/],
  ['POST', /^\/api\/composite\/generate-nchannel$/],
  ['GET', /^\/api\/analysis\/(table-info|table-data|spectral-data)$/],
];

/** Routes anyone may call when users are on (they show public data only to the anonymous). */
const ANONYMOUS_ROUTES: Array<[string, RegExp]> = [
  ...PUBLIC_ROUTES,
  ['GET', /^\/health\/ready$/],
  ['GET', /^\/auth\/me$/],
  ['GET', /^\/(docs|app)(\/.*)?$/],
  ['GET', /^\/openapi\.json$/],
  ['GET', /^\/favicon\.ico$/],
];

function matches(list: Array<[string, RegExp]>, method: string, path: string): boolean {
  const m = method === 'HEAD' ? 'GET' : method;
  return list.some(([lm, re]) => lm === m && re.test(path));
}

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined) {
    // EventSource and <img> cannot send headers: the web app may pass ?access_token=.
    const q = request.query as Record<string, unknown> | undefined;
    return typeof q?.access_token === 'string' ? q.access_token : undefined;
  }
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m) throw new AuthError(INVALID_TOKEN);
  return m[1];
}

function viewerOf(identity: Identity): Viewer {
  return { kind: 'user', userId: identity.userId, admin: identity.admin };
}

async function fillDataIds(ctx: EngineContext, viewer: Viewer, node: unknown, depth: number): Promise<void> {
  if (depth > 4 || node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    // A list over the schema ceiling is refused by validation (422): fill nothing in it.
    if (node.length > MAX_FILES_CEILING) return;
    for (const item of node) await fillDataIds(ctx, viewer, item, depth + 1);
    return;
  }
  const o = node as Record<string, unknown>;
  const pathOf = async (id: string) => (await ctx.library.resolve(id, viewer)).path;
  if (typeof o.data_id === 'string' && o.file_path === undefined && DATA_ID.test(o.data_id)) o.file_path = await pathOf(o.data_id);
  if (typeof o.file_path === 'string' && DATA_ID.test(o.file_path)) o.file_path = await pathOf(o.file_path);
  if (Array.isArray(o.data_ids) && o.file_paths === undefined) o.file_paths = o.data_ids;
  if (Array.isArray(o.file_paths) && o.file_paths.length <= MAX_FILES_CEILING && o.file_paths.some((p) => typeof p === 'string' && DATA_ID.test(p))) {
    o.file_paths = await Promise.all(o.file_paths.map(async (p) => (typeof p === 'string' && DATA_ID.test(p) ? pathOf(p) : p)));
  }
  for (const [k, v] of Object.entries(o)) {
    if (k !== 'file_paths' && k !== 'data_ids' && v !== null && typeof v === 'object') await fillDataIds(ctx, viewer, v, depth + 1);
  }
}

export async function installAccess(app: App, ctx: EngineContext): Promise<void> {
  const s = ctx.settings;
  app.decorateRequest('viewer', null as never);
  app.decorateRequest('identity', null);

  if (s.corsAllowedOrigins.length > 0) {
    await app.register(cors, {
      origin: [...s.corsAllowedOrigins],
      credentials: true,
      // Browsers may read these (upstream exposes none, so Retry-After and X-Cube-* were hidden).
      exposedHeaders: ['Retry-After', 'X-Cube-Slices', 'X-Cube-Current', 'X-Next-Cursor', 'X-Total-Count', 'ETag', 'Content-Disposition'],
    });
  }

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0] ?? '/';
    if (request.headers[INTERNAL_HEADER] === internalSecret) {
      request.viewer = EVERYONE;
      return;
    }
    if (s.publicMode) {
      if (!matches(PUBLIC_ROUTES, request.method, path) && !matches(PUBLIC_FACADES, request.method, path) && request.method !== 'OPTIONS') {
        return reply.status(404).send({ detail: 'Not Found' });
      }
      request.viewer = ANONYMOUS;
      return;
    }
    if (!s.authEnabled) {
      request.viewer = EVERYONE;
      return;
    }
    const token = bearer(request);
    if (token !== undefined) {
      const identity = await ctx.auth.authenticate(token);
      request.identity = identity;
      request.viewer = viewerOf(identity);
      return;
    }
    request.viewer = ANONYMOUS;
    if (request.method !== 'OPTIONS' && !matches(ANONYMOUS_ROUTES, request.method, path)) throw new AuthError(NOT_AUTHENTICATED);
  });

  if (s.rateLimitPerMinute > 0) {
    await app.register(rateLimit, {
      global: true,
      max: s.rateLimitPerMinute,
      timeWindow: 60_000,
      keyGenerator: (request) => request.identity?.userId ?? request.ip,
      allowList: (request) => request.headers[INTERNAL_HEADER] === internalSecret,
      // Thrown, then rendered by the server's error handler as {"detail": ...} (Retry-After is kept).
      errorResponseBuilder: (_request, context) => Object.assign(
        new Error(`Too many requests: at most ${context.max} per minute. Retry in ${Math.ceil(context.ttl / 1000)} s.`),
        { statusCode: 429 },
      ),
    });
  }

  app.addHook('preValidation', async (request) => {
    const viewer = request.viewer ?? EVERYONE;
    const params = request.params as Record<string, unknown> | undefined;
    const query = request.query as Record<string, unknown> | undefined;
    // `{data_id}` in the path names the file when no file_path is given.
    if (query && query.file_path === undefined && typeof params?.data_id === 'string' && DATA_ID.test(params.data_id)) {
      query.file_path = (await ctx.library.resolve(params.data_id, viewer)).path;
    }
    if (query) await fillDataIds(ctx, viewer, query, 0);
    if (request.body && typeof request.body === 'object') await fillDataIds(ctx, viewer, request.body, 0);
  });
}
