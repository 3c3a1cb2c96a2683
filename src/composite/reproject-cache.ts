/**
 * The reprojection cache of N-channel composites (upstream-latest §1.5, without defect 2): a
 * re-render with other colours, stretches, curves, rotation or crop does not read and reproject
 * its files again. An entry is one channel's linear data on one grid (before resolution blur and
 * background neutralisation, which are redone from it), keyed by
 *   - the channel's files in order, each with its identity (path, device, inode, size, mtime), so
 *     a file replaced or rewritten is a miss (the route takes them again after the render and
 *     keeps no channel whose files changed meanwhile);
 *   - whether several files are background-matched (`background_neutralization`);
 *   - the reading limits;
 *   - the target grid (its WCS and shape; the grid follows the canvas size and zoom, so a preview
 *     and a full-size export never share arrays).
 * The cache lives in the engine process; entries are float32 arrays on SharedArrayBuffers, so the
 * worker thread that renders reads them without a copy across threads, whichever thread it is.
 * Bounded by bytes (least recently used out first; an entry larger than the bound is not kept)
 * and by age (TTL).
 */
import type { OutputGrid } from '../reproject/grid.js';

export interface FileIdentity {
  readonly path: string;
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
}

/** A cached channel: `key` = channel key + grid key; `data` on a SharedArrayBuffer. */
export interface CachedChannel {
  readonly key: string;
  readonly data: Float32Array;
}

/** What a render gets from the cache: the channel keys (one per channel) and the entries it may use. */
export interface ChannelCacheView {
  readonly channelKeys: readonly string[];
  readonly entries: readonly CachedChannel[];
}

export function channelKey(files: readonly FileIdentity[], matchBackgrounds: boolean, limits: object): string {
  return JSON.stringify({ files: files.map((f) => [f.path, f.dev, f.ino, f.size, f.mtimeMs]), match: matchBackgrounds && files.length > 1, limits });
}

export function gridKey(grid: OutputGrid): string {
  return JSON.stringify({ w: grid.width, h: grid.height, wcs: grid.wcs });
}

/** A copy of `data` on a SharedArrayBuffer (what a render hands back for the cache). */
export function sharedCopy(data: Float32Array): Float32Array {
  const out = new Float32Array(new SharedArrayBuffer(data.byteLength));
  out.set(data);
  return out;
}

interface Entry {
  readonly channelKey: string;
  readonly data: Float32Array;
  expires: number;
}

export class ReprojectionCache {
  private readonly entries = new Map<string, Entry>(); // insertion order = least recently used first
  private bytes = 0;

  constructor(
    readonly maxBytes: number,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get enabled(): boolean {
    return this.maxBytes > 0;
  }

  /** Bytes held now. */
  get size(): number {
    return this.bytes;
  }

  get count(): number {
    return this.entries.size;
  }

  /** Entries of these channels (any grid), marked as used. */
  lookup(channelKeys: readonly string[]): CachedChannel[] {
    this.expire();
    const wanted = new Set(channelKeys);
    const out: CachedChannel[] = [];
    for (const [key, e] of [...this.entries]) {
      if (!wanted.has(e.channelKey)) continue;
      this.entries.delete(key);
      e.expires = this.now() + this.ttlMs;
      this.entries.set(key, e);
      out.push({ key, data: e.data });
    }
    return out;
  }

  put(entry: CachedChannel, channel: string): void {
    if (!this.enabled || entry.data.byteLength > this.maxBytes) return;
    const old = this.entries.get(entry.key);
    if (old) {
      this.bytes -= old.data.byteLength;
      this.entries.delete(entry.key);
    }
    this.entries.set(entry.key, { channelKey: channel, data: entry.data, expires: this.now() + this.ttlMs });
    this.bytes += entry.data.byteLength;
    for (const [key, e] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(key);
      this.bytes -= e.data.byteLength;
    }
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }

  private expire(): void {
    const t = this.now();
    for (const [key, e] of this.entries) {
      if (e.expires > t) continue;
      this.entries.delete(key);
      this.bytes -= e.data.byteLength;
    }
  }
}
