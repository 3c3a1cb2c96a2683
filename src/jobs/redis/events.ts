/**
 * The job event stream across processes: every event published on one node (a worker running a
 * job) reaches the subscribers of every node (the API node serving its SSE stream or a waiter).
 * Events go through one Redis pub/sub channel; each node delivers the events of the others to its
 * local subscribers (its own ones directly, without a round trip).
 *
 * Pub/sub is not durable: events published while a node's subscription is down are lost to it.
 * So when its subscription comes back, the node reads the record of every job it has listeners for
 * from the store and delivers it as a `state` event: a waiter or an SSE stream never misses the end
 * of a job because Redis restarted.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { LocalJobEvents, type JobEventBus, type JobEventListener } from '../events.js';
import { recordJson, type JobEvent, type JobRecord } from '../types.js';
import { createRedisClient } from './connection.js';

export interface RedisJobEventsOptions {
  readonly url: string;
  readonly prefix: string;
  /** Reads a record again after a lost subscription (the job store). */
  readonly reload?: (jobId: string) => Promise<JobRecord | undefined>;
  readonly onError?: (err: Error, what: string) => void;
}

interface Envelope {
  readonly node: string;
  readonly event: JobEvent;
}

export class RedisJobEvents implements JobEventBus {
  /** This node's id: its own events come back from Redis and are skipped. */
  readonly node = randomUUID();
  readonly channel: string;
  private readonly local = new LocalJobEvents();
  private readonly pub: Redis;
  private readonly sub: Redis;
  /** Listener count per job id (undefined: all jobs), to know what to reload after a gap. */
  private readonly watched = new Map<string, number>();
  private subscribedOnce = false;
  private closed = false;

  constructor(private readonly o: RedisJobEventsOptions) {
    this.channel = `${o.prefix}:job-events`;
    const report = (what: string) => (err: Error) => o.onError?.(err, what);
    this.pub = createRedisClient(o.url, `${o.prefix}:events-pub`, report('job events: Redis publisher'));
    this.sub = createRedisClient(o.url, `${o.prefix}:events-sub`, report('job events: Redis subscriber'));
    this.sub.on('message', (channel: string, message: string) => {
      if (channel === this.channel) this.receive(message);
    });
    // ioredis subscribes again by itself after a reconnect; 'ready' follows each (re)subscription.
    this.sub.on('ready', () => {
      if (this.subscribedOnce) void this.resync();
    });
  }

  /** Resolves once the subscription is in place (events published after it are heard). */
  async ready(): Promise<void> {
    await this.sub.subscribe(this.channel);
    this.subscribedOnce = true;
  }

  publish(event: JobEvent): void {
    this.local.publish(event);
    if (this.closed) return;
    // `JSON.stringify({ node, event })`, with the job's checkpoint text spliced in when it has one (recordJson).
    const text = `{"node":${JSON.stringify(this.node)},"event":{"type":${JSON.stringify(event.type)},"job":${recordJson(event.job)}}}`;
    this.pub.publish(this.channel, text).catch((err: Error) => this.o.onError?.(err, 'job events: publish'));
  }

  subscribe(jobId: string | undefined, listener: JobEventListener): () => void {
    const key = jobId ?? '*';
    this.watched.set(key, (this.watched.get(key) ?? 0) + 1);
    const off = this.local.subscribe(jobId, listener);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      off();
      const n = (this.watched.get(key) ?? 1) - 1;
      if (n > 0) this.watched.set(key, n);
      else this.watched.delete(key);
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.local.close();
    await Promise.all([this.sub.quit().catch(() => this.sub.disconnect()), this.pub.quit().catch(() => this.pub.disconnect())]);
  }

  private receive(message: string): void {
    let envelope: Envelope;
    try {
      envelope = JSON.parse(message) as Envelope;
    } catch {
      return;
    }
    if (envelope.node === this.node || !envelope.event?.job?.id) return;
    this.local.publish(envelope.event);
  }

  /** After a gap in the subscription: the current record of every job someone listens to. */
  private async resync(): Promise<void> {
    const reload = this.o.reload;
    if (!reload || this.closed) return;
    for (const jobId of [...this.watched.keys()]) {
      if (jobId === '*') continue;
      try {
        const job = await reload(jobId);
        if (this.closed) return;
        if (job) this.local.publish({ type: 'state', job });
      } catch (err) {
        this.o.onError?.(err as Error, 'job events: reload after reconnect');
      }
    }
  }
}
