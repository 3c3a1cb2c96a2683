/**
 * `GET /` (the contract's banner), `GET /health` (liveness) and `GET /health/ready` (readiness).
 *
 * Liveness answers from the event loop at once, whatever the load: the process is alive, DATA_DIR
 * is writable (checked at most every 2 s, with one synchronous access call), and the job backend's
 * own dependencies answer (Redis when configured). It never waits for the worker pool, so a busy
 * engine is never restarted by its container health check. Readiness reports the job queue depth,
 * the render gate and the worker pool's saturation, and whether a pool thread answers.
 */
import { accessSync, constants, mkdirSync } from 'node:fs';
import { Type } from 'typebox';
import type { App } from '../server.js';
import type { EngineContext } from '../context.js';

const Banner = Type.Object({ message: Type.String(), status: Type.String() });

const Check = Type.Object({ ok: Type.Boolean(), detail: Type.Optional(Type.String()) });
const Health = Type.Object({
  status: Type.Union([Type.Literal('healthy'), Type.Literal('degraded')]),
  service: Type.String(),
  version: Type.String(),
  checks: Type.Object({ data_dir_writable: Check, worker_pool: Check, job_backend: Check }),
});
const Lane = Type.Object({ queued: Type.Integer(), running: Type.Integer(), capacity: Type.Integer() });
const Ready = Type.Object({
  ready: Type.Boolean(),
  jobs: Type.Object({
    backend: Type.String(),
    queue_depth: Type.Integer(),
    running: Type.Integer(),
    capacity: Type.Integer(),
    saturation: Type.Number(),
    lanes: Type.Record(Type.String(), Lane),
  }),
  render_gate: Type.Object({ active: Type.Integer(), waiting: Type.Integer(), slots: Type.Integer() }),
  worker_pool: Type.Object({ threads: Type.Integer(), queued_tasks: Type.Integer(), answered: Type.Boolean() }),
});

type CheckResult = { ok: boolean; detail?: string };

/** DATA_DIR writability, cached for `maxAgeMs` so a probe storm costs one syscall per interval. */
function dataDirCheck(dir: string, maxAgeMs = 2000): () => CheckResult {
  let last: { at: number; result: CheckResult } | undefined;
  return () => {
    const now = Date.now();
    if (last && now - last.at < maxAgeMs) return last.result;
    let result: CheckResult;
    try {
      mkdirSync(dir, { recursive: true });
      accessSync(dir, constants.W_OK);
      result = { ok: true };
    } catch (err) {
      result = { ok: false, detail: `data directory not writable (${(err as NodeJS.ErrnoException).code ?? 'error'})` };
    }
    last = { at: now, result };
    return result;
  };
}

export async function rootRoutes(app: App, ctx: EngineContext): Promise<void> {
  const dataDir = dataDirCheck(ctx.settings.dataDir);

  app.get('/', { schema: { summary: 'Banner', response: { 200: Banner } } }, async () => ({
    message: 'JWST Data Processing Engine',
    status: 'running',
  }));

  app.get('/health', { schema: { summary: 'Liveness: process alive, DATA_DIR writable, job backend reachable (never waits for work)', response: { 200: Health, 503: Health } } }, async (_req, reply) => {
    const data = dataDir();
    const backend = await Promise.race([
      ctx.jobs.backend.health(),
      new Promise<CheckResult>((r) => setTimeout(() => r({ ok: false, detail: 'job backend did not answer in 1 s' }), 1000).unref()),
    ]);
    const healthy = data.ok && backend.ok;
    return reply.status(healthy ? 200 : 503).send({
      status: healthy ? 'healthy' : 'degraded',
      service: 'jwst-processing-engine',
      version: ctx.version,
      // The pool is alive while the process is; how busy it is belongs to readiness.
      checks: { data_dir_writable: data, worker_pool: { ok: true }, job_backend: backend },
    });
  });

  app.get('/health/ready', { schema: { summary: 'Readiness: job queue depth, render gate and worker saturation (never fails liveness)', response: { 200: Ready, 503: Ready } } }, async (_req, reply) => {
    const jobs = await ctx.jobs.readiness();
    const answered = await Promise.race([
      ctx.pool.run('ping', {}).then(() => true, () => false),
      new Promise<boolean>((r) => setTimeout(() => r(false), 5000).unref()),
    ]);
    const ready = dataDir().ok && answered;
    return reply.status(ready ? 200 : 503).send({
      ready,
      jobs: { backend: ctx.jobs.backend.name, queue_depth: jobs.queueDepth, running: jobs.running, capacity: jobs.capacity, saturation: jobs.saturation, lanes: jobs.lanes },
      render_gate: ctx.renderGate.stats(),
      worker_pool: { threads: ctx.pool.threads, queued_tasks: ctx.pool.queueSize, answered },
    });
  });
}
