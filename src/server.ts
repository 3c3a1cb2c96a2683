/**
 * Builds the Fastify application: OpenAPI (`/openapi.json`, Swagger UI at `/docs`), the error
 * mapping to `{"detail": ...}` bodies, and the route plugins. Routes stay thin: schema in,
 * core call, snake_case out.
 */
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { EngineContext } from './context.js';
import { isEngineError } from './errors.js';
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
      return reply.status(422).send({ detail: validationDetails(err) });
    }
    if (isEngineError(err)) {
      if (err.httpStatus >= 500) request.log.error({ err }, 'request failed');
      for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
      return reply.status(err.httpStatus).send({ detail: err.message });
    }
    const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) {
      request.log.error({ err }, 'unhandled error');
      return reply.status(500).send({ detail: 'Internal server error' });
    }
    // Fastify's own client errors (bad JSON, unsupported media type, body too large): say what, not how.
    return reply.status(status).send({ detail: err.message });
  });

  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send({ detail: 'Not Found' });
  });

  // Shutting down: new requests (e.g. on kept-alive connections) are refused with 503.
  app.addHook('onRequest', async (_request, reply) => {
    if (!ctx.shutdown.aborted) return;
    reply.header('connection', 'close');
    throw ctx.shutdown.reason;
  });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  // Users, public mode, CORS, rate limits and data_id resolution: before every route.
  await installAccess(app, ctx);

  for (const register of [rootRoutes, ...routeModules]) {
    await app.register(async (scoped) => register(scoped as App, ctx));
  }
  return app;
}
