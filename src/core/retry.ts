/**
 * The one retry policy of the engine's network calls (MAST queries in src/mast, downloads in
 * src/downloads): exponential backoff from a base delay with jitter (so many clients failing
 * together do not retry in lock-step), the server's Retry-After when it asks for longer, a
 * number of retries and an optional time budget. Time comes from an injectable `Clock`, so tests
 * retry without sleeping.
 *
 *   const retrier = new Retrier(policy, { signal, clock, budgetMs: deadline.remainingMs() });
 *   for (;;) {
 *     try { return await attempt(); }
 *     catch (err) { if (!worthRetrying(err)) throw err; await retrier.wait(err, { retryAfterMs }); }
 *   }
 */

export interface RetryPolicy {
  /** Retries after the first attempt (MAX_RETRIES). */
  readonly maxRetries: number;
  /** Delay before the first retry (RETRY_BASE_DELAY), in ms; doubles with each retry. */
  readonly baseDelayMs: number;
  /** Upper bound of one computed delay. */
  readonly maxDelayMs: number;
  /** Upper bound of a server's Retry-After we are willing to wait. */
  readonly maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxRetries: 3, baseDelayMs: 1000, maxDelayMs: 30_000, maxRetryAfterMs: 300_000 };

/** Where retries get the time from; tests pass one whose sleep returns at once. */
export interface Clock {
  now(): number;
  /** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
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

export const systemClock: Clock = { now: () => Date.now(), sleep };

/**
 * A clock for tests: `sleep` advances its time and returns at once (after a macrotask, so other
 * work still interleaves); `sleeps` records every wait asked for.
 */
export class ManualClock implements Clock {
  readonly sleeps: number[] = [];
  constructor(private time = 0) {}
  now(): number {
    return this.time;
  }
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    this.sleeps.push(ms);
    this.time += ms;
    await new Promise((r) => setImmediate(r));
    signal?.throwIfAborted();
  }
}

/**
 * Delay before retry number `retry` (1-based): base·2^(retry-1), capped at maxDelayMs, plus up to
 * 50 % jitter; a Retry-After (capped at maxRetryAfterMs) wins when it asks for longer.
 */
export function backoffDelayMs(retry: number, policy: RetryPolicy, retryAfterMs?: number, random: () => number = Math.random): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  const jittered = exp + exp * 0.5 * random();
  if (retryAfterMs !== undefined) return Math.max(jittered, Math.min(retryAfterMs, policy.maxRetryAfterMs));
  return jittered;
}

/** Parses Retry-After (delta seconds or an HTTP date) into ms from `now`; undefined when absent or bad. */
export function parseRetryAfter(value: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === '') return undefined;
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Math.round(Number(t) * 1000);
  const date = Date.parse(t);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

export interface RetrierOptions {
  readonly clock?: Clock;
  readonly random?: () => number;
  /** Aborts the wait between attempts. */
  readonly signal?: AbortSignal;
  /** Time budget from now: no retry is made whose wait would end past it. */
  readonly budgetMs?: number;
}

export interface RetryHint {
  /** The server's Retry-After, in ms. */
  readonly retryAfterMs?: number | undefined;
  /** The failed attempt still made progress (bytes arrived): the retry count starts again. */
  readonly progressed?: boolean;
}

/** Counts the retries of one operation and waits between its attempts. */
export class Retrier {
  private failures = 0;
  private readonly clock: Clock;
  private readonly deadline: number | undefined;

  constructor(readonly policy: RetryPolicy, private readonly options: RetrierOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.deadline = options.budgetMs === undefined ? undefined : this.clock.now() + options.budgetMs;
  }

  /** Retries used so far (since the last progress). */
  get retries(): number {
    return this.failures;
  }

  /**
   * After a failed attempt: the wait before the next one, or undefined when the retries or the
   * time budget are used up (the caller then gives up).
   */
  next(hint: RetryHint = {}): number | undefined {
    this.failures = hint.progressed ? 1 : this.failures + 1;
    if (this.failures > this.policy.maxRetries) return undefined;
    const delay = backoffDelayMs(this.failures, this.policy, hint.retryAfterMs, this.options.random);
    if (this.deadline !== undefined && this.clock.now() + delay >= this.deadline) return undefined;
    return delay;
  }

  /** After a failed attempt: waits before the next one, or throws `err` when no retry is left. */
  async wait(err: unknown, hint: RetryHint = {}): Promise<void> {
    const delay = this.next(hint);
    if (delay === undefined) throw err;
    await this.clock.sleep(delay, this.options.signal);
  }
}

/**
 * Runs `attempt` until it succeeds, `retryable(err)` says no (it returns false), or the retries
 * are used up; `retryable` may return a hint (Retry-After) instead of true.
 */
export async function withRetry<T>(
  attempt: () => Promise<T>,
  policy: RetryPolicy,
  retryable: (err: unknown) => boolean | RetryHint,
  options: RetrierOptions & { onRetry?: (err: unknown, retry: number, delayMs: number) => void } = {},
): Promise<T> {
  const retrier = new Retrier(policy, options);
  const clock = options.clock ?? systemClock;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      const verdict = retryable(err);
      if (verdict === false) throw err;
      const delay = retrier.next(verdict === true ? {} : verdict);
      if (delay === undefined) throw err;
      options.onRetry?.(err, retrier.retries, delay);
      await clock.sleep(delay, options.signal);
    }
  }
}
