/**
 * A small LRU cache bounded by time (TTL), entry count and approximate bytes, so a UI's repeated
 * searches do not hit MAST and a burst of big answers cannot grow memory without limit.
 */
export interface TtlCacheOptions {
  /** How long an entry stays fresh. */
  readonly ttlMs: number;
  readonly maxEntries: number;
  /** Upper bound on the sum of entry sizes (given to `set`, else as reported by `sizeOf`). */
  readonly maxBytes: number;
  /** Size of a value when `set` is not told it (default: its JSON length, which costs a stringify). */
  readonly sizeOf?: (value: unknown) => number;
  readonly now?: () => number;
}

interface Entry<V> {
  readonly value: V;
  readonly expires: number;
  readonly size: number;
}

export interface CacheStats {
  readonly entries: number;
  readonly bytes: number;
  readonly hits: number;
  readonly misses: number;
}

export class TtlCache<V> {
  private readonly map = new Map<string, Entry<V>>();
  private bytes = 0;
  private hits = 0;
  private misses = 0;
  private readonly opts: Required<TtlCacheOptions>;

  constructor(options: TtlCacheOptions) {
    this.opts = {
      sizeOf: (v) => JSON.stringify(v)?.length ?? 0,
      now: Date.now,
      ...options,
    };
  }

  get(key: string): V | undefined {
    const entry = this.map.get(key);
    if (!entry) {
      this.misses++;
      return undefined;
    }
    if (entry.expires <= this.opts.now()) {
      this.delete(key);
      this.misses++;
      return undefined;
    }
    // Re-insert to mark as most recently used.
    this.map.delete(key);
    this.map.set(key, entry);
    this.hits++;
    return entry.value;
  }

  /** Stores `value`; `size` (bytes) spares measuring it when the caller already knows it. */
  set(key: string, value: V, options: { readonly ttlMs?: number | undefined; readonly size?: number | undefined } = {}): void {
    const ttlMs = options.ttlMs ?? this.opts.ttlMs;
    if (ttlMs <= 0 || this.opts.maxEntries <= 0) return;
    const size = options.size ?? this.opts.sizeOf(value);
    if (size > this.opts.maxBytes) return; // too big to cache at all
    this.delete(key);
    this.map.set(key, { value, expires: this.opts.now() + ttlMs, size });
    this.bytes += size;
    for (const [k] of this.map) {
      if (this.map.size <= this.opts.maxEntries && this.bytes <= this.opts.maxBytes) break;
      this.delete(k);
    }
  }

  delete(key: string): void {
    const entry = this.map.get(key);
    if (!entry) return;
    this.map.delete(key);
    this.bytes -= entry.size;
  }

  clear(): void {
    this.map.clear();
    this.bytes = 0;
  }

  stats(): CacheStats {
    return { entries: this.map.size, bytes: this.bytes, hits: this.hits, misses: this.misses };
  }
}
