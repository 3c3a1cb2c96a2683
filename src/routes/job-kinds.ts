/**
 * The engine's job kinds and the job service built from the settings. Used by the engine (API
 * process) and by job workers, so every process that runs jobs knows the same kinds.
 */
import { join } from 'node:path';
import type { Settings } from '../config.js';
import type { EngineContext } from '../context.js';
import { openDatabase } from '../db/open.js'; // not db/index: it loads pg
import { DbJobStore, JobHandlerRegistry, JobService, JOB_MIGRATIONS, JOBS_DB_NAME, SqliteJobStore, type JobLogger, type JobStore } from '../jobs/index.js';
import { jobRuntimeFromSettings } from '../jobs/redis/from-settings.js';
import { analysisJobHandler } from './process.js';
import { compositeJobHandler } from './composite.js';
import { mosaicJobHandlers } from './mosaic.js';
import { compositeNChannelJobHandler } from './composite-nchannel.js';
import { observationMosaicJobHandler } from './observation-mosaic.js';

/**
 * Where job records live: with DATABASE_URL, the shared PostgreSQL database (table job_records,
 * migrated here), so every engine and worker machine reads the same records without sharing a
 * SQLite file; otherwise the embedded DATA_DIR/jobs.sqlite.
 */
export async function jobStoreFromSettings(settings: Settings, logger?: JobLogger): Promise<JobStore> {
  if (settings.databaseUrl === undefined) return new SqliteJobStore(join(settings.dataDir, JOBS_DB_NAME));
  const { db, applied } = await openDatabase({ databaseUrl: settings.databaseUrl, sqliteFile: settings.databaseFile, migrations: [JOB_MIGRATIONS], maxConnections: 5 });
  if (applied.length) logger?.info({ database: db.description, applied: applied.map((m) => `${m.component}:${m.version}`) }, 'job store migrated');
  return new DbJobStore(db);
}

/**
 * The job service: records in the job store (above); jobs run in this process, or through BullMQ
 * queues on REDIS_URL (src/jobs/redis) on any worker that shares DATA_DIR.
 */
export async function jobServiceFromSettings(settings: Settings, logger?: JobLogger): Promise<JobService> {
  const store = await jobStoreFromSettings(settings, logger);
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
  });
}

export function registerJobKinds(ctx: EngineContext): void {
  const registry = ctx.jobs.handlers;
  for (const handler of [analysisJobHandler(ctx), compositeJobHandler(ctx), compositeNChannelJobHandler(ctx), observationMosaicJobHandler(ctx), ...mosaicJobHandlers(ctx)]) registry.register(handler);
}
