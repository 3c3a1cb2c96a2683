/**
 * API keys over HTTP, for services and `jwst-engine api-key --engine URL`: POST/GET/DELETE
 * /auth/api-keys. An Admin creates keys for any user (role User or Admin), lists and revokes any;
 * a user creates, lists and revokes only their own keys, never with a role above theirs. The key
 * itself is shown once, in the answer to POST. GET /auth/me says who a token is (anyone may ask). Without users (no auth setting) there is nobody
 * to give a key to: 404 USERS_DISABLED. In public mode these routes do not exist (404, src/routes/access.ts).
 */
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { App } from '../server.js';
import type { EngineContext } from '../context.js';
import { NotFoundError } from '../errors.js';
import { ADMIN_ROLE, AuthError, INSUFFICIENT_ROLE, type ApiKeyInfo, type Identity } from '../auth/index.js';

const tags = ['users'];

const CreateBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 100, description: 'what the key is for ("nightly mosaics")' }),
  userId: Type.Optional(Type.String({ minLength: 1, maxLength: 128, pattern: '^\\S(.*\\S)?$', description: 'whose key (Admin only; default: the caller)' })),
  role: Type.Optional(Type.Union([Type.Literal('User'), Type.Literal(ADMIN_ROLE)], { description: "default User; Admin only for an Admin's keys" })),
}, { additionalProperties: false });
const ListQuery = Type.Object({ userId: Type.Optional(Type.String({ maxLength: 128, description: "one user's keys (Admin; a user always sees their own)" })) });
const KeyParams = Type.Object({ keyId: Type.String({ maxLength: 64 }) });

const KeyInfo = Type.Object({
  keyId: Type.String(), userId: Type.String(), role: Type.String(), name: Type.String(), createdAt: Type.String(),
  lastUsedAt: Type.Union([Type.String(), Type.Null()]), revoked: Type.Boolean(),
});

function caller(ctx: EngineContext, request: FastifyRequest): Identity {
  // Single-user mode has no users to hold keys: the routes are absent, as in public mode (not a
  // server fault, so not 503; the hostile-input campaign checks that no request answers 5xx).
  if (!ctx.settings.authEnabled) throw new NotFoundError('This engine runs without users (single-user mode): it has no API keys', 'USERS_DISABLED');
  if (!request.identity) throw new AuthError(INSUFFICIENT_ROLE, 403);
  return request.identity;
}

export async function apiKeyRoutes(app: App, ctx: EngineContext): Promise<void> {
  const keys = ctx.auth.apiKeys;

  app.get('/auth/me', {
    schema: {
      tags,
      summary: 'Who the token is (the web app signs in with it): user null without a token; authEnabled false in single-user mode',
      response: { 200: Type.Object({
        authEnabled: Type.Boolean(),
        user: Type.Union([Type.Object({ userId: Type.String(), username: Type.Union([Type.String(), Type.Null()]), roles: Type.Array(Type.String()), admin: Type.Boolean(), via: Type.String() }), Type.Null()]),
      }) },
    },
  }, async (request) => {
    const id = request.identity;
    return {
      authEnabled: ctx.settings.authEnabled,
      user: id ? { userId: id.userId, username: id.username, roles: [...id.roles], admin: id.admin, via: id.via } : null,
    };
  });

  app.post('/auth/api-keys', {
    schema: { tags, summary: 'Create an API key (shown once); for another user or with role Admin: Admin only', body: CreateBody, response: { 201: Type.Object({ key: Type.String(), ...KeyInfo.properties }) } },
  }, async (request, reply) => {
    const who = caller(ctx, request);
    const userId = request.body.userId ?? who.userId;
    const role = request.body.role ?? 'User';
    if (!who.admin && (userId !== who.userId || role === ADMIN_ROLE)) throw new AuthError(INSUFFICIENT_ROLE, 403);
    const { key, info } = await keys.create(userId, role, request.body.name);
    return reply.status(201).send({ key, ...info });
  });

  app.get('/auth/api-keys', {
    schema: { tags, summary: "API keys (never their secrets): an Admin's view is everyone's", querystring: ListQuery, response: { 200: Type.Object({ keys: Type.Array(KeyInfo) }) } },
  }, async (request) => {
    const who = caller(ctx, request);
    const list: ApiKeyInfo[] = await keys.list(who.admin ? request.query.userId : who.userId);
    return { keys: list };
  });

  app.delete('/auth/api-keys/:keyId', {
    schema: { tags, summary: 'Revoke an API key (its owner or Admin); it stops working at once', params: KeyParams },
  }, async (request, reply) => {
    const who = caller(ctx, request);
    const info = await keys.get(request.params.keyId);
    // Another user's key is not revealed.
    if (!info || (!who.admin && info.userId !== who.userId)) throw new NotFoundError('API key not found', 'API_KEY_NOT_FOUND');
    await keys.revoke(info.keyId);
    return reply.status(204).send();
  });
}
