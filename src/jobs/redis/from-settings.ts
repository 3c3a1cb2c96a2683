/**
 * Where jobs run, from the settings: in this process (no REDIS_URL, the embedded default), or
 * through BullMQ queues on Redis with a Redis event bus (REDIS_URL). The job service is built the
 * same way in both cases from what this returns. BullMQ and ioredis are only loaded with REDIS_URL
 * (an embedded engine starts without them).
 */
import type { Settings } from '../../config.js';
import { InProcessBackend, type JobBackend, type StartRetryOptions } from '../backend.js';
import type { JobEventBus } from '../events.js';
import type { JobLane } from '../handlers.js';
import type { JobLogger } from '../service.js';
import type { JobStore } from '../store.js';

export interface JobRuntime {
  readonly backend: JobBackend;
  /** undefined: the service's own in-process bus. */
  readonly events: JobEventBus | undefined;
  /** JobServiceOptions.runLocally */
  readonly runLocally: boolean;
  /** JobServiceOptions.recoverOnStart (off on Redis: stalled-job detection finds cut runs there). */
  readonly recoverOnStart: boolean;
  /** For logs and /health: "in-process" or the Redis URL without its password. */
  readonly description: string;
}

export type JobRuntimeSettings = Pick<Settings, 'redisUrl' | 'jobQueuePrefix' | 'jobQueueCompute' | 'jobQueueTransfer' | 'runLocalWorkers' |
  'workerConcurrencyCompute' | 'workerConcurrencyTransfer' | 'jobLockDurationMs' | 'jobStalledIntervalMs' | 'jobStartAttempts' |
  'jobThreadAttempts' | 'jobThreadRetryMs'>;

export interface JobRuntimeOptions {
  readonly store: JobStore;
  /** Jobs run at once per lane in this process (the in-process defaults; WORKER_CONCURRENCY_* override them on Redis). */
  readonly capacity: Readonly<Record<JobLane, number>>;
  /** The lane of a job kind (the handler registry's), for tickets re-queued from the store. */
  readonly laneOf: (kind: string) => JobLane;
  readonly logger?: JobLogger;
}

/** Queued records swept back into the queues at most this many at a time. */
const SWEEP_LIMIT = 10_000;

/** JOB_START_ATTEMPTS, JOB_THREAD_ATTEMPTS, JOB_THREAD_RETRY_MS: how either backend takes a job again. */
function retryOptions(settings: JobRuntimeSettings): StartRetryOptions {
  return { maxStartAttempts: settings.jobStartAttempts, maxTransientAttempts: settings.jobThreadAttempts, transientRetryMs: settings.jobThreadRetryMs };
}

export async function jobRuntimeFromSettings(settings: JobRuntimeSettings, o: JobRuntimeOptions): Promise<JobRuntime> {
  if (!settings.redisUrl) {
    return { backend: new InProcessBackend(o.capacity, { ...retryOptions(settings), logger: o.logger }), events: undefined, runLocally: true, recoverOnStart: true, description: 'in-process' };
  }
  const [{ BullMqBackend }, { RedisJobEvents }, { redactedUrl }] = await Promise.all([
    import('./bullmq-backend.js'), import('./events.js'), import('./connection.js'),
  ]);
  const url = settings.redisUrl;
  const prefix = settings.jobQueuePrefix;
  const backend = new BullMqBackend({
    url,
    prefix,
    queueNames: { compute: settings.jobQueueCompute, transfer: settings.jobQueueTransfer },
    concurrency: {
      compute: settings.workerConcurrencyCompute ?? o.capacity.compute,
      transfer: settings.workerConcurrencyTransfer ?? o.capacity.transfer,
    },
    lockDurationMs: settings.jobLockDurationMs,
    stalledIntervalMs: settings.jobStalledIntervalMs,
    ...retryOptions(settings),
    queuedJobs: async () => {
      const page = await o.store.list({ states: ['queued'], limit: SWEEP_LIMIT });
      return page.jobs.map((j) => ({ id: j.id, kind: j.kind, lane: o.laneOf(j.kind) }));
    },
    logger: o.logger,
  });
  const events = new RedisJobEvents({
    url,
    prefix,
    reload: (id) => o.store.get(id),
    onError: (err, what) => o.logger?.warn({ err: { message: err.message } }, what),
  });
  // Waits for Redis (retrying) so that no event published after start is missed.
  await events.ready();
  return { backend, events, runLocally: settings.runLocalWorkers, recoverOnStart: false, description: redactedUrl(url) };
}
