/**
 * Job services that share one store and one Redis, as the nodes of a cluster would: an API node
 * (no local workers) and worker nodes, each with its own BullMQ backend and Redis event bus.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobHandlerRegistry, JobService, type JobHandler, type JobStore } from '../../../src/jobs/index.js';
import { BullMqBackend, RedisJobEvents, type BullMqBackendOptions } from '../../../src/jobs/redis/index.js';

export interface Node {
  readonly name: string;
  readonly jobs: JobService;
  readonly backend: BullMqBackend;
  close(): Promise<void>;
}

export interface NodeOptions {
  readonly name: string;
  readonly url: string;
  readonly prefix: string;
  readonly store: JobStore;
  readonly dataDir: string;
  /** Handlers of this node, built with its name (so a job can tell where it ran). */
  readonly handlers: (node: string) => JobHandler[];
  /** 0: an API node without local workers. */
  readonly concurrency: number;
  readonly lockDurationMs?: number;
  /** More backend options (start-failure cap and backoff, ...). */
  readonly backend?: Partial<BullMqBackendOptions>;
}

export async function startNode(o: NodeOptions): Promise<Node> {
  const registry = new JobHandlerRegistry();
  for (const h of o.handlers(o.name)) registry.register(h);
  const backend = new BullMqBackend({
    url: o.url,
    prefix: o.prefix,
    queueNames: { compute: 'compute', transfer: 'transfer' },
    concurrency: { compute: o.concurrency, transfer: o.concurrency },
    // 10 s: every node of a test shares its process, and at load 16 a nice'd process can miss a
    // renewal of 2 s (a lapsed lock runs the job twice); a test of a lapse sets its own.
    lockDurationMs: o.lockDurationMs ?? 10_000,
    stalledIntervalMs: 500,
    sweepIntervalMs: 0,
    ...o.backend,
  });
  const events = new RedisJobEvents({ url: o.url, prefix: o.prefix, reload: (id) => o.store.get(id) });
  await events.ready();
  const jobs = new JobService({
    store: o.store,
    backend,
    handlers: registry,
    events,
    dataDir: o.dataDir,
    progressIntervalMs: 1,
    persistIntervalMs: 1,
    runLocally: o.concurrency > 0,
    recoverOnStart: false,
  });
  await jobs.start();
  return { name: o.name, jobs, backend, close: () => jobs.close() };
}

export async function tempDir(prefix = 'jobs-redis-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Resolves when `signal` aborts (a handler that runs until it is stopped). */
export function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
