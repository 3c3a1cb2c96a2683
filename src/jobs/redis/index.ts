/**
 * Scale-out of the job core on Redis: a BullMQ backend (queues per lane, workers on any machine,
 * stops relayed, stalled runs reclaimed) and a Redis pub/sub event bus, so API nodes see and
 * control jobs that workers elsewhere run. Used when REDIS_URL is set.
 */
export * from './connection.js';
export * from './events.js';
export * from './bullmq-backend.js';
export * from './from-settings.js';
