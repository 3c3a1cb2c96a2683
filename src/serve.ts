/**
 * Runs an engine process as a service: reads the settings (a bad one exits 2 with its message),
 * starts, listens, and on SIGTERM/SIGINT shuts down (Engine.close: new requests refused, in-flight
 * ones answered 503, downloads paused and jobs re-queued with their state saved, pool work
 * stopped) and exits 0; 1 when stopping fails or takes longer than SHUTDOWN_TIMEOUT_MS (8 s, inside
 * Docker's 10 s grace period). Used by `npm start` (main.ts) and by the job worker (worker.ts).
 */
import { ConfigError, loadSettings, type Settings } from './config.js';
import type { Engine } from './engine.js';

export async function serve(start: (settings: Settings) => Promise<Engine>, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let engine: Engine;
  try {
    engine = await start(loadSettings(env));
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`Configuration error: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const { app, ctx } = engine;
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    ctx.logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      ctx.logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, ctx.settings.shutdownTimeoutMs);
    force.unref();
    engine.close().then(
      () => process.exit(0),
      (err: unknown) => {
        ctx.logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // Every pool thread started and warm before the first request: a request that met a starting
  // thread waited for it, and the start-up's CPU delayed the event loop (WorkerPool.warmUp).
  // A thread that cannot start (EAGAIN at the process's thread limit) does not keep the service
  // from serving: the pool answers its own typed error per task and starts threads again later.
  await ctx.pool.warmUp().catch((err: unknown) => ctx.logger.warn({ err }, 'worker pool warm-up failed; serving anyway'));
  await app.listen({ port: ctx.settings.port, host: ctx.settings.host });
}

/** Last resort of a process entry point. */
export function fatal(err: unknown): never {
  process.stderr.write(`Fatal: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
}
