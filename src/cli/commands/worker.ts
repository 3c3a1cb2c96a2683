/**
 * `jwst-engine worker`: runs jobs from the Redis queues (REDIS_URL) on this machine; see
 * src/worker.ts. Options override the matching environment variables.
 */
import type { Command } from 'commander';
import { fatal } from '../../serve.js';
import { runWorker } from '../../worker.js';

interface WorkerOpts {
  redisUrl?: string;
  port?: string;
  computeConcurrency?: string;
  transferConcurrency?: string;
}

export function workerCommands(program: Command): void {
  program
    .command('worker')
    .description('run jobs from the Redis queues (REDIS_URL) on this machine; serves GET /health on PORT')
    .option('--redis-url <url>', 'Redis of the job queues (default: REDIS_URL)')
    .option('--port <port>', 'port of GET /health (default: PORT, 8000)')
    .option('--compute-concurrency <n>', 'analysis, composite and mosaic jobs run at once (default: WORKER_CONCURRENCY_COMPUTE)')
    .option('--transfer-concurrency <n>', 'download jobs run at once (default: WORKER_CONCURRENCY_TRANSFER)')
    .action(async (opts: WorkerOpts) => {
      const env: NodeJS.ProcessEnv = { ...process.env };
      if (opts.redisUrl !== undefined) env.REDIS_URL = opts.redisUrl;
      if (opts.port !== undefined) env.PORT = opts.port;
      if (opts.computeConcurrency !== undefined) env.WORKER_CONCURRENCY_COMPUTE = opts.computeConcurrency;
      if (opts.transferConcurrency !== undefined) env.WORKER_CONCURRENCY_TRANSFER = opts.transferConcurrency;
      // Runs until SIGTERM/SIGINT, which exit the process.
      await runWorker(env).catch(fatal);
    });
}
