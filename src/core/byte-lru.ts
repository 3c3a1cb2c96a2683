/**
 * A least-recently-used map bounded by the summed size of its values; an entry over
 * `maxEntryBytes` is not kept. The routes that keep answers share it: the viewer's renders, tiles
 * and statistics, and finished download jobs' answers.
 */
export class ByteLru<V> {
  private readonly map = new Map<string, { value: V; size: number }>();
  private total = 0;

  constructor(readonly maxBytes: number, readonly maxEntryBytes = maxBytes / 4) {}

  get(key: string): V | undefined {
    const hit = this.map.get(key);
    if (!hit) return undefined;
    this.map.delete(key);
    this.map.set(key, hit);
    return hit.value;
  }

  set(key: string, value: V, size: number): void {
    if (size > this.maxEntryBytes) return;
    this.delete(key);
    this.map.set(key, { value, size });
    this.total += size;
    for (const [k, v] of this.map) {
      if (this.total <= this.maxBytes) break;
      this.map.delete(k);
      this.total -= v.size;
    }
  }

  delete(key: string): void {
    const old = this.map.get(key);
    if (!old) return;
    this.total -= old.size;
    this.map.delete(key);
  }

  get bytes(): number {
    return this.total;
  }

  get size(): number {
    return this.map.size;
  }
}
