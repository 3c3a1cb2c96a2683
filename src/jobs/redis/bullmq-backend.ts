/**
 * The scale-out backend: jobs go through BullMQ queues on Redis (one queue per lane), and every
 * node that runs jobs (`jwst-engine worker`, or an API node with local workers) takes them from
 * there. The job record stays in the job store (shared by every node through DATA_DIR); BullMQ only
 * carries the ticket {id, kind} and decides which worker runs it.
 *
 * - One BullMQ job per job id (`jobId` = record id), removed when its run returns: enqueueing a job
 *   that already waits or runs adds nothing.
 * - Stops (cancel, pause) from any node: the stop is written to a key (`stop:{id}`, so a run that
 *   starts later, e.g. after its worker died, still sees it) and published on a channel every
 *   worker listens to; the worker running the job aborts its signal. `stop` resolves once the run
 *   has returned, as the in-process backend's does.
 * - A worker killed mid-job stops renewing its BullMQ lock; after `lockDuration` the stalled-job
 *   check of any worker puts the job back in its queue, and the next run *reclaims* the record the
 *   dead worker left `running` (the service re-queues it, counting the attempt, and the handler
 *   resumes: a download from its `.part` bytes).
 * - Shutdown (SIGTERM): runs stop with JobStop('shutdown'), the service re-queues their records and
 *   the BullMQ job goes straight back to waiting (no wait for a lock to expire).
 * - Lost tickets: records the store says are `queued` are added again at start, after each Redis
 *   reconnect and every `sweepIntervalMs` (adding is idempotent), so a job submitted while Redis was
 *   away, or a Redis that lost its data, does not strand a job.
 * - Capacity: each worker node registers its concurrency per lane (a heartbeat with expiry), so
 *   `stats` reports the cluster's capacity beside the queue depths.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { DelayedError, Queue, Worker, WaitingError, type Job as BullJob } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterStartFailure, failureCount, type BackendHealth, type BackendStats, type JobBackend, type JobRunner, type JobStartFailure, type JobTicket, type LaneStats, type StartRetryOptions } from '../backend.js';
import { JobStop, stopOf, type JobLane, type JobStopKind } from '../handlers.js';
import type { JobLogger } from '../service.js';
import { bullConnection, createRedisClient } from './connection.js';

export const JOB_LANES: readonly JobLane[] = ['compute', 'transfer'];

/** `maxStartAttempts`, `startRetryMs`: a ticket whose runner throws before its run (backend.ts `afterStartFailure`). */
export interface BullMqBackendOptions extends StartRetryOptions {
  readonly url: string;
  /** Key prefix of the queues and of this backend's keys and channels. */
  readonly prefix: string;
  /** BullMQ queue name per lane. */
  readonly queueNames: Readonly<Record<JobLane, string>>;
  /** Jobs this node runs at once per lane, once started (0: none of that lane). */
  readonly concurrency: Readonly<Record<JobLane, number>>;
  /** A run whose worker stops renewing its lock this long is stalled (default 30 s). */
  readonly lockDurationMs?: number;
  /** How often workers look for stalled runs (default 15 s). */
  readonly stalledIntervalMs?: number;
  /** Longest `stop` waits for a remote run to return (default 30 s). */
  readonly stopWaitMs?: number;
  /** Queued records whose ticket may be lost, added again (idempotent). */
  readonly queuedJobs?: () => Promise<readonly JobTicket[]>;
  /** How often `queuedJobs` is swept (default 30 s; 0: only at start and after reconnects). */
  readonly sweepIntervalMs?: number;
  readonly logger?: JobLogger;
}

interface TicketData {
  readonly id: string;
  readonly kind: string;
  /** Takes in a row whose runner threw before its run (put back delayed each time); 0 again once a run began. */
  readonly startFailures?: number;
  /** Runs in a row that ended with `JobRunDeferred` (THREADS_UNAVAILABLE; put back delayed each time), session 14. */
  readonly transientFailures?: number;
}

export { DEFAULT_MAX_START_ATTEMPTS } from '../backend.js';

interface LocalRun {
  readonly controller: AbortController;
  readonly done: Promise<void>;
}

interface WorkerInfo {
  readonly host: string;
  readonly pid: number;
  readonly concurrency: Readonly<Record<JobLane, number>>;
}

const STOP_KEY_TTL_S = 86_400;
const HEARTBEAT_MS = 5000;
const HEARTBEAT_TTL_MS = 3 * HEARTBEAT_MS;

const silent: JobLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

export class BullMqBackend implements JobBackend {
  readonly name = 'bullmq';
  /** This node in the worker registry. */
  readonly node = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly log: JobLogger;
  private readonly redis: Redis;
  private readonly queues = new Map<JobLane, Queue<TicketData>>();
  private readonly workers: Worker<TicketData>[] = [];
  private readonly runs = new Map<string, LocalRun>();
  private subscriber: Redis | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private runner: JobRunner | undefined;
  private failStart: JobStartFailure | undefined;
  private closed = false;
  private everReady = false;

  constructor(private readonly o: BullMqBackendOptions) {
    this.log = o.logger ?? silent;
    const warn = (what: string) => (err: Error) => this.log.warn({ err: { message: err.message } }, `${what}: Redis unreachable, retrying`);
    this.redis = createRedisClient(o.url, `${o.prefix}:jobs`, warn('job queue'));
    this.redis.on('ready', () => {
      // After a Redis restart: tickets it lost are added again.
      if (this.everReady) void this.sweep();
      this.everReady = true;
    });
    for (const lane of JOB_LANES) {
      const queue = new Queue<TicketData>(o.queueNames[lane], {
        connection: bullConnection(o.url, `${o.prefix}:queue:${lane}`),
        prefix: o.prefix,
        defaultJobOptions: { removeOnComplete: true, removeOnFail: true, attempts: 1 },
      });
      queue.on('error', warn(`job queue ${o.queueNames[lane]}`));
      this.queues.set(lane, queue);
    }
    if (o.queuedJobs) {
      // First sweep a moment after start, once the node has registered its job kinds.
      setTimeout(() => void this.sweep(), 1000).unref();
      if ((o.sweepIntervalMs ?? 30_000) > 0) {
        this.sweeper = setInterval(() => void this.sweep(), o.sweepIntervalMs ?? 30_000);
        this.sweeper.unref();
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // Running jobs on this node

  async start(runner: JobRunner, failStart?: JobStartFailure): Promise<void> {
    if (this.runner || this.closed) return;
    this.runner = runner;
    this.failStart = failStart;
    const lanes = JOB_LANES.filter((lane) => this.o.concurrency[lane] > 0);
    if (lanes.length === 0) return;
    // Stops published by any node reach the run here.
    this.subscriber = createRedisClient(this.o.url, `${this.o.prefix}:stops`, (err) => this.log.warn({ err: { message: err.message } }, 'job stops: Redis unreachable, retrying'));
    this.subscriber.on('message', (_channel: string, message: string) => this.onStopMessage(message));
    await this.subscriber.subscribe(this.stopChannel);
    for (const lane of lanes) {
      const worker = new Worker<TicketData>(this.o.queueNames[lane], (job, token) => this.process(job, token), {
        connection: bullConnection(this.o.url, `${this.o.prefix}:worker:${lane}`),
        prefix: this.o.prefix,
        concurrency: this.o.concurrency[lane],
        lockDuration: this.o.lockDurationMs ?? 30_000,
        stalledInterval: this.o.stalledIntervalMs ?? 15_000,
        // Attempts are counted by the job service (its maxAttempts), not by BullMQ.
        maxStalledCount: 1_000_000,
        removeOnComplete: { count: 0 },
        removeOnFail: { count: 0 },
      });
      worker.on('error', (err: Error) => this.log.warn({ err: { message: err.message }, lane }, 'job worker: Redis error, retrying'));
      this.workers.push(worker);
    }
    await this.beat();
    this.heartbeat = setInterval(() => void this.beat(), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  /** One BullMQ job: runs the record's job here, to its end. */
  private async process(bull: BullJob<TicketData>, token: string | undefined): Promise<void> {
    const runner = this.runner;
    if (!runner) throw new Error('job backend not started');
    const id = bull.data.id;
    if (this.closed) {
      // Taken while this node shuts down (a fetch already under way when the runs stopped, e.g. the
      // ticket a stopped run just put back): back to the queue, untouched, for another worker.
      await bull.moveToWait(token);
      throw new WaitingError();
    }
    const mine = this.runs.get(id);
    if (mine) {
      // Taken again while this node still runs it: its lock lapsed (a loaded machine) and a
      // stalled check put the ticket back. Completing this ticket at once would remove it while
      // the run goes on, and if this node then died, nothing would ever reclaim the record it
      // leaves running. This ticket is held until that run ends instead (its lock renewed).
      this.log.info({ jobId: id, kind: bull.data.kind, node: this.node }, 'job taken again while it runs here; held until its run ends');
      await mine.done;
      if (stopOf(mine.controller.signal)?.kind === 'shutdown') {
        await bull.moveToWait(token);
        throw new WaitingError();
      }
      return;
    }
    const controller = new AbortController();
    let reclaim = false;
    let resetting: Promise<void> | undefined;
    let finished: () => void = () => undefined;
    const run: LocalRun = { controller, done: new Promise<void>((r) => (finished = r)) };
    this.runs.set(id, run);
    try {
      // A stop asked for before this run started (its earlier worker died, say) applies now.
      const pending = await this.redis.get(this.stopKey(id));
      if (pending === 'cancel' || pending === 'pause') controller.abort(new JobStop(pending));
      // Started before and cut (the worker died or was stopped): the record may still say running.
      reclaim = bull.attemptsStarted > 1 || bull.stalledCounter > 0;
      this.log.info({ jobId: id, kind: bull.data.kind, node: this.node, reclaim }, 'job taken by this worker');
      await runner(id, controller.signal, { reclaim, started: () => void (resetting = this.startedRun(bull)) });
      await resetting; // before the ticket completes (and goes)
    } catch (err) {
      // The runner throws only when the store failed before the run began (a busy or unreachable
      // database): the record is unchanged. Dropping the ticket would strand a record a dead
      // worker left running (no sweep re-queues those), so it is taken again a little later.
      if (this.closed) {
        await bull.moveToWait(token);
        throw new WaitingError();
      }
      // Not for ever (session 12): after maxStartAttempts tries the record is failed, if the store
      // takes that write; if not, the ticket stays (nothing is dropped that no record shows).
      // A run that ended with JobRunDeferred (its record queued again, session 14) is put back the
      // same way, counted apart (`transientFailures`, kept when a run begins).
      await resetting;
      const count = failureCount(err);
      const failures = (bull.data[count] ?? 0) + 1;
      const delay = await afterStartFailure(this.o, this.failStart, this.log, { id, kind: bull.data.kind, failures, reclaim, err });
      if (delay === undefined) return; // the record is failed: the ticket completes and goes
      await bull.updateData({ ...bull.data, [count]: failures }).catch(() => undefined);
      await bull.moveToDelayed(Date.now() + delay, token);
      throw new DelayedError();
    } finally {
      this.runs.delete(id);
      finished();
    }
    const stop = stopOf(controller.signal);
    if (stop?.kind === 'shutdown') {
      // The service queued the record again: so is the ticket, for another worker now.
      await bull.moveToWait(token);
      throw new WaitingError();
    }
    if (stop) await this.redis.del(this.stopKey(id));
  }

  /**
   * The run of a ticket began (its record is marked running): its count of failed starts goes
   * back to 0 (session 12). Before, a ticket that failed to start a few times, then ran and was
   * reclaimed after its worker died (or put back by a stopping worker), kept that count, and the
   * next takes failed it with JOB_START_FAILED before JOB_START_ATTEMPTS failures in a row.
   */
  private async startedRun(bull: BullJob<TicketData>): Promise<void> {
    if (!bull.data.startFailures) return;
    await bull.updateData({ ...bull.data, startFailures: 0 }).catch((err: unknown) => {
      this.log.warn({ err, jobId: bull.data.id }, 'could not reset the failed starts of a job that started');
    });
  }

  private onStopMessage(message: string): void {
    let msg: { id?: string; kind?: JobStopKind };
    try {
      msg = JSON.parse(message) as typeof msg;
    } catch {
      return;
    }
    if (typeof msg.id !== 'string' || (msg.kind !== 'cancel' && msg.kind !== 'pause')) return;
    this.runs.get(msg.id)?.controller.abort(new JobStop(msg.kind));
  }

  /** Registers this node's concurrency with an expiry, so dead workers drop out by themselves. */
  private async beat(): Promise<void> {
    const info: WorkerInfo = { host: hostname(), pid: process.pid, concurrency: this.o.concurrency };
    try {
      await this.redis
        .multi()
        .zadd(this.registryKey, Date.now() + HEARTBEAT_TTL_MS, this.node)
        .hset(`${this.registryKey}:info`, this.node, JSON.stringify(info))
        .exec();
    } catch (err) {
      this.log.warn({ err: { message: (err as Error).message } }, 'worker heartbeat failed');
    }
  }

  // ------------------------------------------------------------------------------------------
  // JobBackend

  async enqueue(ticket: JobTicket): Promise<void> {
    if (this.closed) return;
    // A stop left from an earlier run (paused, then resumed) must not stop the new one.
    await this.redis.del(this.stopKey(ticket.id));
    await this.queue(ticket.lane).add(ticket.kind, { id: ticket.id, kind: ticket.kind }, { jobId: ticket.id });
  }

  async stop(jobId: string, stop: JobStop): Promise<void> {
    if (stop.kind === 'shutdown') {
      // Only this node's runs stop for a shutdown.
      const run = this.runs.get(jobId);
      run?.controller.abort(stop);
      await run?.done;
      return;
    }
    // Waiting: take the ticket out (a ticket that a worker took meanwhile finds the record stopped).
    for (const queue of this.queues.values()) {
      const state = await queue.getJobState(jobId);
      if (state === 'waiting' || state === 'prioritized' || state === 'delayed') await queue.remove(jobId).catch(() => 0);
    }
    await this.redis.set(this.stopKey(jobId), stop.kind, 'EX', STOP_KEY_TTL_S);
    await this.redis.publish(this.stopChannel, JSON.stringify({ id: jobId, kind: stop.kind }));
    const local = this.runs.get(jobId);
    if (local) {
      local.controller.abort(stop);
      await local.done;
      return;
    }
    await this.waitUntilNotActive(jobId);
  }

  has(jobId: string): boolean {
    return this.runs.has(jobId);
  }

  async stats(): Promise<BackendStats> {
    const capacityByLane = await this.clusterCapacity();
    const lanes: Record<string, LaneStats> = {};
    let queued = 0;
    let running = 0;
    let capacity = 0;
    for (const [lane, queue] of this.queues) {
      const c = await queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active');
      const laneQueued = (c.waiting ?? 0) + (c.prioritized ?? 0) + (c.delayed ?? 0);
      const laneRunning = c.active ?? 0;
      const laneCapacity = capacityByLane[lane];
      lanes[lane] = { queued: laneQueued, running: laneRunning, capacity: laneCapacity };
      queued += laneQueued;
      running += laneRunning;
      capacity += laneCapacity;
    }
    return { queued, running, capacity, lanes };
  }

  /** Redis reachable: answers at once when the connection is down, else PING within 1 s. */
  async health(): Promise<BackendHealth> {
    if (this.redis.status !== 'ready') return { ok: false, detail: 'redis unreachable' };
    const answered = await Promise.race([
      this.redis.ping().then(() => true, () => false),
      new Promise<boolean>((r) => setTimeout(() => r(false), 1000).unref()),
    ]);
    return answered ? { ok: true } : { ok: false, detail: 'redis did not answer in 1 s' };
  }

  async close(stop: JobStop): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.sweeper) clearInterval(this.sweeper);
    for (const run of this.runs.values()) run.controller.abort(stop);
    // Waits for the processors (which put shutdown-stopped tickets back in their queue).
    await Promise.all(this.workers.map((w) => w.close().catch((err: Error) => this.log.warn({ err: { message: err.message } }, 'job worker close failed'))));
    if (this.workers.length > 0) {
      await this.redis.multi().zrem(this.registryKey, this.node).hdel(`${this.registryKey}:info`, this.node).exec().catch(() => undefined);
    }
    await Promise.all([...this.queues.values()].map((q) => q.close().catch(() => undefined)));
    await this.subscriber?.quit().catch(() => this.subscriber?.disconnect());
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  // ------------------------------------------------------------------------------------------

  private get stopChannel(): string {
    return `${this.o.prefix}:job-stops`;
  }

  private get registryKey(): string {
    return `${this.o.prefix}:job-workers`;
  }

  private stopKey(jobId: string): string {
    return `${this.o.prefix}:job-stop:${jobId}`;
  }

  private queue(lane: JobLane): Queue<TicketData> {
    return this.queues.get(lane) ?? this.queues.get('compute')!;
  }

  /** Capacity of the live workers per lane (heartbeats not expired). */
  private async clusterCapacity(): Promise<Record<JobLane, number>> {
    const total: Record<JobLane, number> = { compute: 0, transfer: 0 };
    await this.redis.zremrangebyscore(this.registryKey, '-inf', Date.now());
    const nodes = await this.redis.zrange(this.registryKey, 0, -1);
    if (nodes.length === 0) return total;
    const infos = await this.redis.hmget(`${this.registryKey}:info`, ...nodes);
    for (const text of infos) {
      if (!text) continue;
      try {
        const info = JSON.parse(text) as WorkerInfo;
        for (const lane of JOB_LANES) total[lane] += Number(info.concurrency?.[lane]) || 0;
      } catch {
        // a foreign or old entry: ignored
      }
    }
    return total;
  }

  /** Polls the ticket's state until no worker holds it (or `stopWaitMs` passed). */
  private async waitUntilNotActive(jobId: string): Promise<void> {
    const until = Date.now() + (this.o.stopWaitMs ?? 30_000);
    while (Date.now() < until) {
      let active = false;
      for (const queue of this.queues.values()) if ((await queue.getJobState(jobId)) === 'active') active = true;
      if (!active) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Adds the tickets of queued records again (a no-op for tickets Redis still has). */
  private async sweep(): Promise<void> {
    if (!this.o.queuedJobs || this.closed) return;
    try {
      for (const ticket of await this.o.queuedJobs()) {
        if (this.closed) return;
        await this.queue(ticket.lane).add(ticket.kind, { id: ticket.id, kind: ticket.kind }, { jobId: ticket.id });
      }
    } catch (err) {
      this.log.warn({ err: { message: (err as Error).message } }, 'could not re-queue queued jobs');
    }
  }
}
