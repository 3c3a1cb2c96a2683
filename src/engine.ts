/**
 * Assembles the engine: context (settings, logger, pool, sandbox, services) and the HTTP app.
 * Used by `main.ts` and by the API tests (which call `startEngine` with their own settings).
 */
import { setMaxListeners } from 'node:events';
import { mkdir } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Settings } from './config.js';
import type { EngineContext } from './context.js';
import { createLogger } from './logger.js';
import { buildServer, type App, type RouteModule } from './server.js';
import { PathSandbox } from './storage/path-sandbox.js';
import { objectStoreOf } from './storage/s3.js';
import { configureStorage, registerObjectStore } from './storage/registry.js';
import { WorkerPool, type WorkerPoolOptions } from './workers/pool.js';
import { VERSION } from './version.js';
import { UnavailableError } from './errors.js';
import { routeModules } from './routes/index.js';
import { mastClientFromSettings } from './mast/from-settings.js';
import { downloadManagerFromSettings, mastClientProductSource } from './downloads/service.js';
import { jobServiceFromSettings, registerJobKinds } from './routes/job-kinds.js';
import { DbJobStore, JobOutputRetention, RenderGate } from './jobs/index.js';
import { openJobDatabase } from './jobs/store-from-settings.js';
import { LIBRARY_MIGRATIONS } from './library/schema.js';
import { libraryFromSettings } from './library/from-settings.js';
import { downloadRecords, prepareJobOutputs } from './library/job-outputs.js';
import { Authenticator } from './auth/authenticator.js';

export interface Engine {
  readonly app: App;
  readonly ctx: EngineContext;
  /**
   * Shuts down: refuses new requests, stops in-flight ones (503), pauses downloads and re-queues
   * jobs (state saved), stops pool work, closes the services and the pool.
   */
  close(): Promise<void>;
}

/** The controller behind each context's `shutdown` signal (only `Engine.close` aborts it). */
const shutdowns = new WeakMap<EngineContext, AbortController>();

/**
 * Stops all work at once: requests are refused or stopped (they answer 503), every job run is
 * stopped (re-queued; downloads with their checkpoint and `.part` bytes saved), every
 * worker task is stopped. Then the HTTP server, the services and the pool close.
 */
async function shutdownEngine(app: App, ctx: EngineContext): Promise<void> {
  const reason = new UnavailableError('The engine is shutting down; retry in a moment');
  shutdowns.get(ctx)?.abort(reason);
  const t0 = Date.now();
  const step = <T>(name: string, p: Promise<T>): Promise<T> =>
    p.finally(() => ctx.logger.debug({ step: name, ms: Date.now() - t0 }, 'shutdown step done'));
  const http = step('http server', app.close());
  // Job signals and download transfers are aborted synchronously by these calls, before the pool
  // stops the tasks, so a job sees its own stop (and is re-queued) rather than the pool's error.
  // Downloads are jobs: their transfers stop with the job runs; their connections close after.
  const work = [step('jobs', ctx.jobs.close().then(() => ctx.downloads.close()))];
  ctx.pool.stopAll(reason);
  for (const r of await Promise.allSettled(work)) {
    if (r.status === 'rejected') ctx.logger.error({ err: r.reason }, 'error while shutting down');
  }
  // In-flight requests have answered by now (their work was stopped); a connection still open a
  // moment later (a client that does not read its answer) is cut.
  const late = setTimeout(() => app.server.closeAllConnections(), 1000);
  await http.catch((err: unknown) => ctx.logger.error({ err }, 'error while shutting down'));
  clearTimeout(late);
  for (const stop of [...ctx.onClose].reverse()) {
    try {
      await step('service', Promise.resolve(stop()));
    } catch (err) {
      ctx.logger.error({ err }, 'error while shutting down');
    }
  }
  await step('pool', ctx.pool.close());
}

/** The server's worker pool: WORKER_THREADS, TASK_ABORT_GRACE_MS, TASK_UNWIND_GRACE_MS; every thread kept. */
export function workerPoolOptions(settings: Pick<Settings, 'workerThreads' | 'taskAbortGraceMs' | 'taskUnwindGraceMs' | 'workerPlaneBufferBytes'>): WorkerPoolOptions {
  return {
    threads: settings.workerThreads,
    abortGraceMs: settings.taskAbortGraceMs,
    unwindGraceMs: settings.taskUnwindGraceMs,
    keepAllThreads: true,
    residentPlaneBytes: settings.workerPlaneBufferBytes,
  };
}

export async function createEngineContext(settings: Settings, logger: Logger = createLogger(settings)): Promise<EngineContext> {
  await mkdir(settings.dataDir, { recursive: true });
  const mast = mastClientFromSettings(settings, { logger });
  const pool = new WorkerPool(workerPoolOptions(settings));
  // STORAGE_PROVIDER=s3: one provider for the process; s3:// locations of its bucket resolve to it.
  const objects = objectStoreOf(settings.storage);
  if (objects) {
    configureStorage(settings.storage);
    registerObjectStore(objects);
  }
  // One database handle for the library and the job records (engine.db, or DATABASE_URL's), so that
  // a job's `completed` state and its library records commit in one transaction.
  const db = await openJobDatabase(settings, logger.child({ module: 'database' }), [LIBRARY_MIGRATIONS]);
  const library = await libraryFromSettings(settings, pool, logger.child({ module: 'library' }), objects, db);
  const jobs = await jobServiceFromSettings(settings, logger.child({ module: 'jobs' }), objects, new DbJobStore(db, { ownsDatabase: false }));
  // Downloads are jobs of kind `download` of this service (registered here, run wherever it runs jobs).
  const downloads = downloadManagerFromSettings(settings, mastClientProductSource(mast, settings.mastBaseUrl), {
    jobs,
    logger: logger.child({ module: 'downloads' }),
    // Every downloaded file becomes a library record in the transaction that saves it as complete in its job.
    onFileComplete: downloadRecords(library, { inBucket: objects !== undefined }),
    // Dismissing a download with its files keeps those the library made other records from, and
    // those in another user's data (a file kept when its first downloader dismissed their job).
    isFileReferenced: (path, job) => library.isReferenced(path, { owner: job.owner }),
  });
  // Records follow jobs of every kind: outputs' records committed in the transaction that marks the
  // job completed (read before it); a removed job's gone files noticed.
  jobs.beforeComplete((job) => prepareJobOutputs(library, job));
  const stopNoticing = jobs.subscribe(undefined, (e) => {
    if (e.type === 'removed') library.noticeGoneJobFilesLater(e.job.id, (err) => logger.warn({ err, jobId: e.job.id }, 'library: could not check a removed job\'s files'));
  });
  if (settings.libraryScanOnStart) {
    void library.scan().catch((err: unknown) => logger.warn({ err }, 'library scan failed'));
  }
  const shutdown = new AbortController();
  setMaxListeners(0, shutdown.signal); // one listener per in-flight request
  const ctx: EngineContext = {
    settings,
    logger,
    pool,
    sandbox: new PathSandbox(settings.dataDir, objects),
    version: VERSION,
    mast,
    downloads,
    jobs,
    library,
    auth: new Authenticator(settings, library.db),
    renderGate: new RenderGate(settings.maxConcurrentRenders, settings.renderQueueDepth, settings.renderQueueWaitMs),
    shutdown: shutdown.signal,
    // Jobs, then downloads stop first (last registered runs first): runs re-queued, state saved;
    // the library closes last (its database may still be written by the steps before).
    onClose: [() => objects?.close(), () => library.close(), () => mast.close(), () => downloads.close(), () => jobs.store.close(), () => jobs.close(), stopNoticing],
  };
  shutdowns.set(ctx, shutdown);
  registerJobKinds(ctx);
  await jobs.start();
  // Imports older engines' download state once, then the download folder's housekeeping.
  await downloads.start();
  // Finished jobs' outputs (DATA_DIR/processed/{id}) bounded by age and total size: on a timer and
  // after every run that ends here. Stops before the job service and its store close.
  const retention = new JobOutputRetention({
    service: jobs,
    retentionMs: settings.jobOutputRetentionMs,
    maxBytes: settings.jobOutputMaxBytes,
    logger: logger.child({ module: 'job-retention' }),
  });
  retention.start();
  ctx.onClose.push(() => retention.close());
  return ctx;
}

/** `modules`: the route modules to serve (a job worker serves none beyond / and /health). */
export async function startEngine(settings: Settings, logger?: Logger, modules: RouteModule[] = routeModules): Promise<Engine> {
  const ctx = await createEngineContext(settings, logger);
  const app = await buildServer(ctx, modules);
  let closing: Promise<void> | undefined;
  return {
    app,
    ctx,
    close() {
      closing ??= shutdownEngine(app, ctx);
      return closing;
    },
  };
}
