/**
 * The web interface: the Vite production build in web/dist, served at /app/.
 * `GET /` stays the contract's JSON banner.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { App } from '../server.js';
import type { EngineContext } from '../context.js';
import { UnavailableError } from '../errors.js';

/** web/dist relative to this module (src/routes or dist/routes alike). */
export const WEB_DIST_DIR = fileURLToPath(new URL('../../web/dist/', import.meta.url));

export async function webAppRoutes(app: App, _ctx: EngineContext): Promise<void> {
  app.get('/app', { schema: { hide: true } }, async (_req, reply) => reply.redirect('/app/'));
  if (!existsSync(WEB_DIST_DIR)) {
    app.get('/app/*', { schema: { hide: true } }, async () => {
      throw new UnavailableError('The web interface is not built: run `npm run build`');
    });
    return;
  }
  await app.register(fastifyStatic, {
    root: WEB_DIST_DIR,
    prefix: '/app/',
    index: ['index.html'],
    cacheControl: false,
    setHeaders(res, path) {
      // Hashed assets never change; index.html must always be revalidated.
      res.header('Cache-Control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
}
