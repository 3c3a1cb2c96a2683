/**
 * Builds the Fastify application: OpenAPI (`/openapi.json`, Swagger UI at `/docs`), the error
 * mapping to `{"detail": ...}` bodies, and the route plugins. Routes stay thin: schema in,
 * core call, snake_case out.
 */
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Socket } from 'node:net';
import type { EngineContext } from './context.js';
import { EngineError, isEngineError } from './errors.js';
import { catalogueMessage, ERROR_CATALOGUE } from './error-catalogue.js';
import { toClientError } from './client-text.js';
import { rootRoutes } from './routes/root.js';
import { installAccess } from './routes/access.js';
import { schemaCompilers } from './lazy-compilers.js';

export type App = FastifyInstance<
  import('node:http').Server,
  import('node:http').IncomingMessage,
  import('node:http').ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/** A route module: registers its routes on the app, using the shared context. */
export type RouteModule = (app: App, ctx: EngineContext) => Promise<void> | void;

/** FastAPI-style validation entry: where, what, which kind. */
interface ValidationDetail {
  loc: Array<string | number>;
  msg: string;
  type: string;
}

function validationDetails(err: FastifyError): ValidationDetail[] {
  const context = err.validationContext ?? 'body';
  return (err.validation ?? []).map((v) => {
    const path = (v.instancePath ?? '').split('/').filter(Boolean).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
    const params = v.params as Record<string, unknown>;
    if (v.keyword === 'required' && typeof params.missingProperty === 'string') path.push(params.missingProperty);
    if (v.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') path.push(params.additionalProperty);
    const field = path.length ? path.join('.') : context;
    const msg = v.keyword === 'required' ? 'Field required' : `${field}: ${v.message ?? 'invalid value'}`;
    return { loc: [context, ...path], msg, type: v.keyword };
  });
}

/**
 * Fastify's own errors (body too large, bad JSON, media type, URL, rate limit) as catalogued
 * EngineErrors with the catalogue's fixed text: the client never reads Fastify's message, which
 * may echo the request.
 */
function fromFastifyError(err: FastifyError): EngineError | undefined {
  const status = typeof err.statusCode === 'number' ? err.statusCode : undefined;
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new EngineError('BODY_TOO_LARGE', catalogueMessage('BODY_TOO_LARGE'), 413);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new EngineError('UNSUPPORTED_MEDIA_TYPE', catalogueMessage('UNSUPPORTED_MEDIA_TYPE'), 415);
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new EngineError('INVALID_JSON', catalogueMessage('INVALID_JSON'), 400);
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new EngineError('URL_TOO_LONG', catalogueMessage('URL_TOO_LONG'), 414);
    case 'FST_ERR_BAD_URL':
      return new EngineError('BAD_URL', catalogueMessage('BAD_URL'), 400);
    default:
      break;
  }
  if (status === 429) return new EngineError('RATE_LIMITED', err.message, 429);
  if (status === 400 && err instanceof SyntaxError) return new EngineError('INVALID_JSON', catalogueMessage('INVALID_JSON'), 400);
  if (status !== undefined && status >= 400 && status < 500) return new EngineError('CLIENT_ERROR', catalogueMessage('CLIENT_ERROR'), 400);
  return undefined;
}

/** Any error as the catalogued, client-safe EngineError the client gets. */
export function httpErrorOf(err: unknown, dataDir?: string): EngineError {
  if (!isEngineError(err) && err instanceof Error) {
    const fastify = fromFastifyError(err as FastifyError);
    if (fastify) return fastify;
  }
  return toClientError(err, { dataDir });
}

/**
 * Errors Node's HTTP parser meets before Fastify sees a request (headers over 16 KiB, a request
 * that took too long, malformed HTTP): a JSON `{"detail"}` answer, then the socket closes.
 */
function clientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const e =
    err.code === 'HPE_HEADER_OVERFLOW' ? new EngineError('HEADERS_TOO_LARGE', catalogueMessage('HEADERS_TOO_LARGE'), 431)
    : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? new EngineError('REQUEST_TIMEOUT', catalogueMessage('REQUEST_TIMEOUT'), 408)
    : new EngineError('CLIENT_ERROR', catalogueMessage('CLIENT_ERROR'), 400);
  const body = JSON.stringify({ detail: e.message });
  const reason = e.httpStatus === 431 ? 'Request Header Fields Too Large' : e.httpStatus === 408 ? 'Request Timeout' : 'Bad Request';
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${e.httpStatus} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(err);
}

export interface BuildServerOptions {
  /** Compile each route's schemas on its first use (default) rather than all before listening. */
  readonly lazySchemas?: boolean;
}

export async function buildServer(ctx: EngineContext, routeModules: RouteModule[] = [], options: BuildServerOptions = {}): Promise<App> {
  const app = Fastify({
    loggerInstance: ctx.logger as FastifyBaseLogger,
    bodyLimit: 16 * 1024 * 1024,
    // While shutting down, requests are answered by the hook below ({"detail"} 503), not Fastify's body.
    return503OnClosing: false,
    clientErrorHandler,
    // A path segment over maxParamLength, an undecodable URL: through the error handler below.
    frameworkErrors: (err, _request, reply) => {
      const e = httpErrorOf(err);
      void (reply as FastifyReply).status(e.httpStatus).send({ detail: e.message });
    },
    ajv: { customOptions: { coerceTypes: 'array', useDefaults: true, removeAdditional: false, allErrors: false } },
    schemaController: { compilersFactory: schemaCompilers(options.lazySchemas ?? true) },
  }).withTypeProvider<TypeBoxTypeProvider>() as App;

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'JWST Data Processing Engine',
        description: 'MAST search, resumable downloads, FITS, previews and analysis for JWST data.',
        version: ctx.version,
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err.validation) {
      return reply.status(ERROR_CATALOGUE.VALIDATION_FAILED.status).send({ detail: validationDetails(err) });
    }
    const e = httpErrorOf(err, ctx.settings.dataDir);
    // 503 is a state the engine is in (shutting down, busy), not a fault: a warning, without a stack.
    if (e.httpStatus === 503) request.log.warn({ code: e.code }, `request refused: ${e.message}`);
    else if (e.httpStatus >= 500) request.log.error({ err }, e.code === 'INTERNAL' ? 'unhandled error' : 'request failed');
    for (const [k, v] of Object.entries(e.headers)) reply.header(k, v);
    return reply.status(e.httpStatus).send({ detail: e.message });
  });

  app.setNotFoundHandler((_request, reply) => {
    const e = new EngineError('ROUTE_NOT_FOUND', catalogueMessage('ROUTE_NOT_FOUND'), 404);
    reply.status(e.httpStatus).send({ detail: e.message });
  });

  // Shutting down: new requests (e.g. on kept-alive connections) are refused with 503, and every
  // answer closes its connection, so the server is left with none once in-flight requests answered.
  app.addHook('onRequest', async () => {
    if (ctx.shutdown.aborted) throw ctx.shutdown.reason;
  });
  app.addHook('onSend', async (_request, reply) => {
    if (ctx.shutdown.aborted) reply.header('connection', 'close');
  });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  // Users, public mode, CORS, rate limits and data_id resolution: before every route.
  await installAccess(app, ctx);

  for (const register of [rootRoutes, ...routeModules]) {
    await app.register(async (scoped) => register(scoped as App, ctx));
  }
  return app;
}
