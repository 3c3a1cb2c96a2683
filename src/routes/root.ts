/** `GET /` (the contract's banner) and `GET /health` (real checks, not a static answer). */
import { access, constants, mkdir } from 'node:fs/promises';
import { Type } from 'typebox';
import type { App } from '../server.js';
import type { EngineContext } from '../context.js';

const Banner = Type.Object({ message: Type.String(), status: Type.String() });

const Check = Type.Object({ ok: Type.Boolean(), detail: Type.Optional(Type.String()) });
const Health = Type.Object({
  status: Type.Union([Type.Literal('healthy'), Type.Literal('degraded')]),
  service: Type.String(),
  version: Type.String(),
  checks: Type.Object({ data_dir_writable: Check, worker_pool: Check }),
});

export async function rootRoutes(app: App, ctx: EngineContext): Promise<void> {
  app.get('/', { schema: { summary: 'Banner', response: { 200: Banner } } }, async () => ({
    message: 'JWST Data Processing Engine',
    status: 'running',
  }));

  app.get('/health', { schema: { summary: 'Health with real checks', response: { 200: Health, 503: Health } } }, async (_req, reply) => {
    const dataDir = await mkdir(ctx.settings.dataDir, { recursive: true })
      .then(() => access(ctx.settings.dataDir, constants.W_OK))
      .then(() => ({ ok: true }), (err: NodeJS.ErrnoException) => ({ ok: false, detail: `data directory not writable (${err.code ?? 'error'})` }));
    const pool = await Promise.race([
      ctx.pool.run<{ pong: boolean }>('ping', {}).then(() => ({ ok: true }), () => ({ ok: false, detail: 'worker pool failed' })),
      new Promise<{ ok: boolean; detail: string }>((r) => setTimeout(() => r({ ok: false, detail: 'worker pool did not answer in 5 s' }), 5000).unref()),
    ]);
    const healthy = dataDir.ok && pool.ok;
    return reply.status(healthy ? 200 : 503).send({
      status: healthy ? 'healthy' : 'degraded',
      service: 'jwst-processing-engine',
      version: ctx.version,
      checks: { data_dir_writable: dataDir, worker_pool: pool },
    });
  });
}
