/**
 * The render gate: at most `slots` renders or analyses run at once, whoever asks. Interactive
 * requests get a place among `slots + queueDepth` at once or a 429, then wait for a slot at most
 * `waitMs` (else 429); jobs wait as long as it takes (they are queued work already). Slots are
 * handed over first come, first served. Upstream 7.1, with jobs never failing on a full gate.
 */
import { EngineError } from '../errors.js';

export type Release = () => void;

interface Waiter {
  readonly grant: (release: Release) => void;
}

export class RenderBusyError extends EngineError {
  constructor(retryAfterSeconds: number) {
    super('RENDER_BUSY', 'The image renderer is at capacity. Please retry in a few seconds.', 429, { headers: { 'retry-after': String(retryAfterSeconds) } });
  }
}

export class RenderGate {
  private active = 0;
  private readonly waiters: Waiter[] = [];

  constructor(
    readonly slots: number,
    readonly queueDepth: number,
    readonly waitMs: number,
  ) {}

  /** Seconds a client is told to wait (Retry-After). */
  get retryAfterSeconds(): number {
    return Math.max(1, Math.floor(this.waitMs / 1000));
  }

  stats(): { active: number; waiting: number; slots: number } {
    return { active: this.active, waiting: this.waiters.length, slots: this.slots };
  }

  /** An interactive render: a slot within `waitMs`, or RenderBusyError (429 + Retry-After). */
  async enterInteractive(signal?: AbortSignal): Promise<Release> {
    if (this.active + this.waiters.length >= this.slots + this.queueDepth) throw new RenderBusyError(this.retryAfterSeconds);
    return this.wait(signal, this.waitMs);
  }

  /** A job's render: waits for a slot as long as it takes (or until `signal` aborts). */
  enter(signal?: AbortSignal): Promise<Release> {
    return this.wait(signal, undefined);
  }

  /** Runs `fn` holding a slot (interactive: may throw RenderBusyError first). */
  async run<T>(fn: () => Promise<T>, options: { interactive: boolean; signal?: AbortSignal }): Promise<T> {
    const release = options.interactive ? await this.enterInteractive(options.signal) : await this.enter(options.signal);
    try {
      return await fn();
    } finally {
      release();
    }
  }

  private wait(signal: AbortSignal | undefined, timeoutMs: number | undefined): Promise<Release> {
    signal?.throwIfAborted();
    if (this.active < this.slots && this.waiters.length === 0) return Promise.resolve(this.take());
    return new Promise<Release>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const waiter: Waiter = {
        grant: (release) => {
          cleanup();
          resolve(release);
        },
      };
      const remove = () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
      };
      const onAbort = () => {
        remove();
        cleanup();
        reject(signal?.reason);
      };
      const cleanup = () => {
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          remove();
          cleanup();
          reject(new RenderBusyError(this.retryAfterSeconds));
        }, timeoutMs);
        timer.unref?.();
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  private take(): Release {
    this.active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      const next = this.waiters.shift();
      if (next) next.grant(this.take());
    };
  }
}
