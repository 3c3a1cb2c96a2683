/**
 * The retry policy in one place: exponential backoff from a base delay, plus jitter so many files
 * failing together do not retry in lock-step, and the server's Retry-After when it gives one.
 */
export interface RetryPolicy {
  /** Retries after the first attempt (MAX_RETRIES). */
  readonly maxRetries: number;
  /** Delay before the first retry (RETRY_BASE_DELAY), in ms; doubles each time. */
  readonly baseDelayMs: number;
  /** Upper bound of one computed delay. */
  readonly maxDelayMs: number;
  /** Upper bound of a server's Retry-After we are willing to wait. */
  readonly maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxRetries: 3, baseDelayMs: 1000, maxDelayMs: 30_000, maxRetryAfterMs: 300_000 };

/**
 * Delay before retry number `retry` (1-based): base·2^(retry-1), capped, plus up to 50 % jitter;
 * Retry-After wins when it asks for longer.
 */
export function retryDelayMs(retry: number, policy: RetryPolicy, retryAfterMs?: number, random: () => number = Math.random): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  const jittered = exp + exp * 0.5 * random();
  if (retryAfterMs !== undefined) return Math.max(jittered, Math.min(retryAfterMs, policy.maxRetryAfterMs));
  return jittered;
}

/** Parses Retry-After (delta seconds or an HTTP date) into ms from now; undefined when absent or bad. */
export function parseRetryAfter(value: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === '') return undefined;
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Math.round(Number(t) * 1000);
  const date = Date.parse(t);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
