/**
 * Redis connections of the job system. Every client retries for ever (a restarted Redis is found
 * again by itself: commands wait in ioredis' offline queue meanwhile), which is what BullMQ wants
 * of its connections too (`maxRetriesPerRequest: null`).
 */
import type { ConnectionOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';

export interface RedisConnectionOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://` (TLS). */
  readonly url: string;
  /** Key prefix of queues, channels and registry keys (several engines may share one Redis). */
  readonly prefix: string;
}

/** Reconnect delay: quick at first, at most 2 s, never giving up. */
export function reconnectDelay(times: number): number {
  return Math.min(2000, 50 * 2 ** Math.min(times, 6));
}

/** ioredis options shared by our clients and BullMQ's. */
export function clientOptions(name: string): RedisOptions {
  return { maxRetriesPerRequest: null, retryStrategy: reconnectDelay, connectionName: name, lazyConnect: false };
}

/** Connection options for BullMQ's own clients (queues, workers). */
export function bullConnection(url: string, name: string): ConnectionOptions {
  return { url, maxRetriesPerRequest: null, retryStrategy: reconnectDelay, connectionName: name };
}

/**
 * A client that logs (at most once per outage) instead of throwing unhandled `error` events while
 * Redis is away.
 */
export function createRedisClient(url: string, name: string, onError?: (err: Error) => void): Redis {
  const client = new Redis(url, clientOptions(name));
  let reported = false;
  client.on('error', (err: Error) => {
    if (!reported) onError?.(err);
    reported = true;
  });
  client.on('ready', () => (reported = false));
  return client;
}

/** The URL without its password, for logs. */
export function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'redis://(invalid url)';
  }
}
