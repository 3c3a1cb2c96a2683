/**
 * The one event stream. The service publishes every state change at once and progress at most
 * every `progressIntervalMs` per job; SSE routes, the CLI and waiters subscribe. `LocalJobEvents`
 * serves one process; a distributed bus (Redis pub/sub) implements the same interface so that an
 * API node hears the jobs its workers run elsewhere.
 */
import { EventEmitter } from 'node:events';
import type { JobEvent } from './types.js';

export type JobEventListener = (event: JobEvent) => void;

export interface JobEventBus {
  /** Delivers `event` to every subscriber (of its job and of all jobs), on every node. */
  publish(event: JobEvent): void;
  /** Listens to one job (`jobId`) or to all (`undefined`); returns the unsubscribe function. */
  subscribe(jobId: string | undefined, listener: JobEventListener): () => void;
  close(): Promise<void>;
}

const ALL = '*';

export class LocalJobEvents implements JobEventBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  publish(event: JobEvent): void {
    // A failing listener must not stop the others nor the job that published.
    for (const name of [`job:${event.job.id}`, ALL]) {
      for (const listener of this.emitter.listeners(name) as JobEventListener[]) {
        try {
          listener(event);
        } catch {
          // listeners report their own errors
        }
      }
    }
  }

  subscribe(jobId: string | undefined, listener: JobEventListener): () => void {
    const name = jobId === undefined ? ALL : `job:${jobId}`;
    this.emitter.on(name, listener);
    return () => this.emitter.off(name, listener);
  }

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
  }
}
