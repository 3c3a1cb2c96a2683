/**
 * The local read cache of ranged reads: fixed-size blocks of objects, kept in memory up to a byte
 * budget (STORAGE_READ_CACHE_MB), evicted least recently used first (a hit moves a block to the
 * back). Keys carry the object's version (ETag), so a changed object never serves stale blocks.
 * One cache per process (per worker thread: each thread has its own module state).
 */
export interface ReadCacheStats {
  hits: number;
  misses: number;
  bytes: number;
  blocks: number;
  evictions: number;
}

export class BlockCache {
  private readonly blocks = new Map<string, Buffer>();
  private total = 0;
  readonly stats: ReadCacheStats = { hits: 0, misses: 0, bytes: 0, blocks: 0, evictions: 0 };

  constructor(readonly maxBytes: number) {}

  get(key: string): Buffer | undefined {
    const hit = this.blocks.get(key);
    if (!hit) {
      this.stats.misses++;
      return undefined;
    }
    this.blocks.delete(key);
    this.blocks.set(key, hit);
    this.stats.hits++;
    return hit;
  }

  set(key: string, block: Buffer): void {
    if (block.length > this.maxBytes) return;
    const old = this.blocks.get(key);
    if (old) {
      this.total -= old.length;
      this.blocks.delete(key);
    }
    this.blocks.set(key, block);
    this.total += block.length;
    for (const [k, v] of this.blocks) {
      if (this.total <= this.maxBytes) break;
      this.blocks.delete(k);
      this.total -= v.length;
      this.stats.evictions++;
    }
    this.stats.bytes = this.total;
    this.stats.blocks = this.blocks.size;
  }

  clear(): void {
    this.blocks.clear();
    this.total = 0;
    this.stats.bytes = 0;
    this.stats.blocks = 0;
  }
}
