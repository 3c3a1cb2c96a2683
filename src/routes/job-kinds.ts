/**
 * The engine's job kinds and the job service built from the settings. Used by the engine (API
 * process) and by job workers, so every process that runs jobs knows the same kinds.
 */
import type { Settings } from '../config.js';
import type { EngineContext } from '../context.js';
import { JobHandlerRegistry, JobService, type JobLogger, type JobStore } from '../jobs/index.js';
import { jobStoreFromSettings } from '../jobs/store-from-settings.js';
import type { StorageProvider } from '../storage/provider.js';

export { jobStoreFromSettings };
import { jobRuntimeFromSettings } from '../jobs/redis/from-settings.js';
import { analysisJobHandler } from './process.js';
import { compositeJobHandler } from './composite.js';
import { mosaicJobHandlers } from './mosaic.js';
import { compositeNChannelJobHandler } from './composite-nchannel.js';
import { observationMosaicJobHandler } from './observation-mosaic.js';

/**
 * The job service: records in `store` (the engine passes one on the database it shares with the
 * library), else in the job store of the settings (above); jobs run in this process, or through BullMQ
 * queues on REDIS_URL (src/jobs/redis) on any worker that shares DATA_DIR, or, with `outputStore`
 * (STORAGE_PROVIDER=s3), on any worker at all: outputs go to the object store.
 */
export async function jobServiceFromSettings(settings: Settings, logger?: JobLogger, outputStore?: StorageProvider, store?: JobStore): Promise<JobService> {
  store ??= await jobStoreFromSettings(settings, logger);
  const handlers = new JobHandlerRegistry();
  const runtime = await jobRuntimeFromSettings(settings, {
    store,
    capacity: { compute: settings.maxConcurrentRenders, transfer: Math.max(4, settings.maxConcurrentFiles) },
    laneOf: (kind) => (handlers.has(kind) ? handlers.get(kind).lane ?? 'compute' : 'compute'),
    logger,
  });
  logger?.info({ jobs: runtime.description, localWorkers: runtime.runLocally }, 'job backend');
  return new JobService({
    store,
    backend: runtime.backend,
    events: runtime.events,
    handlers,
    dataDir: settings.dataDir,
    logger,
    runLocally: runtime.runLocally,
    recoverOnStart: runtime.recoverOnStart,
    ...(outputStore ? { outputStore } : {}),
  });
}

export function registerJobKinds(ctx: EngineContext): void {
  const registry = ctx.jobs.handlers;
  for (const handler of [analysisJobHandler(ctx), compositeJobHandler(ctx), compositeNChannelJobHandler(ctx), observationMosaicJobHandler(ctx), ...mosaicJobHandlers(ctx)]) registry.register(handler);
}
