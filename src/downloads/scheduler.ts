/**
 * File slots: at most MAX_CONCURRENT_FILES transfers at once across every job. (The per-host
 * connection bound is the HTTP client's (Http1Client); connections per file are the file downloader's.)
 */
export class FileSlots {
  private free: number;
  private readonly waiters: Array<{ grant: () => void; signal: AbortSignal; onAbort: () => void }> = [];

  constructor(readonly size: number) {
    this.free = size;
  }

  /** Resolves with a release function once a slot is free; rejects if `signal` aborts first. */
  acquire(signal: AbortSignal): Promise<() => void> {
    signal.throwIfAborted();
    return new Promise((resolve, reject) => {
      const release = () => {
        let released = false;
        return () => {
          if (released) return;
          released = true;
          this.free++;
          this.next();
        };
      };
      if (this.free > 0) {
        this.free--;
        resolve(release());
        return;
      }
      const waiter = {
        signal,
        grant: () => {
          signal.removeEventListener('abort', waiter.onAbort);
          resolve(release());
        },
        onAbort: () => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(signal.reason);
        },
      };
      signal.addEventListener('abort', waiter.onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  get inUse(): number {
    return this.size - this.free;
  }

  private next(): void {
    while (this.free > 0 && this.waiters.length > 0) {
      const w = this.waiters.shift()!;
      this.free--;
      w.grant();
    }
  }
}
