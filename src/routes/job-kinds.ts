/**
 * The engine's job kinds and the job service built from the settings. Used by the engine (API
 * process) and by job workers, so every process that runs jobs knows the same kinds.
 */
import { join } from 'node:path';
import type { Settings } from '../config.js';
import type { EngineContext } from '../context.js';
import { InProcessBackend, JobHandlerRegistry, JobService, JOBS_DB_NAME, SqliteJobStore, type JobLogger } from '../jobs/index.js';
import { analysisJobHandler } from './process.js';
import { compositeJobHandler } from './composite.js';
import { mosaicJobHandlers } from './mosaic.js';

/** The embedded job service: records in DATA_DIR/jobs.sqlite, jobs run in this process. */
export function jobServiceFromSettings(settings: Settings, logger?: JobLogger): JobService {
  return new JobService({
    store: new SqliteJobStore(join(settings.dataDir, JOBS_DB_NAME)),
    backend: new InProcessBackend({ compute: settings.maxConcurrentRenders, transfer: Math.max(4, settings.maxConcurrentFiles) }),
    handlers: new JobHandlerRegistry(),
    dataDir: settings.dataDir,
    logger,
  });
}

export function registerJobKinds(ctx: EngineContext): void {
  const registry = ctx.jobs.handlers;
  for (const handler of [analysisJobHandler(ctx), compositeJobHandler(ctx), ...mosaicJobHandlers(ctx)]) registry.register(handler);
}
