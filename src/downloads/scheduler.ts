/**
 * File slots: at most MAX_CONCURRENT_FILES files stream bytes at once across every job. (The
 * per-host connection bound is the HTTP client's (Http1Client); connections per file are the file
 * downloader's.)
 *
 * Set-up overlaps the tail of the file before: once a streaming file has requested all of its
 * bytes (its last piece is streaming, then it is verified), it hands over to the next waiting
 * file, which makes its disk checks and first request meanwhile and starts streaming when the
 * slot is released to it. So at most one file prepares per slot, and never more than `size`
 * stream.
 */
export interface SlotTicket {
  /** Resolves when this file may stream (at once for a file that got a free slot). */
  stream(signal: AbortSignal): Promise<void>;
  /** Every byte is requested: the next waiting file may prepare (once; deferred while preparing). */
  handOver(): void;
  /** The file is done, streamed or not (idempotent). */
  release(): void;
}

interface Waiter {
  grant(ticket: Ticket): void;
  readonly signal: AbortSignal;
  readonly onAbort: () => void;
}

class Ticket implements SlotTicket {
  state: 'preparing' | 'streaming' | 'released';
  /** Preparing: the streaming ticket whose slot comes to this one. */
  after: Ticket | undefined;
  /** Streaming: the ticket that prepares to take this slot over. */
  successor: Ticket | undefined;
  private handOverWanted = false;
  private handedOver = false;
  private onStream: Array<() => void> = [];

  constructor(private readonly slots: FileSlots, after?: Ticket) {
    this.after = after;
    this.state = after ? 'preparing' : 'streaming';
  }

  stream(signal: AbortSignal): Promise<void> {
    if (this.state === 'streaming') return Promise.resolve();
    if (this.state === 'released') return Promise.reject(new Error('slot ticket already released'));
    signal.throwIfAborted();
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      this.onStream.push(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }

  handOver(): void {
    if (this.state === 'preparing') this.handOverWanted = true;
    else if (this.state === 'streaming' && !this.handedOver) {
      this.handedOver = true;
      this.slots.prepareNext(this);
    }
  }

  release(): void {
    if (this.state === 'released') return;
    const was = this.state;
    this.state = 'released';
    if (was === 'preparing') {
      // Gave up before streaming (failed, paused, or nothing to fetch): the next waiter prepares
      // in its place.
      this.slots.donePreparing();
      const holder = this.after;
      this.after = undefined;
      if (holder?.successor === this) {
        holder.successor = undefined;
        if (holder.state === 'streaming') this.slots.prepareNext(holder);
      }
      return;
    }
    const next = this.successor;
    this.successor = undefined;
    if (next && next.state === 'preparing') next.becomeStreaming();
    else this.slots.freeSlot();
  }

  becomeStreaming(): void {
    this.slots.donePreparing();
    this.state = 'streaming';
    this.after = undefined;
    for (const wake of this.onStream.splice(0)) wake();
    if (this.handOverWanted) this.handOver();
  }
}

export class FileSlots {
  private free: number;
  private preparing = 0;
  private readonly waiters: Waiter[] = [];

  /** `prepareAhead`: files that may prepare at once (0 turns hand-overs off; at most `size`). */
  constructor(
    readonly size: number,
    private readonly prepareAhead = 0,
  ) {
    this.free = size;
  }

  /**
   * Resolves with a ticket once this file may start: a free slot (it streams at once), or a
   * streaming file that handed over (it prepares, then streams when that file is done).
   * Rejects if `signal` aborts first.
   */
  enter(signal: AbortSignal): Promise<SlotTicket> {
    signal.throwIfAborted();
    return new Promise((resolve, reject) => {
      if (this.free > 0) {
        this.free--;
        resolve(new Ticket(this));
        return;
      }
      const waiter: Waiter = {
        signal,
        grant: (ticket) => {
          signal.removeEventListener('abort', waiter.onAbort);
          resolve(ticket);
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

  /** Slots held by streaming files. */
  get inUse(): number {
    return this.size - this.free;
  }

  /** `holder` has requested all of its bytes: the first waiter prepares to take its slot. */
  prepareNext(holder: Ticket): void {
    if (holder.successor || this.preparing >= Math.min(this.prepareAhead, this.size)) return;
    const w = this.waiters.shift();
    if (!w) return;
    const ticket = new Ticket(this, holder);
    holder.successor = ticket;
    this.preparing++;
    w.grant(ticket);
  }

  /** A preparing ticket started streaming or gave up. */
  donePreparing(): void {
    this.preparing--;
  }

  freeSlot(): void {
    const w = this.waiters.shift();
    if (w) w.grant(new Ticket(this));
    else this.free++;
  }
}
