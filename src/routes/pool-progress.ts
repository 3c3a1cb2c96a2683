/**
 * A worker-pool task that reports progress: the task posts messages to `payload.progressPort`
 * (see src/workers/tasks), they arrive here in `onMessage`, and the port is closed when the task
 * settles. Used by every route that runs a long task as a job.
 */
import { MessageChannel } from 'node:worker_threads';
import type { EngineContext } from '../context.js';
import type { TaskName } from '../workers/tasks/index.js';

export function runWithProgress<T, M>(ctx: EngineContext, task: TaskName, payload: object, onMessage: (message: M) => void, signal?: AbortSignal): Promise<T> {
  const channel = new MessageChannel();
  channel.port1.on('message', onMessage);
  channel.port1.unref();
  return ctx.pool
    .run<T>(task, { ...payload, progressPort: channel.port2 }, { transferList: [channel.port2], ...(signal ? { signal } : {}) })
    .finally(() => channel.port1.close());
}
