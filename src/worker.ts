/**
 * The job worker (`node dist/worker.js`, also `jwst-engine worker`): runs jobs taken from the
 * BullMQ queues on REDIS_URL, on any machine that mounts the same DATA_DIR. It builds the same
 * engine context as the API (store, handlers, download service, worker-thread pool), always with
 * local workers, and serves only `GET /` and `GET /health` on PORT (liveness for a container
 * health check: DATA_DIR writable, Redis reachable). SIGTERM stops its runs; their jobs go back to
 * the queue at once and another worker continues them (downloads from their `.part` bytes).
 */
import { pathToFileURL } from 'node:url';
import { ConfigError, type Settings } from './config.js';
import { startEngine, type Engine } from './engine.js';
import { fatal, serve } from './serve.js';

/**
 * A worker's settings: REDIS_URL is required and the process always runs jobs (downloads
 * included: they are job-core kinds). It leaves the library scan at start to the API node.
 */
export function workerSettings(settings: Settings): Settings {
  if (!settings.redisUrl) {
    throw new ConfigError('REDIS_URL is not set: a worker takes its jobs from the Redis queues the API nodes fill');
  }
  return Object.freeze({ ...settings, runLocalWorkers: true, libraryScanOnStart: false });
}

/** Starts a worker (no API routes beyond / and /health). */
export function startWorker(settings: Settings): Promise<Engine> {
  return startEngine(workerSettings(settings), undefined, []);
}

/** Runs a worker as a service until SIGTERM/SIGINT. */
export function runWorker(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  return serve(startWorker, env);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runWorker().catch(fatal);
}
