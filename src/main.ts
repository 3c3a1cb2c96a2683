/**
 * `npm start`: the engine as a service. Reads settings, listens, and on SIGTERM/SIGINT stops
 * accepting, lets in-flight work finish or persist, and exits 0.
 */
import { ConfigError, loadSettings } from './config.js';
import { startEngine } from './engine.js';

async function main(): Promise<void> {
  let settings;
  try {
    settings = loadSettings();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`Configuration error: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const engine = await startEngine(settings);
  const { app, ctx } = engine;
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    ctx.logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      ctx.logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, 30_000);
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
  await app.listen({ port: settings.port, host: settings.host });
}

main().catch((err: unknown) => {
  process.stderr.write(`Fatal: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
